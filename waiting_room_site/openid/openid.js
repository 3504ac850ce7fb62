// The OpenID adapter's hosted page: queue the visitor, wait until served, then go back to
// /authorize with the visitor's request id so the adapter can issue the code and redirect.
//
// The page is given the authorization request in its query string by /authorize and hands it back
// untouched; the adapter validates it again on return, so nothing here is trusted by the server.
// Where it sends the visitor back to comes from the deployed config.json, never from the address
// bar when a configuration exists: a crafted link must not make this page hand a request id (the
// visitor's bearer secret) to another site.

import { RequestError, TransientError, WaitingRoomApi } from "../js/api.js";
import { Backoff } from "../js/backoff.js";
import { ServingRate } from "../js/estimate.js";
import { assignRetryMs, pollDelayMs } from "../js/schedule.js";
import { checkingSentence } from "../js/pow.js";

const $ = (id) => document.getElementById(id);
// What /authorize sent along; anything else in the query string is ignored.
export const AUTHORIZE_PARAMETERS = [
  "response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
  "code_challenge", "code_challenge_method", "prompt",
];

/** The page's configuration: the site's config.json, or (only without one) the query string. */
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
    eventId: source.event_id || "",
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

/** Where to send the served visitor: /authorize again, with the request and the request id. */
export function returnUrl(oidcApi, request, requestId) {
  const url = new URL(oidcApi.replace(/\/+$/, "") + "/authorize");
  for (const [name, value] of Object.entries(request)) url.searchParams.set(name, value);
  url.searchParams.set("request_id", requestId);
  return url.toString();
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

async function waitForPosition(api, requestId, backoff) {
  for (let attempt = 0; ; attempt++) {
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
  for (;;) {
    try {
      const { serving } = await api.line();
      backoff.succeed();
      rate.add(serving);
      show(position, serving);
      if (serving >= position) return;
      say("Waiting for your turn…", "waiting");
      await sleep(pollDelayMs(position - serving, rate.rate(), rate.largestStep(), rate.watchedMs()));
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
      if (!requestId) {
        say("Taking your place in line…", "entering");
        requestId = await api.enter((done) => say(checkingSentence(done), "entering"));
        place.save(requestId);
      }
      const position = await waitForPosition(api, requestId, backoff);
      if (position === null) {
        place.clear();
        continue;
      }
      await waitUntilServed(api, position, backoff);
      say("It is your turn: signing you in…", "served");
      // One place in line per sign-in: the adapter turns it into a single-use code.
      place.clear();
      location.assign(returnUrl(config.oidcApi, request, requestId));
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
