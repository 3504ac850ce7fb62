// A local stand-in for CloudFront's KeyValueStore, as `cloudfront.kvs()` shows it to a function:
// get(key, {format}) rejects for a missing key, exists(key), meta(). Tests and `vwr local` fill it.
const store = new Map();
let reads = 0;

export function replaceAll(entries) {
  store.clear();
  for (const [key, value] of Object.entries(entries)) store.set(key, String(value));
}

export function readsSoFar() {
  return reads;
}

const handle = {
  async get(key, options) {
    reads += 1;
    if (!store.has(key)) throw new Error('Key not found: ' + key);
    const value = store.get(key);
    const format = (options && options.format) || 'string';
    if (format === 'json') return JSON.parse(value);
    if (format === 'bytes') return Buffer.from(value, 'utf8');
    return value;
  },
  async exists(key) {
    reads += 1;
    return store.has(key);
  },
  async meta() {
    return { creationDateTime: new Date(0).toISOString(), lastUpdatedDateTime: new Date().toISOString(), keyCount: store.size };
  },
};

export default {
  kvs() {
    return handle;
  },
};
