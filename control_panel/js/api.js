// The operator's calls: the private API signed with SigV4, and the public API's waiting size.

import { buildUrl, signedFetch } from "../sigv4.js";

const TIMEOUT_MS = 15000;

export class ApiError extends Error {
  constructor(message, { status = 0, api = "", path = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.api = api;
    this.path = path;
  }

  /** Worth retrying by itself: the network, a timeout, throttling or a server error. */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

function serverMessage(data, text, status) {
  if (data && typeof data === "object") {
    if (typeof data.error === "string" && data.error) return data.error;
    if (typeof data.message === "string" && data.message) return data.message;
    if (typeof data.Message === "string" && data.Message) return data.Message;
  }
  if (text && text.trim()) return text.trim().slice(0, 300);
  return `HTTP ${status}`;
}

// The most events a deployment may have (lambdas/catalog.py MAX_EVENTS): one page of GET /events.
const MAX_EVENTS = 1000;

const eventPath = (eventId) => `/events/${encodeURIComponent(eventId)}`;

// The header in which a paged route (`/expired_tokens`) names the next page; the body is the page.
const NEXT_CURSOR_HEADER = "X-Next-Cursor";

async function send(api, path, url, init, shape = (data) => data) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await init({ signal: controller.signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw new ApiError("no answer within 15 seconds", { api, path });
    if (err instanceof ApiError) throw err;
    // fetch() rejects without details on network errors and on CORS refusals alike.
    const why = err && err.message && !/fetch/i.test(err.message) ? err.message : "could not reach it (network or CORS)";
    throw new ApiError(why, { api, path });
  } finally {
    clearTimeout(timer);
  }
  const text = await response.text().catch(() => "");
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(serverMessage(data, text, response.status), { status: response.status, api, path });
  }
  return shape(data, response);
}

export class OperatorApi {
  /**
   * @param {{publicApi: string, privateApi: string, region: string,
   *          accessKeyId: string, secretAccessKey: string, sessionToken?: string}} settings
   * @param {string} eventId the event the counters, the increment and the reset act on
   */
  constructor(settings, eventId = "") {
    this.settings = settings;
    this.eventId = eventId;
  }

  get credentials() {
    const { accessKeyId, secretAccessKey, sessionToken } = this.settings;
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  }

  private(method, path, { params, body, shape } = {}) {
    const url = buildUrl(this.settings.privateApi, path, params);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return send("private", path, url, ({ signal }) =>
      signedFetch(url, {
        method,
        body: payload,
        credentials: this.credentials,
        region: this.settings.region,
        headers: payload === undefined ? {} : { "Content-Type": "application/json" },
        signal,
      }),
      shape,
    );
  }

  public(path, params) {
    const url = buildUrl(this.settings.publicApi, path, params);
    return send("public", path, url, ({ signal }) => fetch(url, { cache: "no-store", signal }));
  }

  counters() {
    return this.private("GET", "/counters", { params: { event_id: this.eventId } });
  }

  activeTokens() {
    return this.private("GET", "/num_active_tokens", { params: { event_id: this.eventId } });
  }

  /** The first page of expired tokens' request ids, and whether there are more. */
  expiredTokens(limit = 100) {
    return this.private("GET", "/expired_tokens", {
      params: { event_id: this.eventId, limit },
      shape: (data, response) => ({
        ids: Array.isArray(data) ? data : [],
        more: Boolean(response.headers.get(NEXT_CURSOR_HEADER)),
      }),
    });
  }

  waitingNum() {
    return this.public("/waiting_num", { event_id: this.eventId });
  }

  incrementServingCounter(incrementBy) {
    return this.private("POST", "/increment_serving_counter", {
      body: { event_id: this.eventId, increment_by: incrementBy },
    });
  }

  reset() {
    return this.private("POST", "/reset_initial_state", { body: { event_id: this.eventId } });
  }

  // --- the event registry ------------------------------------------------------------------

  /** Every registered event, sorted by id, page by page (one page holds every event there may be). */
  async listEvents() {
    const events = [];
    let params = { limit: MAX_EVENTS };
    for (;;) {
      const data = await this.private("GET", "/events", { params });
      if (!Array.isArray(data && data.events)) return events;
      events.push(...data.events);
      if (!data.next_cursor || data.next_cursor === params.cursor) return events;
      params = { ...params, cursor: data.next_cursor };
    }
  }

  createEvent(fields) {
    return this.private("POST", "/events", { body: fields });
  }

  /** `fields`: the fields to change and, to refuse a concurrent change, version. */
  updateEvent(eventId, fields) {
    return this.private("PATCH", eventPath(eventId), { body: fields });
  }

  deleteEvent(eventId) {
    return this.private("DELETE", eventPath(eventId));
  }
}
