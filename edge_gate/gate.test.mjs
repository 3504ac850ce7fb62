// The edge gate under Node, run from the very file CloudFront runs (see load.mjs), one case at a time.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test, beforeEach } from 'node:test';
import { loadGate } from './load.mjs';

const { handler, kvs } = await loadGate();

const HOST = 'shop.example.com';
const ROOM = 'https://room.example/index.html';
const KEYS = { current: ['k2', 'second-secret-0123456789abcdef'], previous: ['k1', 'first-secret-0123456789abcdef'] };
const GENERATION = 1700000000000;
const NOW = () => Math.floor(Date.now() / 1000);

function fill({ mode = 'queue', generation = GENERATION, state = true, gate = {} } = {}) {
  const entries = {
    gate: JSON.stringify({ event: 'Sample', room: ROOM, hosts: [HOST], bypass: ['/robots.txt', '/favicon.ico', '/.well-known/*', '/static/*'], ...gate }),
    kid: KEYS.current[0],
    [`key:${KEYS.current[0]}`]: KEYS.current[1],
    [`key:${KEYS.previous[0]}`]: KEYS.previous[1],
  };
  if (state) entries.state = JSON.stringify({ mode, generation });
  kvs.replaceAll(entries);
}

function sign(secret, text) {
  return createHmac('sha256', secret).update(text).digest('hex');
}

// What the pass-issuing route makes (lambdas/waiting_room/edge_pass.py), for the tests' own use.
function pass({ event = 'Sample', subject = 'c3ViamVjdA', expiry = NOW() + 600, generation = GENERATION, key = KEYS.current, host = HOST } = {}) {
  const body = ['v1', event, subject, expiry, generation, key[0], host].join('~');
  return `${body}~${sign(key[1], body)}`;
}

function request({ uri = '/cart', query = {}, cookies = {}, host = HOST } = {}) {
  const querystring = {};
  for (const [name, value] of Object.entries(query)) querystring[name] = { value };
  const jar = {};
  for (const [name, value] of Object.entries(cookies)) jar[name] = { value };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri, querystring, headers: { host: { value: host }, cookie: { value: 'x' } }, cookies: jar },
  };
}

function roomRedirect(back) {
  const signature = `${KEYS.current[0]}~${sign(KEYS.current[1], `return~Sample~${back}`)}`;
  return {
    statusCode: 302,
    statusDescription: 'Found',
    headers: {
      location: { value: `${ROOM}?event_id=Sample&return_to=${encodeURIComponent(back)}&return_sig=${encodeURIComponent(signature)}` },
      'cache-control': { value: 'no-store' },
    },
  };
}

beforeEach(() => fill());

test('a valid admission cookie passes the request to the origin unchanged, cookie and all', async () => {
  const event = request({ query: { item: '7' }, cookies: { vwr_pass: pass(), cart: 'abc', session: 's1' } });
  const before = structuredClone(event.request);
  assert.deepEqual(await handler(event), before);
});

test('no cookie: a 302 to the waiting room for the event, carrying a signed way back', async () => {
  assert.deepEqual(await handler(request({ uri: '/sale/shoes', query: { size: '42' } })), roomRedirect(`https://${HOST}/sale/shoes?size=42`));
});

test('a fresh pass in the query becomes a cookie and a 302 to the same address without it', async () => {
  const fresh = pass({ expiry: NOW() + 300 });
  const answer = await handler(request({ uri: '/sale', query: { size: '42', vwr_pass: encodeURIComponent(fresh) } }));
  const maxAge = Number(answer.cookies.vwr_pass.attributes.match(/Max-Age=(\d+)$/)[1]);
  assert.ok(maxAge > 290 && maxAge <= 300, `Max-Age ${maxAge}`);
  assert.deepEqual(answer, {
    statusCode: 302,
    statusDescription: 'Found',
    headers: { location: { value: `https://${HOST}/sale?size=42` }, 'cache-control': { value: 'no-store' } },
    cookies: { vwr_pass: { value: fresh, attributes: `Secure; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}` } },
  });
});

test('a bad pass in the query goes to the waiting room, and the way back leaves the bad pass out', async () => {
  const tampered = pass().replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  assert.deepEqual(await handler(request({ uri: '/sale', query: { vwr_pass: tampered } })), roomRedirect(`https://${HOST}/sale`));
});

test('bypass patterns pass without a cookie: the defaults, a prefix, and nothing else', async () => {
  for (const uri of ['/robots.txt', '/favicon.ico', '/.well-known/security.txt', '/static/app.css']) {
    const event = request({ uri });
    assert.deepEqual(await handler(event), event.request, uri);
  }
  assert.equal((await handler(request({ uri: '/robots.txt.bak' }))).statusCode, 302);
  assert.equal((await handler(request({ uri: '/staticky' }))).statusCode, 302);
});

