// Talking to the waiting room's public API and to the protected store API.

import { solve } from "./pow.js";

/** A failure worth retrying: the network, a timeout, or a 5xx/429 from a server. */
export class TransientError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.name = "TransientError";
    this.status = status;
  }
}

/** An answer that retrying will not change (a 4xx other than those the caller expects). */
export class RequestError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "RequestError";
    this.status = status;
  }
}

const TIMEOUT_MS = 10000;
// The waiting room's POSTs carry JSON as text/plain, which the API maps like application/json: a
// "simple" cross-origin request, so the browser sends it without first asking OPTIONS (a preflight
// that would cost every visitor two more billed requests). lambdas/catalog.py PAGE_CONTENT_TYPE
// names it for the Python clients that post as the page does.
const PLAIN_JSON = "text/plain";

function joinUrl(base, path, params) {
  const url = new URL(base.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(params || {})) url.searchParams.set(key, value);
  return url.toString();
}

/** The server's words from an error body ({"error": "..."} or API Gateway's {"message": "..."}). */
export function errorMessage(data, status) {
  if (data && typeof data === "object") {
    if (typeof data.error === "string" && data.error) return data.error;
    if (typeof data.message === "string" && data.message) return data.message;
  }
  if (typeof data === "string" && data.trim()) return data.trim().slice(0, 200);
  return status ? `the server answered ${status}` : "no answer from the server";
}

/**
 * One HTTP call. Resolves with {status, data} for 2xx and for the 4xx statuses listed in
 * `expect`; rejects with TransientError or RequestError otherwise. A `body` is sent as JSON, with
 * `contentType` as its Content-Type.
 */
export async function call(
  method,
  base,
  path,
  { params, body, headers = {}, expect = [], contentType = PLAIN_JSON } = {},
) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(joinUrl(base, path, params), {
      method,
      headers: body === undefined ? headers : { "Content-Type": contentType, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: controller.signal,
    });
  } catch (err) {
    const why = err && err.name === "AbortError" ? "the server took too long to answer" : "the network is unreachable";
    throw new TransientError(why);
  } finally {
    clearTimeout(timer);
  }
  const text = await response.text().catch(() => "");
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (response.ok || expect.includes(response.status)) return { status: response.status, data };
  const message = errorMessage(data, response.status);
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    throw new TransientError(message, response.status);
  }
  throw new RequestError(message, response.status);
}

export class WaitingRoomApi {
  /** `readsApi`: where the shared cached reads are polled (a distribution without the web ACL). */
  constructor({ publicApi, readsApi, storeApi, eventId }) {
    this.publicApi = publicApi;
    this.readsApi = readsApi || publicApi;
    this.storeApi = storeApi;
    this.eventId = eventId;
  }

  /**
   * The event's public facts ({event_id, name, mode, prequeue_start, start_time, order_at_start,
   * max_waiting, overflow_url}), or null when the waiting room predates them (403/404) or cannot
   * be reached: the page then works as before, naming the event by its id.
   */
  async eventInfo() {
    try {
      const { status, data } = await call("GET", this.publicApi, "/event_info", {
        params: { event_id: this.eventId },
        expect: [403, 404],
      });
      return status === 200 && data && typeof data === "object" ? data : null;
    } catch (err) {
      if (err instanceof TransientError) return null;
      throw err;
    }
  }

  /**
   * The entry's proof-of-work challenge, or null when the deployment needs none or predates it
   * (403/404). A refusal (400, another event) is left to the entry itself, which says why.
   */
  async challenge() {
    const { status, data } = await call("GET", this.publicApi, "/pow_challenge", {
      params: { event_id: this.eventId },
      expect: [400, 403, 404],
    });
    if (status !== 200 || !data || !(data.difficulty > 0) || typeof data.challenge !== "string") return null;
    return { challenge: data.challenge, difficulty: data.difficulty };
  }

  /**
   * POST /assign_queue_num, after solving the proof of work when the deployment asks for one
   * (`onProgress(fraction)` hears how far along it is).
   */
  async enter(onProgress = () => {}) {
    const work = await this.challenge();
    const body = { event_id: this.eventId };
    if (work) body.pow = { challenge: work.challenge, nonce: await solve(work.challenge, work.difficulty, onProgress) };
    const { data } = await call("POST", this.publicApi, "/assign_queue_num", { body });
    if (!data || typeof data.api_request_id !== "string") throw new TransientError("the answer had no request id");
    return data.api_request_id;
  }

  /** {status: 200, data: {queue_number, ...}} | {status: 202} | {status: 410} */
  queueNumber(requestId) {
    return call("GET", this.publicApi, "/queue_num", {
      params: { event_id: this.eventId, request_id: requestId },
      expect: [202, 404, 410],
    });
  }

  /**
   * {serving, waiting, movedAtMs, answeredAtMs}: one poll; a waiting room older than `waiting_num` in
   * this answer is asked twice. movedAtMs (when the counter last moved) and answeredAtMs are in the
   * server's clock, [] and null from a waiting room that does not say.
   */
  async line() {
    const { data } = await call("GET", this.readsApi, "/serving_num", { params: { event_id: this.eventId } });
    const serving = Number(data && data.serving_counter);
    const moved = data && Array.isArray(data.moved_at_ms) ? data.moved_at_ms.map(Number).filter(Number.isFinite) : [];
    const answered = Number(data && data.answered_at_ms);
    const times = { movedAtMs: moved, answeredAtMs: Number.isFinite(answered) ? answered : null };
    if (data && data.waiting_num !== undefined) return { serving, waiting: Number(data.waiting_num), ...times };
    return { serving, waiting: await this.waitingNumber(), ...times };
  }

  async waitingNumber() {
    const { data } = await call("GET", this.readsApi, "/waiting_num", { params: { event_id: this.eventId } });
    return Number(data && data.waiting_num);
  }

  queuePositionExpiry(requestId) {
    return call("GET", this.publicApi, "/queue_pos_expiry", {
      params: { event_id: this.eventId, request_id: requestId },
      expect: [202, 404, 410],
    });
  }

  generateToken(requestId) {
    return call("POST", this.publicApi, "/generate_token", {
      body: { event_id: this.eventId, request_id: requestId },
      expect: [202, 404, 410],
    });
  }

  /** The way back through the edge gate: `return_to` with an admission pass, once served. */
  edgePass(requestId, returnTo) {
    return call("POST", this.publicApi, "/edge_pass", {
      body: { event_id: this.eventId, request_id: requestId, return_to: returnTo.address, return_sig: returnTo.signature },
      expect: [202, 404, 410],
    });
  }

  checkout(accessToken, order) {
    return call("POST", this.storeApi, "/checkout", {
      body: order,
      headers: { Authorization: `Bearer ${accessToken}` },
      // The protected site's API: the Authorization header asks a preflight anyway, so plain JSON.
      contentType: "application/json",
    });
  }
}
