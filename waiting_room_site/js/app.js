// The waiting room page: enter the line, wait, and check out once served.
//
// Everything the page knows about the visitor is the request id, kept in localStorage under the
// event id, so that a reload or a second tab keeps the place. The page polls the public API as
// often as the line moves (schedule.js): rarely far from the front, every couple of seconds near
// it; on errors it backs off with jitter and says so, and it resumes by itself.

import { RequestError, TransientError, WaitingRoomApi } from "./api.js";
import { Backoff } from "./backoff.js";
import { estimateWait, formatClock, formatDuration, formatRange, ServingRate } from "./estimate.js";
import { renderReceipt } from "./receipt.js";
import { assignRetryMs, JITTER, linePollMs, SCHEDULE, scheduleWithNear, ServerClock } from "./schedule.js";
import { checkingSentence } from "./pow.js";
import { chooseEvent } from "./event.js";
import { countdownText, handleOf, prequeueDelayMs, prequeueWords, salePhase } from "./sale.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_ORDER = { items: [{ sku: "general-admission", quantity: 1 }] };

// ---------------------------------------------------------------------------------------------
// Configuration: config.json next to this page; the event from `?event_id=` (else config.json's);
// a few query parameters for tests and for pages served without a configuration, under their own
// names or under those of the retired solution's page (`publicApiUrl`, `commerceApiUrl`).

const RETIRED_NAMES = { public_api: "publicApiUrl", store_api: "commerceApiUrl" };

async function loadConfig() {
  let config = {};
  let found = false;
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) {
      config = await response.json();
      found = true;
    }
  } catch {
    // no configuration file: query parameters only
  }
  const params = new URLSearchParams(location.search);
  // The API addresses may come from the address bar only when no configuration was deployed, so a
  // link cannot point a configured page at someone else's API.
  const overridable = found ? ["poll"] : ["poll", "public_api", "reads_api", "store_api"];
  for (const key of overridable) {
    const name = [key, RETIRED_NAMES[key]].find((candidate) => candidate && params.has(candidate));
    if (name) config[key] = params.get(name);
  }
  const poll = Number(config.poll ?? config.poll_interval_ms);
  const returnTo = gateReturn(params);
  const { eventId, problem } = chooseEvent(location.search, config.event_id);
  return {
    publicApi: config.public_api || "",
    readsApi: config.reads_api || "",
    storeApi: config.store_api || "",
    eventId,
    eventProblem: problem,
    // `poll` sets the near interval (tests make it short); the far one scales with it.
    schedule: Number.isFinite(poll) && poll >= 50 ? scheduleWithNear(poll) : SCHEDULE,
    order: config.order || DEFAULT_ORDER,
    returnTo,
  };
}

/**
 * Where the edge gate sent the visitor from (`?return_to=&return_sig=`), or null without a gate.
 * The address is only shown here; the waiting room issues a pass only for an address the gate
 * signed, and the page follows only an answer that leads back to that same address.
 */
function gateReturn(params) {
  const address = params.get("return_to");
  const signature = params.get("return_sig");
  if (!address || !signature) return null;
  let url;
  try {
    url = new URL(address);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return { address, signature, host: url.host };
}

/** The server's words from an answer's body, or the fallback. */
function reason(data, fallback) {
  if (data && typeof data === "object") {
    const text = data.error || data.message;
    if (typeof text === "string" && text.trim()) return text.trim();
  }
  return fallback;
}

// ---------------------------------------------------------------------------------------------
// The saved place.

class SavedPlace {
  constructor(eventId) {
    this.key = `vwr:place:${eventId}`;
  }

  load() {
    try {
      const value = JSON.parse(localStorage.getItem(this.key));
      return value && typeof value.request_id === "string" ? value : null;
    } catch {
      return null;
    }
  }

  save(place) {
    try {
      localStorage.setItem(this.key, JSON.stringify(place));
    } catch {
      // private browsing with storage disabled: the place lasts as long as the page
    }
  }

  update(fields) {
    const current = this.load();
    if (current) this.save({ ...current, ...fields });
  }

  clear() {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // see save()
    }
  }
}

