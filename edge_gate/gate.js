import cf from 'cloudfront';
import crypto from 'crypto';

// The waiting room's edge gate: a CloudFront Function (cloudfront-js-2.0, viewer request).
// Everything it knows comes from its KeyValueStore, which the stack (or `vwr local`) fills:
//   gate          {"event", "room", "hosts", "bypass", "scheme", "retry_after"}
//   state         {"mode": "queue"|"open"|"closed", "generation": INT}; absent: the event is gone
//   kid           the id of the key that signs new return addresses
//   key:<kid>     an HMAC-SHA-256 key (current and previous), never in this file
// A pass is "v1~event~subject~expiry~generation~kid~host~mac", mac = hex HMAC of what precedes it.

const kvs = cf.kvs();
const NAME = 'vwr_pass';
const MAX_PASS = 512;
const SAMPLES = 3;

async function read(key) {
  try {
    return await kvs.get(key);
  } catch (e) {
    return null;
  }
}

async function readJson(key) {
  const raw = await read(key);
  if (raw === null) return null;
  try {
    return JSON.parse(raw);
  } catch (e) {
    return null;
  }
}

function mac(secret, text) {
  return crypto.createHmac('sha256', secret).update(text).digest('hex');
}

// Equal in time that does not depend on where the strings first differ.
function same(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch (e) {
    return '';
  }
}

function values(field) {
  if (!field) return [];
  const all = field.multiValue ? field.multiValue.map(function (v) { return v.value; }) : [field.value];
  return all.slice(0, SAMPLES);
}

// The seconds a pass has left, or -1 if it is not good for this gate now.
async function check(pass, gate, state, host, now) {
  if (typeof pass !== 'string' || pass.length > MAX_PASS) return -1;
  const parts = pass.split('~');
  if (parts.length !== 8 || parts[0] !== 'v1') return -1;
  const body = parts.slice(0, 7).join('~');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(parts[5])) return -1;
  const secret = await read('key:' + parts[5]);
  if (secret === null || !same(mac(secret, body), parts[7])) return -1;
  const expiry = Number(parts[3]);
  if (parts[1] !== gate.event || parts[6] !== host) return -1;
  if (!state || Number(parts[4]) !== state.generation) return -1;
  if (!(expiry > now)) return -1;
  return Math.floor(expiry - now);
}

function bypassed(uri, patterns) {
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i];
    if (p.charAt(p.length - 1) === '*' ? uri.indexOf(p.slice(0, -1)) === 0 : uri === p) return true;
  }
  return false;
}

function query(request, without) {
  const qs = request.querystring || {};
  const pairs = [];
  Object.keys(qs).forEach(function (name) {
    if (name === without) return;
    const field = qs[name];
    const all = field.multiValue ? field.multiValue : [field];
    all.forEach(function (v) { pairs.push(v.value === '' ? name : name + '=' + v.value); });
  });
  return pairs.length ? '?' + pairs.join('&') : '';
}

function redirect(location, cookies) {
  const answer = {
    statusCode: 302,
    statusDescription: 'Found',
    headers: { location: { value: location }, 'cache-control': { value: 'no-store' } },
  };
  if (cookies) answer.cookies = cookies;
  return answer;
}

function closed(gate) {
  return {
    statusCode: 503,
    statusDescription: 'Service Unavailable',
    headers: {
      'content-type': { value: 'text/html; charset=utf-8' },
      'retry-after': { value: String(gate.retry_after || 300) },
      'cache-control': { value: 'no-store' },
    },
    body: {
      encoding: 'text',
      data: '<!doctype html><meta charset="utf-8"><title>Sale closed</title>' +
        '<h1>The sale is closed</h1><p>Please come back later.</p>',
    },
  };
}

async function toRoom(gate, back) {
  const kid = await read('kid');
  const secret = kid === null ? null : await read('key:' + kid);
  const signature = secret === null ? '' : kid + '~' + mac(secret, 'return~' + gate.event + '~' + back);
  const room = gate.room + (gate.room.indexOf('?') < 0 ? '?' : '&');
  return redirect(room + 'event_id=' + encodeURIComponent(gate.event) +
    '&return_to=' + encodeURIComponent(back) + '&return_sig=' + encodeURIComponent(signature));
}

async function handler(event) {
  const request = event.request;
  const gate = await readJson('gate');
  if (!gate) return request; // not configured yet: the site as it is
  const hosts = gate.hosts || [];
  const asked = request.headers.host ? request.headers.host.value : '';
  // Where to come back to is always on one of the gate's own hosts.
  const host = hosts.length === 0 || hosts.indexOf(asked) >= 0 ? asked : hosts[0];
  const origin = (gate.scheme || 'https') + '://' + host;
  if (bypassed(request.uri, gate.bypass || [])) return request;
  const state = await readJson('state');
  const now = Date.now() / 1000;

  const fresh = request.querystring ? values(request.querystring[NAME]) : [];
  if (fresh.length) {
    const back = origin + request.uri + query(request, NAME);
    const pass = decode(fresh[0]);
    const left = await check(pass, gate, state, host, now);
    if (left < 0) return toRoom(gate, back);
    const attributes = 'Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=' + left;
    const cookies = {};
    cookies[NAME] = { value: pass, attributes: attributes };
    return redirect(back, cookies);
  }

  // The cookie stays on the request: the origin may read it.
  const held = request.cookies ? values(request.cookies[NAME]) : [];
  for (let i = 0; i < held.length; i++) {
    if ((await check(held[i], gate, state, host, now)) >= 0) return request;
  }
  const mode = state ? state.mode : 'queue';
  if (mode === 'open') return request;
  if (mode === 'closed') return closed(gate);
  return toRoom(gate, origin + request.uri + query(request, ''));
}
