// `vwr local --protect`: the edge gate (edge_gate/gate.js, the very file CloudFront runs) in front
// of an origin, on a port of its own. Each request becomes a CloudFront viewer-request event; the
// gate's answer is sent as it is, or the request it lets through goes on to the origin with every
// header but Host, every cookie and the query string. Its KeyValueStore is edge_gate/kvs.mjs,
// filled through replaceAll by the same sync the edge stack runs (local/edge.py).
// Without an origin, a small sample shop of ours answers instead.
import { createServer } from "node:http";
import { loadGate } from "../edge_gate/load.mjs";

const { handler, kvs } = await loadGate();
let entries = {};
let server = null;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length"]);

export function replaceAll(next) {
  entries = { ...next };
  kvs.replaceAll(entries);
  return Object.keys(entries).length;
}

export function held() {
  return entries;
}

function toEvent(request) {
  const url = new URL(request.url, "http://gate.invalid");
  const querystring = {};
  for (const part of url.search.slice(1).split("&")) {
    if (!part) continue;
    const [name, ...rest] = part.split("=");
    const value = { value: rest.join("=") };
    const field = querystring[name];
    if (!field) querystring[name] = value;
    else field.multiValue = [...(field.multiValue || [{ value: field.value }]), value];
  }
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name !== "cookie") headers[name] = { value: Array.isArray(value) ? value.join(",") : value };
  }
  const cookies = {};
  for (const pair of (request.headers.cookie || "").split(";")) {
    const at = pair.indexOf("=");
    if (at < 1) continue;
    const name = pair.slice(0, at).trim();
    const value = { value: pair.slice(at + 1).trim() };
    const field = cookies[name];
    if (!field) cookies[name] = value;
    else field.multiValue = [...(field.multiValue || [{ value: field.value }]), value];
  }
  return {
    version: "1.0",
    context: { eventType: "viewer-request" },
    viewer: { ip: request.socket.remoteAddress },
    request: { method: request.method, uri: url.pathname, querystring, headers, cookies },
  };
}

function answerWith(response, answer) {
  const headers = {};
  for (const [name, field] of Object.entries(answer.headers || {})) headers[name] = field.value;
  const cookies = Object.entries(answer.cookies || {}).map(([name, c]) => `${name}=${c.value}; ${c.attributes || ""}`);
  if (cookies.length) headers["set-cookie"] = cookies;
  response.writeHead(answer.statusCode, answer.statusDescription, headers);
  response.end(answer.body ? answer.body.data : "");
}

function cookieHeader(cookies) {
  const pairs = [];
  for (const [name, field] of Object.entries(cookies)) {
    for (const v of field.multiValue || [field]) pairs.push(`${name}=${v.value}`);
  }
  return pairs.join("; ");
}

function sampleShop(request, response, passed) {
  const names = Object.keys(passed.cookies).sort().join(", ") || "none";
  const page = `<!doctype html><meta charset="utf-8"><title>Sample shop</title>
<h1 id="shop">Sample shop</h1><p>You are on <code id="path">${passed.uri.replace(/[<>&"]/g, "")}</code>.</p>
<p>Cookies that reached the shop: <span id="cookies">${names.replace(/[<>&"]/g, "")}</span></p>`;
  response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  response.end(request.method === "HEAD" ? "" : page);
}

async function toOrigin(origin, request, response, passed) {
  const body = await new Promise((resolve) => {
    const chunks = [];
    request.on("data", (c) => chunks.push(c));
    request.on("end", () => resolve(Buffer.concat(chunks)));
  });
  const headers = {};
  for (const [name, field] of Object.entries(passed.headers)) if (name !== "host") headers[name] = field.value;
  const cookie = cookieHeader(passed.cookies);
  if (cookie) headers.cookie = cookie;
  const search = new URL(request.url, "http://gate.invalid").search;
  const answer = await fetch(origin.replace(/\/$/, "") + passed.uri + search, {
    method: request.method,
    headers,
    body: ["GET", "HEAD"].includes(request.method) ? undefined : body,
    redirect: "manual",
  });
  const out = {};
  answer.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && name !== "set-cookie") out[name] = value;
  });
  const setCookies = answer.headers.getSetCookie();
  if (setCookies.length) out["set-cookie"] = setCookies;
  response.writeHead(answer.status, out);
  response.end(Buffer.from(await answer.arrayBuffer()));
}

/** Listens on host:port (0: any free port); returns the port. */
export async function start({ host, port, origin }) {
  server = createServer(async (request, response) => {
    try {
      const event = toEvent(request);
      const result = await handler(event);
      if (result.statusCode) return answerWith(response, result);
      if (origin) return await toOrigin(origin, request, response, result);
      return sampleShop(request, response, result);
    } catch (error) {
      response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: `the edge gate could not answer: ${error.message}` }));
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  return server.address().port;
}

export async function stop() {
  if (server) await new Promise((resolve) => server.close(resolve));
  server = null;
  return true;
}