// ---------------------------------------------------------------------------------------------

const HEADLINES = {
  before: "Opening soon",
  prequeue: "You are in the pre-queue",
  idle: "Join the line",
  entering: "Joining the line…",
  assigning: "You are in the line",
  waiting: "You are in the line",
  served: "You are in",
  "checking-out": "You are in",
  done: "You are all set",
  expired: "Your turn has passed",
  voided: "The line was restarted",
  broken: "Something is wrong",
};

class WaitingRoomPage {
  constructor(config) {
    this.config = config;
    this.api = new WaitingRoomApi(config);
    this.place = new SavedPlace(config.eventId);
    this.backoff = new Backoff({ baseMs: Math.max(1000, config.schedule.nearMs), maxMs: 30000 });
    this.rate = new ServingRate({ minSpanMs: Math.max(1000, 5 * config.schedule.nearMs) });
    // When the counter last moved, in this page's clock: the server's times plus the smallest
    // (this page's clock - the answer's) seen, which a fresh answer makes about the trip's time.
    this.movedAtMs = [];
    this.serverClock = new ServerClock();
    this.assignAttempts = 0; // answers of 202 since the page started waiting for its number
    this.phase = "idle";
    this.requestId = null;
    this.queueNumber = null;
    this.serving = null;
    this.waiting = null;
    this.startServing = null;
    this.expiresAt = null; // ms timestamp; null: unknown or no limit
    this.noTimeLimit = false;
    this.timer = null;
    this.clock = null;
    this.generation = 0; // bumps whenever the place changes, so stale answers are dropped
    this.lastWarning = null;
    this.lastCheck = 0;
    this.misconfigured = false;
  }

  // --- words -------------------------------------------------------------------------------

  say(text) {
    const status = $("status");
    if (status.textContent !== text) status.textContent = text;
  }

  setPhase(phase) {
    this.phase = phase;
    document.body.dataset.phase = phase;
    $("headline").textContent = HEADLINES[phase] || "";
    this.render();
  }

  /** The tab's title tells a visitor who is looking at another tab where they are. */
  updateTitle() {
    let title = "Waiting room";
    if (this.phase === "waiting" && this.queueNumber !== null && this.serving !== null) {
      const ahead = Math.max(0, this.queueNumber - this.serving - 1);
      title = `${ahead} ahead · Waiting room`;
    } else if (this.phase === "served") {
      title = "Your turn! · Waiting room";
    } else if (this.phase === "done") {
      title = "Checked out · Waiting room";
    }
    if (document.title !== title) document.title = title;
  }

  // --- start -------------------------------------------------------------------------------

