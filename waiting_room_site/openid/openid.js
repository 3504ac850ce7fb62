// The OpenID adapter's hosted page: queue the visitor, wait until served, then go back to
// /authorize with the visitor's request id (in a POST body, never a URL) so the adapter can
// issue the code and say where to go.
//
// The page is given the authorization request in its query string by /authorize and hands it back
// untouched; the adapter validates it again on return, so nothing here is trusted by the server.
// Where it sends the visitor back to comes from the deployed config.json, never from the address
// bar when a configuration exists: a crafted link must not make this page hand a request id (the
// visitor's bearer secret) to another site.

import { RequestError, TransientError, WaitingRoomApi } from "../js/api.js";
import { chooseEvent } from "../js/event.js";
import { Backoff } from "../js/backoff.js";
import { ServingRate } from "../js/estimate.js";
import { assignRetryMs, linePollMs, ServerClock } from "../js/schedule.js";
import { checkingSentence } from "../js/pow.js";

const $ = (id) => document.getElementById(id);
// What /authorize sent along; anything else in the query string is ignored.
export const AUTHORIZE_PARAMETERS = [
  "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
  "code_challenge", "code_challenge_method", "prompt",
];

/**
 * The page's configuration: the site's config.json, or (only without one) the query string. The
 * event is the one /authorize names (the client's: one adapter serves every event), else the
 * configured one.
 */
export async function loadConfig(search = location.search, fetchFn = fetch) {
  let config = null;
  try {
    const response = await fetchFn("../config.json", { cache: "no-store" });
    if (response.ok) config = await response.json();
  } catch {
    config = null;
  }
  const params = new URLSearchParams(search);
  const source = config || Object.fromEntries(["public_api", "oidc_api", "event_id"].map((k) => [k, params.get(k)]));
  return {
    publicApi: source.public_api || "",
    oidcApi: source.oidc_api || "",
    eventId: chooseEvent(search, source.event_id || "").eventId,
  };
}

/** The authorization request as /authorize sent it, or null if it is not one. */
export function authorizationRequest(search, eventId) {
  const params = new URLSearchParams(search);
  const request = {};
  for (const name of AUTHORIZE_PARAMETERS) if (params.has(name)) request[name] = params.get(name);
  if (request.client_id !== eventId || !request.redirect_uri || request.response_type !== "code") return null;
  return request;
}

/**
 * Where the served visitor goes next. The page POSTs the request and the request id to
 * /authorize (a body, so the id lands in no URL: browser history, access logs, a `Referer`) and
 * the adapter answers where to go: the client's redirect URI with a code, or this page again.
 */
export async function returnTo(oidcApi, request, requestId, fetchFn = fetch) {
  const response = await fetchFn(oidcApi.replace(/\/+$/, "") + "/authorize", {
    method: "POST",
    body: new URLSearchParams({ ...request, request_id: requestId }),
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  const data = await response.json().catch(() => ({}));
  if (response.status >= 500) throw new TransientError(`the sign-in service answered ${response.status}`, response.status);
  if (!response.ok || typeof data.redirect_to !== "string") {
    throw new RequestError((data && data.error) || `the sign-in service answered ${response.status}`, response.status);
  }
  return data.redirect_to;
}

class SavedPlace {
  // Not the waiting room page's key: a place used there may already hold tokens of another issuer.
  constructor(eventId) {
    this.key = `vwr:openid-place:${eventId}`;
  }
  load() {
    try {
      return localStorage.getItem(this.key);
    } catch {
      return null;
    }
  }
  save(requestId) {
    try {
      localStorage.setItem(this.key, requestId);
    } catch {
      // storage disabled: the place lasts as long as the page
    }
  }
  clear() {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // nothing saved
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function say(text, phase) {
  $("status").textContent = text;
  if (phase) document.body.dataset.phase = phase;
}

function show(position, serving) {
  $("figures").hidden = false;
  $("position").textContent = String(position);
  $("serving").textContent = String(serving);
  $("ahead").textContent = String(Math.max(0, position - serving - 1));
}

/** The visitor's number, or null if the place is gone. `entered`: the place was taken just now, so
 * no number can exist before the entry queue's ordering window has passed. */
async function waitForPosition(api, requestId, backoff, entered) {
  if (entered) await sleep(assignRetryMs(0));
  for (let attempt = 1; ; attempt++) {
    try {
      const { status, data } = await api.queueNumber(requestId);
      backoff.succeed();
      if (status === 200) return data.queue_number;
      if (status === 404 || status === 410) return null; // unknown or expired: take a new place
      await sleep(assignRetryMs(attempt));
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      say("The waiting room is busy; trying again…");
      await sleep(backoff.fail());
    }
  }
}

async function waitUntilServed(api, position, backoff) {
  const rate = new ServingRate();
  const clock = new ServerClock();
  for (;;) {
    try {
      const { serving, movedAtMs, answeredAtMs } = await api.line();
      backoff.succeed();
      rate.add(serving);
      show(position, serving);
      if (serving >= position) return;
      say("Waiting for your turn…", "waiting");
      // As the waiting room page polls: just after each step of a line that moves in steps.
      const moves = clock.pageTimes(movedAtMs, answeredAtMs, Date.now());
      await sleep(linePollMs(position - serving, rate, moves, Date.now()));
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      say("The waiting room is busy; trying again…");
      await sleep(backoff.fail());
    }
  }
}

async function main() {
  const config = await loadConfig();
  const request = authorizationRequest(location.search, config.eventId);
  if (!config.publicApi || !config.oidcApi || !request) {
    say("This page opens from a sign-in link. Go back to the site and sign in again.", "error");
    return;
  }
  const api = new WaitingRoomApi({ publicApi: config.publicApi, storeApi: "", eventId: config.eventId });
  const place = new SavedPlace(config.eventId);
  const backoff = new Backoff({ baseMs: 1000, maxMs: 30000 });
  try {
    for (;;) {
      let requestId = place.load();
      const entered = !requestId;
      if (entered) {
        say("Taking your place in line…", "entering");
        requestId = await api.enter((done) => say(checkingSentence(done), "entering"));
        place.save(requestId);
      }
      const position = await waitForPosition(api, requestId, backoff, entered);
      if (position === null) {
        place.clear();
        continue;
      }
      await waitUntilServed(api, position, backoff);
      say("It is your turn: signing you in…", "served");
      const next = await returnTo(config.oidcApi, request, requestId);
      // One place in line per sign-in: the adapter turned it into a single-use code.
      place.clear();
      location.assign(next);
      return;
    }
  } catch (error) {
    const words = error instanceof RequestError ? error.message : "something went wrong";
    say(`We could not keep your place (${words}).`, "error");
    $("again").hidden = false;
    $("again").onclick = () => {
      place.clear();
      location.reload();
    };
  }
}

if (typeof document !== "undefined" && document.getElementById("status")) main();
