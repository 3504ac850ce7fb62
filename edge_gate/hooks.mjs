// Module hooks that let Node run gate.js exactly as CloudFront does: `cloudfront` resolves to the
// local KeyValueStore of kvs.mjs, and the module hands its `handler` out (CloudFront calls the
// handler by name; a module shows Node only what it exports). The file on disk is not changed.
const GATE = new URL('./gate.js', import.meta.url).href;
const KVS = new URL('./kvs.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'cloudfront') return { url: KVS, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.split('?')[0] !== GATE) return next(url, context);
  const loaded = await next(url, { ...context, format: 'module' });
  const source = String(loaded.source) + '\nexport { handler };\n';
  return { format: 'module', source, shortCircuit: true };
}