  async start() {
    $("event-name").textContent = this.config.eventId;
    if (this.config.returnTo) {
      const host = this.config.returnTo.host;
      $("return-note").textContent = `When it is your turn, you will go back to ${host}.`;
      $("return-note").hidden = false;
      $("checkout").textContent = `Continue to ${host}`;
    }
    $("enter").addEventListener("click", () => this.enter());
    $("enter-again").addEventListener("click", () => this.enter());
    $("checkout").addEventListener("click", () => this.checkout());
    $("retry-now").addEventListener("click", () => this.schedule(0));
    $("leave").addEventListener("click", () => this.leave());
    $("start-over").addEventListener("click", () => this.leave("Press “Enter the line” to get a new place."));
    window.addEventListener("storage", (event) => this.onStorage(event));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.isPolling()) this.schedule(0);
    });

    if (this.config.eventProblem) {
      this.misconfigured = true;
      this.setPhase("broken");
      this.say(this.config.eventProblem);
      return;
    }
    if (!this.config.publicApi || !this.config.eventId) {
      this.misconfigured = true;
      this.setPhase("broken");
      this.say("This page is not configured: it needs the waiting room's address and an event id (config.json).");
      return;
    }
    // Once per load, not per poll: the event's name, mode and times change rarely.
    try {
      this.info = await this.api.eventInfo();
    } catch (err) {
      // 400: the waiting room does not know this event; nobody can enter it.
      this.misconfigured = true;
      this.setPhase("broken");
      this.say(`This waiting room has no event “${this.config.eventId}”: ${err.message}. Check the link you followed.`);
      return;
    }
    if (this.info && typeof this.info.name === "string" && this.info.name) {
      $("event-name").textContent = this.info.name;
    }
    const saved = this.place.load();
    if (saved) this.resume(saved);
    else this.idle();
  }

  /** Ready to enter; before a scheduled sale's pre-queue opens, a countdown to it instead. */
  idle() {
    const now = Date.now();
    if (salePhase(this.info, now) === "before") {
      this.setPhase("before");
      const opensAt = this.info.prequeue_start * 1000;
      const tick = () => {
        if (this.phase !== "before") return;
        if (Date.now() >= opensAt) return this.idle();
        this.say(`The line opens in ${countdownText(opensAt - Date.now())}. Keep this page open: the button appears then.`);
        this.timer = setTimeout(tick, Math.min(1000, opensAt - Date.now()));
      };
      tick();
      return;
    }
    this.setPhase("idle");
    const words = salePhase(this.info, now) === "prequeue" ? `${prequeueWords(this.info)} ` : "";
    this.say(`${words}Press “Enter the line” to get your place.`);
  }

  resume(saved) {
    this.generation += 1;
    this.requestId = saved.request_id;
    this.queueNumber = Number.isFinite(saved.queue_number) ? saved.queue_number : null;
    this.rate = new ServingRate({ windowMs: this.rate.windowMs, minSpanMs: this.rate.minSpanMs });
    this.movedAtMs = [];
    this.startServing = null;
    this.expiresAt = null;
    this.assignAttempts = 0;
    if (saved.receipt) {
      this.showReceipt(saved.receipt);
      return;
    }
    this.setPhase(this.queueNumber === null ? "assigning" : "waiting");
    this.say("Welcome back. Your place in the line is kept; checking where the line is now…");
    this.schedule(0);
  }

  async enter() {
    this.generation += 1;
    const generation = this.generation;
    this.place.clear();
    this.requestId = null;
    this.queueNumber = null;
    this.startServing = null;
    this.expiresAt = null;
    this.noTimeLimit = false;
    $("receipt").replaceChildren();
    this.setPhase("entering");
    this.say("Joining the line…");
    $("enter").disabled = true;
    $("enter-again").disabled = true;
    try {
      const requestId = await this.api.enter((done) => {
        if (generation === this.generation) this.say(checkingSentence(done));
      });
      if (generation !== this.generation) return;
      this.requestId = requestId;
      this.place.save({ request_id: requestId, entered_at: Date.now() });
      this.setPhase("assigning");
      this.say("You are in the line. Getting your number…");
      this.assignAttempts = 0;
      this.schedule(assignRetryMs(0, this.config.schedule));
    } catch (err) {
      if (generation !== this.generation) return;
      this.setPhase("idle");
      this.say(`Could not join the line: ${err.message}. Please try again.`);
    } finally {
      $("enter").disabled = false;
      $("enter-again").disabled = false;
    }
  }

  leave(sentence = "You left the line. Press “Enter the line” to join again.") {
    this.generation += 1;
    this.stop();
    this.place.clear();
    this.requestId = null;
    this.queueNumber = null;
    this.serving = null;
    this.waiting = null;
    this.noTimeLimit = false;
    this.expiresAt = null;
    $("receipt").replaceChildren();
    this.setPhase("idle");
    this.say(sentence);
    $("enter").focus();
  }

  onStorage(event) {
    if (event.key !== this.place.key && event.key !== null) return;
    const saved = this.place.load();
    if (!saved) return;
    if (saved.request_id !== this.requestId) {
      // another tab entered (again): follow it, it is the same visitor
      this.stop();
      this.resume(saved);
    } else if (saved.receipt && this.phase !== "done") {
      this.stop();
      this.showReceipt(saved.receipt);
    }
  }

  // --- polling -----------------------------------------------------------------------------

  isPolling() {
    return ["assigning", "prequeue", "waiting", "served"].includes(this.phase);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    clearInterval(this.clock);
    this.clock = null;
  }

  async tick() {
    if (!this.isPolling()) return;
    const generation = this.generation;
    try {
      await this.poll(generation);
      if (generation !== this.generation) return;
      this.backoff.succeed();
      this.lastWarning = null;
      $("retry-now").hidden = true;
      if (this.isPolling()) this.schedule(this.nextPollMs());
    } catch (err) {
      if (generation !== this.generation) return;
      if (err instanceof TransientError) {
        const delay = this.backoff.fail();
        this.lastWarning = err.message;
        this.say(
          `Having trouble reaching the waiting room (${err.message}). Your place is kept. ` +
            `Trying again in ${formatDuration(delay)}.`,
        );
        $("retry-now").hidden = false;
        this.schedule(delay);
      } else {
        this.finish("broken", "The waiting room refused this place in line. You can try to enter again.", err.message);
      }
    }
  }

  /** When to ask again, from where this visitor stands and how fast the line moves. */
  nextPollMs() {
    const schedule = this.config.schedule;
    if (this.phase === "assigning") return assignRetryMs(this.assignAttempts, schedule);
    if (this.phase === "prequeue") return prequeueDelayMs(this.drawAt, Date.now(), schedule.nearMs);
    // Served: the countdown runs here, and asks the server again when it reaches zero.
    if (this.phase === "served") return schedule.farMs;
    const places = this.queueNumber - this.serving;
    return linePollMs(places, this.rate, this.movedAtMs, Date.now(), schedule);
  }

  async poll(generation) {
    if (this.phase === "assigning" || this.phase === "prequeue") {
      const answer = await this.api.queueNumber(this.requestId);
      if (generation !== this.generation) return;
      if (answer.status === 202 && answer.data && answer.data.prequeue === true) return this.inPrequeue(answer.data);
      if (answer.status === 202) {
        this.assignAttempts += 1;
        this.say("You are in the line. Getting your number…");
        return;
      }
      if (answer.status === 410 || answer.status === 404) return this.voided(answer.data);
      const number = Number(answer.data && answer.data.queue_number);
      if (!Number.isFinite(number)) throw new TransientError("the answer had no queue number");
      this.queueNumber = number;
      this.place.update({ queue_number: number });
      this.setPhase("waiting");
    }

    const { serving, waiting, movedAtMs, answeredAtMs } = await this.api.line();
    if (generation !== this.generation) return;
    this.movedAtMs = this.serverClock.pageTimes(movedAtMs, answeredAtMs, Date.now());
    const unserved = serving < this.queueNumber;
    const suspicious = (this.serving !== null && serving < this.serving) || (unserved && waiting === 0);
    if (suspicious && Date.now() - this.lastCheck > Math.max(3000, 3 * this.config.schedule.nearMs)) {
      // The counters went back, or the line has nobody in it although this visitor waits: the
      // waiting room was probably reset. Ask whether this place still exists. (queue_num cannot
      // tell: its answer is cached by the CDN for long; queue_pos_expiry only for seconds.)
      this.lastCheck = Date.now();
      const check = await this.api.queuePositionExpiry(this.requestId);
      if (generation !== this.generation) return;
      if (unserved && (check.status === 410 || check.status === 404)) return this.voided(check.data);
    }
    this.serving = serving;
    this.waiting = waiting;
    this.rate.add(serving);
    if (this.startServing === null || serving < this.startServing) this.startServing = serving;

    if (serving >= this.queueNumber) {
      if (this.phase === "waiting") {
        this.setPhase("served");
        $("checkout").focus({ preventScroll: false });
      }
      // Behind an edge gate the visitor goes back by themselves, once per page load.
      if (this.config.returnTo && this.phase === "served" && !this.wentBack) {
        this.wentBack = true;
        return this.goBack();
      }
      await this.pollExpiry(generation);
    } else {
      if (this.phase === "served") {
        // The serving counter went back below this place (an operator's correction): wait again.
        clearInterval(this.clock);
        this.clock = null;
        this.expiresAt = null;
        this.noTimeLimit = false;
        this.setPhase("waiting");
      }
      this.say(this.waitingSentence());
    }
    this.render();
  }

  async pollExpiry(generation) {
    const answer = await this.api.queuePositionExpiry(this.requestId);
    if (generation !== this.generation) return;
    if (answer.status === 410) return this.ended(answer.data);
    if (answer.status === 404) return this.voided(answer.data);
    if (answer.status === 202 || (answer.data && answer.data.token_issued === true)) {
      // Expiry is disabled, or this visitor already holds a pass: the place cannot expire.
      this.noTimeLimit = true;
      this.expiresAt = null;
    } else {
      const seconds = Number(answer.data && answer.data.expires_in);
      if (Number.isFinite(seconds)) {
        this.noTimeLimit = false;
        this.expiresAt = Date.now() + seconds * 1000;
        if (seconds <= 0) return this.ended(null);
      }
    }
    this.startClock();
    if (this.phase === "served") this.say(this.servedSentence());
  }

  waitingSentence() {
    const ahead = Math.max(0, this.queueNumber - this.serving - 1);
    const people =
      ahead === 0 ? "Nobody is ahead of you: you are next." : ahead === 1 ? "1 person is ahead of you." : `${ahead} people are ahead of you.`;
    return `You are number ${this.queueNumber}. ${people} Keep this page open; it updates by itself.`;
  }

  servedSentence() {
    if (this.noTimeLimit) return "It is your turn: press “Check out” when you are ready.";
    if (this.expiresAt === null) return "It is your turn: press “Check out” to continue.";
    const left = Math.max(0, Math.round((this.expiresAt - Date.now()) / 1000));
    return `It is your turn: check out within ${formatDuration(left * 1000)}, or your place goes to the next person.`;
  }

  startClock() {
    if (this.clock) return;
    let lastMinute = null;
    this.clock = setInterval(() => {
      if (this.expiresAt === null) return this.renderCountdown();
      const left = Math.ceil((this.expiresAt - Date.now()) / 1000);
      this.renderCountdown();
      // In the last five minutes, say how long is left each time a minute has gone.
      const minute = Math.ceil(left / 60);
      if (left > 0 && left <= 300 && lastMinute !== null && minute !== lastMinute && this.phase === "served") {
        this.say(this.servedSentence());
      }
      lastMinute = minute;
      if (left <= 0 && this.phase === "served") this.schedule(0); // the server says whether it has expired
    }, 1000);
  }

  /** Held for the draw: say so, with the visitor's handle and how to check the draw. */
  async inPrequeue(data) {
    const first = this.phase !== "prequeue";
    this.drawAt = Number(data.draw_at);
    if (first) this.setPhase("prequeue");
    const info = this.info || { start_time: this.drawAt, order_at_start: "draw" };
    const left = this.drawAt * 1000 - Date.now();
    const when = left > 0 ? `The draw is in ${countdownText(left)}.` : "The draw is running: your number comes in a few seconds.";
    this.say(`${prequeueWords({ ...info, start_time: this.drawAt })} ${when}`);
    if (first && info.order_at_start === "draw") {
      const handle = await handleOf(this.requestId);
      $("sale-handle").textContent = handle;
      $("sale-check").hidden = false;
    }
  }

  /** The place was cleared (a reset), refused (no valid proof of work, a full line, too early) or is unknown. */
  voided(data) {
    const why = reason(data, "it does not know this place");
    const code = data && data.reason;
    let sentence = "Your place in line no longer counts. Press “Enter the line again” to get a new place.";
    if (code === "proof_of_work") {
      sentence = "This browser's check did not reach the waiting room in time, so the entry got no place. Press “Enter the line again” to try again.";
    } else if (code === "full") {
      sentence = "The line is full right now, so this entry got no place. You can try again later.";
    } else if (code === "not_open") {
      const opens = new Date(Number(data.opens_at) * 1000).toLocaleTimeString(undefined, { timeStyle: "short" });
      sentence = `The line was not open yet when you entered. It opens at ${opens}: press “Enter the line again” then.`;
    }
    this.finish("voided", sentence, why);
    const overflow = code === "full" && typeof data.overflow_url === "string" && data.overflow_url.startsWith("https://");
    $("overflow-link").hidden = !overflow;
    if (overflow) $("overflow-link").href = data.overflow_url;
  }

  /** A served place that can no longer be used: it expired, or its session was closed or reset. */
  ended(data) {
    const why = reason(data, "the time to check out ran out");
    const phase = data && data.reason === "reset" ? "voided" : "expired";
    this.finish(phase, "Your place can no longer be used. Press “Enter the line again” to get a new place.", why);
  }

  finish(phase, sentence, why) {
    this.stop();
    this.generation += 1;
    this.place.clear();
    this.expiresAt = null;
    this.noTimeLimit = false;
    this.setPhase(phase);
    this.say(sentence);
    $("problem-detail").textContent = `The waiting room said: ${why}.`;
    $("enter-again").focus();
  }

  // --- check-out ---------------------------------------------------------------------------

  async checkout() {
    if (this.phase !== "served") return;
    if (this.config.returnTo) return this.goBack();
    const generation = this.generation;
    const button = $("checkout");
    $("checkout-error").hidden = true;
    this.setPhase("checking-out");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    this.say("Getting your pass to the store…");
    try {
      const token = await this.api.generateToken(this.requestId);
      if (generation !== this.generation) return;
      if (token.status === 202) {
        this.setPhase("waiting");
        this.say("The waiting room says it is not your turn yet. Waiting a little longer…");
        this.schedule(this.config.schedule.nearMs);
        return;
      }
      if (token.status === 410) return this.ended(token.data);
      if (token.status === 404) return this.voided(token.data);
      const accessToken = token.data && token.data.access_token;
      if (!accessToken) throw new TransientError("the pass came without an access token");
      this.say("Checking out at the store…");
      const receipt = await this.api.checkout(accessToken, this.config.order);
      if (generation !== this.generation) return;
      this.place.update({ receipt: receipt.data ?? {} });
      this.showReceipt(receipt.data ?? {});
    } catch (err) {
      if (generation !== this.generation) return;
      this.setPhase("served");
      const message = err instanceof RequestError || err instanceof TransientError ? err.message : String(err);
      $("checkout-error").textContent = `Check-out failed: ${message}. Your place is still held; you can try again.`;
      $("checkout-error").hidden = false;
      this.say(`Check-out failed: ${message}. You can try again.`);
      this.schedule(this.config.schedule.nearMs);
      button.focus();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  /** Behind an edge gate: back to the page the visitor asked for, with the pass the gate wants. */
  async goBack() {
    const generation = this.generation;
    const returnTo = this.config.returnTo;
    $("checkout-error").hidden = true;
    this.setPhase("checking-out");
    this.say(`Taking you back to ${returnTo.host}…`);
    try {
      const answer = await this.api.edgePass(this.requestId, returnTo);
      if (generation !== this.generation) return;
      if (answer.status === 202) {
        this.setPhase("waiting");
        this.schedule(this.config.schedule.nearMs);
        return;
      }
      if (answer.status === 410) return this.ended(answer.data);
      if (answer.status === 404) return this.voided(answer.data);
      const next = answer.data && answer.data.location;
      if (typeof next !== "string" || !next.startsWith(returnTo.address)) {
        throw new TransientError("the waiting room answered an unexpected address");
      }
      this.stop();
      location.assign(next);
    } catch (err) {
      if (generation !== this.generation) return;
      this.setPhase("served");
      const message = err instanceof RequestError || err instanceof TransientError ? err.message : String(err);
      $("checkout-error").textContent = `Going back failed: ${message}. Your place is still held; you can try again.`;
      $("checkout-error").hidden = false;
      this.say(`Going back failed: ${message}. You can try again.`);
    }
  }

  showReceipt(data) {
    this.stop();
    renderReceipt($("receipt"), data);
    this.setPhase("done");
    this.say("Check-out complete. Your receipt is below.");
    $("receipt-heading").focus();
  }

  // --- drawing -----------------------------------------------------------------------------

  render() {
    const phase = this.phase;
    const show = (id, visible) => {
      $(id).hidden = !visible;
    };
    show("enter-panel", phase === "idle" || phase === "entering");
    show("sale-check", phase === "prequeue" && !$("sale-check").hidden);
    show("numbers", ["assigning", "waiting", "served", "checking-out"].includes(phase));
    show("estimate-panel", phase === "assigning" || phase === "waiting");
    show("served-panel", phase === "served" || phase === "checking-out");
    show("receipt-panel", phase === "done");
    show("again-panel", phase === "voided" || phase === "expired" || (phase === "broken" && !this.misconfigured));
    show("leave", ["assigning", "waiting"].includes(phase));

    const dash = "—";
    $("my-number").textContent = this.queueNumber ?? dash;
    $("serving").textContent = this.serving ?? dash;
    $("waiting").textContent = this.waiting ?? dash;
    const ahead = this.queueNumber !== null && this.serving !== null ? Math.max(0, this.queueNumber - this.serving - 1) : null;
    $("ahead").textContent = ahead ?? dash;
    // The line's size counts people whose turn came and who have not checked out yet: next to
    // "Ahead of you: 0" it would read as a mistake, and then it is not what the visitor needs.
    show("waiting-tile", ahead !== 0 && phase !== "served" && phase !== "checking-out");

    // How far this visitor has come since the page started watching.
    const bar = $("progress");
    if (phase === "waiting" && this.queueNumber !== null && this.serving !== null) {
      const span = Math.max(1, this.queueNumber - (this.startServing ?? 0));
      const done = Math.min(span, Math.max(0, this.serving - (this.startServing ?? 0)));
      const percent = Math.round((done / span) * 100);
      bar.hidden = false;
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", ahead === 0 ? "your turn" : `${ahead} ahead of you`);
      $("progress-fill").style.width = `${Math.max(3, percent)}%`;
    } else {
      bar.hidden = true;
    }

    this.renderEstimate();
    this.renderCountdown();
    this.updateTitle();
  }

  renderEstimate() {
    const out = $("estimate");
    const note = $("estimate-note");
    if (this.phase === "assigning" || this.queueNumber === null || this.serving === null) {
      out.textContent = "Not yet known";
      note.textContent = "An estimate appears once you have a number and the line has moved.";
      return;
    }
    const estimate = estimateWait(this.queueNumber - this.serving, this.rate);
    if (estimate.kind === "served") {
      out.textContent = "Now";
      note.textContent = "";
    } else if (estimate.kind === "unknown") {
      out.textContent = "Cannot estimate yet";
      note.textContent = estimate.reason;
    } else {
      out.textContent = formatRange(estimate.lowMs, estimate.highMs);
      note.textContent = "From how fast the line has moved while this page was open.";
    }
  }

  renderCountdown() {
    const clock = $("countdown");
    const note = $("countdown-note");
    if (this.noTimeLimit) {
      clock.textContent = "No time limit";
      note.textContent = "Your place is held until you check out.";
      $("countdown-bar").hidden = true;
      return;
    }
    if (this.expiresAt === null) {
      clock.textContent = "…";
      note.textContent = "Checking how long your place is held.";
      $("countdown-bar").hidden = true;
      return;
    }
    const left = Math.max(0, Math.ceil((this.expiresAt - Date.now()) / 1000));
    clock.textContent = formatClock(left);
    note.textContent = "Time left to check out before your place goes to the next person.";
    if (this.holdTotal === undefined || left > this.holdTotal) this.holdTotal = left;
    $("countdown-bar").hidden = false;
    $("countdown-fill").style.width = `${this.holdTotal ? Math.round((left / this.holdTotal) * 100) : 0}%`;
    document.body.classList.toggle("hurry", left <= 60);
  }
}

const config = await loadConfig();
const page = new WaitingRoomPage(config);
window.waitingRoom = page; // for people (and tests) poking at it from the console
await page.start();
