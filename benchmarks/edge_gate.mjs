// The edge gate's work per request in Node, over each kind of request it meets:
//   node benchmarks/edge_gate.mjs [rounds]
// Prints the median and p99 in microseconds per case and over all cases (JSON on the last line).
import { createHmac } from "node:crypto";
import { loadGate } from "../edge_gate/load.mjs";

const rounds = Number(process.argv[2] || 2000);
const { handler, kvs } = await loadGate();
const HOST = "shop.example.com";
const SECRET = "bench-secret-0123456789abcdef0123456789";
kvs.replaceAll({
  gate: JSON.stringify({ event: "Sample", room: "https://room.example/", hosts: [HOST], bypass: ["/robots.txt", "/favicon.ico", "/.well-known/*"] }),
  state: JSON.stringify({ mode: "queue", generation: 1 }),
  kid: "k1",
  "key:k1": SECRET,
});
const body = ["v1", "Sample", "c3ViamVjdA", Math.floor(Date.now() / 1000) + 3600, 1, "k1", HOST].join("~");
const pass = `${body}~${createHmac("sha256", SECRET).update(body).digest("hex")}`;
const cookies = {};
for (let i = 0; i < 20; i++) cookies[`c${i}`] = { value: "x".repeat(30) };

function request(extra) {
  return { request: { method: "GET", uri: "/cart", querystring: {}, headers: { host: { value: HOST } }, cookies: { ...cookies }, ...extra } };
}

const cases = {
  "valid cookie": () => request({ cookies: { ...cookies, vwr_pass: { value: pass } } }),
  "no cookie": () => request({}),
  "fresh pass in the query": () => request({ querystring: { vwr_pass: { value: encodeURIComponent(pass) } } }),
  "tampered cookie": () => request({ cookies: { vwr_pass: { value: pass.slice(0, -1) + "0" } } }),
  bypass: () => request({ uri: "/robots.txt" }),
};

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const all = [];
const results = {};
for (const [name, make] of Object.entries(cases)) {
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const event = make();
    const start = process.hrtime.bigint();
    await handler(event);
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  all.push(...times);
  results[name] = { median_us: +quantile(times, 0.5).toFixed(1), p99_us: +quantile(times, 0.99).toFixed(1) };
  console.log(`${name.padEnd(26)} median ${results[name].median_us} µs   p99 ${results[name].p99_us} µs`);
}
all.sort((a, b) => a - b);
results.all = { median_us: +quantile(all, 0.5).toFixed(1), p99_us: +quantile(all, 0.99).toFixed(1) };
console.log(`${"all cases".padEnd(26)} median ${results.all.median_us} µs   p99 ${results.all.p99_us} µs`);
console.log(JSON.stringify(results));
