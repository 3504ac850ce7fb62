// AWS Signature Version 4 for the browser, with Web Crypto only.
//
// It signs what API Gateway's IAM authorization checks: the method, the canonical URI, the sorted
// query, the headers host and x-amz-date (and x-amz-security-token with temporary credentials) and
// the SHA-256 of the body. The steps follow the AWS reference "Create a signed AWS API request".
// The secret key never leaves this module except as an HMAC key.

const encoder = new TextEncoder();

function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function toBytes(data) {
  if (data === undefined || data === null) return new Uint8Array(0);
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("The body must be a string, an ArrayBuffer or a typed array");
}

function subtle() {
  if (!globalThis.crypto || !globalThis.crypto.subtle) {
    throw new Error("signing needs Web Crypto, which browsers offer only on HTTPS pages and on localhost");
  }
  return globalThis.crypto.subtle;
}

export async function sha256Hex(data) {
  return toHex(await subtle().digest("SHA-256", toBytes(data)));
}

async function hmac(key, message) {
  const cryptoKey = await subtle().importKey(
    "raw",
    toBytes(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return subtle().sign("HMAC", cryptoKey, toBytes(message));
}

// RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded (UTF-8 bytes).
export function uriEncode(value) {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

// The path as sent (already percent-encoded by the URL parser): dot segments and empty segments
// removed, then each segment encoded once more. This is the canonical URI of every service but S3,
// and what botocore computes.
function canonicalUri(pathname) {
  if (!pathname) return "/";
  const segments = [];
  for (const segment of pathname.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const first = pathname.startsWith("/") ? "/" : "";
  const last = pathname.endsWith("/") && segments.length ? "/" : "";
  return first + segments.map(uriEncode).join("/") + last || "/";
}

function decodeQueryPart(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a lone "%" stays as it is, and is then encoded
  }
}

// Every key and value decoded then strictly encoded; pairs sorted by key, then by value.
function canonicalQuery(search) {
  const query = search.startsWith("?") ? search.slice(1) : search;
  if (!query) return "";
  const pairs = query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const at = pair.indexOf("=");
      const key = at === -1 ? pair : pair.slice(0, at);
      const value = at === -1 ? "" : pair.slice(at + 1);
      return [uriEncode(decodeQueryPart(key)), uriEncode(decodeQueryPart(value))];
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

// "20150830T123600Z"
export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

// Builds an absolute URL whose query is already in canonical encoding, so that what is sent and
// what is signed cannot differ.
export function buildUrl(base, path, params = {}) {
  const url = base.replace(/\/+$/, "") + path;
  const query = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(String(v))}`)
    .join("&");
  return query ? `${url}?${query}` : url;
}

/**
 * Signs one request. Returns the headers to send (Authorization, X-Amz-Date and, with a session
 * token, X-Amz-Security-Token) and, for tests and debugging, the intermediate strings.
 *
 * @param {object} request
 * @param {string} request.method
 * @param {string} request.url absolute URL, query included
 * @param {string|ArrayBuffer|Uint8Array} [request.body]
 * @param {{accessKeyId: string, secretAccessKey: string, sessionToken?: string}} request.credentials
 * @param {string} request.region
 * @param {string} [request.service] defaults to execute-api
 * @param {Date} [request.date] defaults to now
 */
export async function signRequest({
  method,
  url,
  body,
  credentials,
  region,
  service = "execute-api",
  date = new Date(),
}) {
  if (!credentials || !credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new Error("An access key id and a secret access key are needed to sign");
  }
  if (!region) throw new Error("A region is needed to sign");
  const parsed = new URL(url);
  const timestamp = amzDate(date);
  const day = timestamp.slice(0, 8);

  const headers = { host: parsed.host, "x-amz-date": timestamp };
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const payloadHash = await sha256Hex(body);

  const canonicalRequest = [
    method.toUpperCase(),
    canonicalUri(parsed.pathname),
    canonicalQuery(parsed.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");

  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", timestamp, scope, await sha256Hex(canonicalRequest)].join("\n");

  const kDate = await hmac("AWS4" + credentials.secretAccessKey, day);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  const kSigning = await hmac(kService, "aws4_request");
  const signature = toHex(await hmac(kSigning, stringToSign));

  const out = {
    Authorization:
      `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`,
    "X-Amz-Date": timestamp,
  };
  if (credentials.sessionToken) out["X-Amz-Security-Token"] = credentials.sessionToken;
  return { headers: out, canonicalRequest, stringToSign, signature };
}

/**
 * fetch() with a SigV4 signature. `body` is sent exactly as it was signed.
 */
export async function signedFetch(url, { method = "GET", body, credentials, region, service, headers = {}, signal } = {}) {
  const signed = await signRequest({ method, url, body, credentials, region, service });
  return fetch(url, {
    method,
    body: body === undefined ? undefined : body,
    headers: { ...headers, ...signed.headers },
    signal,
    cache: "no-store",
  });
}