test('mode open lets everyone through', async () => {
  fill({ mode: 'open' });
  const event = request();
  assert.deepEqual(await handler(event), event.request);
});

test('mode closed answers a plain closed page, 503 with Retry-After; a pass holder still passes', async () => {
  fill({ mode: 'closed', gate: { retry_after: 120 } });
  const answer = await handler(request());
  assert.equal(answer.statusCode, 503);
  assert.deepEqual(answer.headers['retry-after'], { value: '120' });
  assert.deepEqual(answer.headers['cache-control'], { value: 'no-store' });
  assert.match(answer.body.data, /sale is closed/);
  const holder = request({ cookies: { vwr_pass: pass() } });
  assert.deepEqual(await handler(holder), holder.request);
});

test('a pass signed with the previous key still passes (rotation turns no one away)', async () => {
  const event = request({ cookies: { vwr_pass: pass({ key: KEYS.previous }) } });
  assert.deepEqual(await handler(event), event.request);
});

test('a gate whose store is still empty lets the site through as it is', async () => {
  kvs.replaceAll({});
  const event = request();
  assert.deepEqual(await handler(event), event.request);
});

const refused = {
  tampered: () => pass().replace(/~(\d+)~/, (m, n) => `~${Number(n) + 1000}~`),
  truncated: () => pass().slice(0, -10),
  'cut at a separator': () => pass().split('~').slice(0, 7).join('~'),
  'other key id': () => pass({ key: ['k9', KEYS.current[1]] }),
  'signed with a key the gate does not hold': () => pass({ key: [KEYS.current[0], 'not-the-secret'] }),
  expired: () => pass({ expiry: NOW() - 1 }),
  'wrong event': () => pass({ event: 'Other' }),
  'old generation (before a reset)': () => pass({ generation: GENERATION - 1 }),
  'another gate (host)': () => pass({ host: 'other-shop.example.com' }),
  'over-long': () => pass({ subject: 'a'.repeat(600) }),
  'not a pass': () => 'hello',
  empty: () => '',
};

for (const [name, make] of Object.entries(refused)) {
  test(`refused: ${name} cookie goes to the waiting room`, async () => {
    const answer = await handler(request({ uri: '/cart', cookies: { vwr_pass: make() } }));
    assert.deepEqual(answer, roomRedirect(`https://${HOST}/cart`));
  });
}

test('refused: after the event is deleted (its state is gone), a pass is refused', async () => {
  fill({ state: false });
  assert.deepEqual(await handler(request({ cookies: { vwr_pass: pass() } })), roomRedirect(`https://${HOST}/cart`));
});

test('a cookie header with 50 cookies: the pass among them is found, the others reach the origin', async () => {
  const cookies = {};
  for (let i = 0; i < 49; i++) cookies[`c${i}`] = 'v'.repeat(40);
  cookies.vwr_pass = pass();
  const event = request({ cookies });
  assert.deepEqual(await handler(event), event.request);
  delete cookies.vwr_pass;
  assert.equal((await handler(request({ cookies }))).statusCode, 302);
});

test('several pass cookies: a good one among the first few is enough; bad ones alone are not', async () => {
  const event = request();
  event.request.cookies.vwr_pass = { value: 'junk', multiValue: [{ value: 'junk' }, { value: pass() }] };
  assert.deepEqual(await handler(event), event.request);
  const bad = request();
  bad.request.cookies.vwr_pass = { value: 'junk', multiValue: Array.from({ length: 10 }, () => ({ value: 'junk' })) };
  assert.equal((await handler(bad)).statusCode, 302);
});

test('no open redirect: a request for another host comes back to the gate\'s own host', async () => {
  assert.deepEqual(await handler(request({ uri: '/x', host: 'evil.example' })), roomRedirect(`https://${HOST}/x`));
});

test('the function uses only what cloudfront-js-2.0 offers and stays far under 10 KB', () => {
  const source = readFileSync(new URL('./gate.js', import.meta.url), 'utf8');
  const modules = [...source.matchAll(/^import \w+ from '([^']+)';$/gm)].map((m) => m[1]);
  assert.deepEqual(modules.sort(), ['cloudfront', 'crypto']);
  assert.doesNotMatch(source, /\brequire\(|setTimeout|setInterval|fetch\(|Promise\.all|\?\.|\?\?/);
  assert.ok(Buffer.byteLength(source) < 10 * 1024);
});
