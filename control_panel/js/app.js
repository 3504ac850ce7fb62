// The control panel: the deployment's events (switch, create, change, delete), live counters of
// the chosen one, a chart of them, and the operator's two levers (increment the serving counter,
// reset). Private API calls are signed in the page with SigV4. The chosen event is kept in the
// address (`?event_id=`), so a reload or a shared link shows the same event.

import { ApiError, OperatorApi } from "./api.js";
import { TimeChart } from "./chart.js";
import { changes, describeEvent, fillForm, readForm, showInletFields } from "./events.js";

const $ = (id) => document.getElementById(id);
const STORAGE_KEY = "vwr:control-panel";
const FIELDS = ["public_api", "private_api", "region", "access_key_id", "secret_access_key", "session_token"];
const REQUIRED = FIELDS.filter((f) => f !== "session_token");
const DEFAULT_POLL_MS = 2000;
const EXPIRED_PAGE = 100;

// Colour and dash differ, so lines that coincide stay visible and no one depends on colour alone.
const SERIES = [
  { key: "serving", label: "Serving counter", color: "#4f46e5", width: 3.5, dash: "" },
  { key: "queue", label: "Queue counter", color: "#0891b2", width: 2.5, dash: "7 5" },
  { key: "waiting", label: "Waiting", color: "#d97706", width: 2.5, dash: "2 4" },
  { key: "active", label: "Active tokens", color: "#16a34a", width: 2, dash: "" },
  { key: "expired", label: "Expired tokens", color: "#dc2626", width: 2, dash: "10 3 2 3" },
];

// ---------------------------------------------------------------------------------------------
// Settings: config.json (deployment), then what the operator typed in this tab (sessionStorage).

async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) return await response.json();
    // The local runtime keeps its keys from a page not opened on the machine itself: it still
    // sends the endpoints, and says why the keys are missing.
    const refused = await response.json();
    return { ...(refused.config || {}), refusal: refused.error };
  } catch {
    // no configuration deployed
  }
  return {};
}

// The query string of links made for the retired solution's panel. Its values fill only what the
// configuration and the operator's own entries leave empty: a link cannot redirect a configured
// panel, or the keys an operator typed, to another API.
const RETIRED_QUERY = { public_api: "publicApiUrl", private_api: "privateApiUrl", region: "regionName", event_id: "eventId" };

function retiredQuery() {
  const params = new URLSearchParams(location.search);
  const values = {};
  for (const [field, name] of Object.entries(RETIRED_QUERY)) values[field] = (params.get(name) || "").trim();
  return values;
}

function readSession() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || {};
  } catch {
    return {};
  }
}

function writeSession(values) {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(values));
  } catch {
    // storage disabled: the settings last as long as the page
  }
}

function pollInterval(config) {
  const fromQuery = Number(new URLSearchParams(location.search).get("poll"));
  if (Number.isFinite(fromQuery) && fromQuery >= 50) return fromQuery;
  const fromConfig = Number(config.poll ?? config.poll_interval_ms);
  return Number.isFinite(fromConfig) && fromConfig >= 50 ? fromConfig : DEFAULT_POLL_MS;
}

function formatNumber(value) {
  return Number.isFinite(value) ? value.toLocaleString() : "—";
}

function describeError(err) {
  if (err instanceof ApiError) {
    const where = `${err.api} API ${err.path}`;
    return err.status ? `${where} answered ${err.status}: ${err.message}` : `${where}: ${err.message}`;
  }
  return err && err.message ? err.message : String(err);
}

/** The same refusal from several routes (wrong keys, say) is said once, naming the routes. */
function summarizeErrors(errors) {
  const groups = new Map();
  for (const err of errors) {
    if (!(err instanceof ApiError)) {
      groups.set(describeError(err), null);
      continue;
    }
    const key = `${err.api}|${err.status}|${err.message}`;
    if (!groups.has(key)) groups.set(key, { err, paths: [] });
    groups.get(key).paths.push(err.path);
  }
  return [...groups.entries()]
    .map(([key, group]) => {
      if (!group) return key;
      const { err, paths } = group;
      const where = `${err.api} API ${paths.join(", ")}`;
      return err.status ? `${where} answered ${err.status}: ${err.message}` : `${where}: ${err.message}`;
    })
    .join(" · ");
}

// ---------------------------------------------------------------------------------------------

class ControlPanel {
  constructor(config) {
    this.config = config;
    this.pollMs = pollInterval(config);
    this.api = null;
    this.events = []; // as GET /events answered; one unlisted entry when it could not answer
    this.eventId = "";
    this.editing = null; // the event the form changes; null: it creates one
    this.timer = null;
    this.failures = 0;
    this.generation = 0; // bumps with every change of keys or event, so stale answers are dropped
    this.connections = 0; // bumps with every Connect
    // The time axis starts short so that a fresh panel (or a fast test) shows a readable chart.
    const minSpanMs = Math.min(60 * 1000, Math.max(6000, 30 * this.pollMs));
    this.chart = new TimeChart($("chart"), SERIES, { minSpanMs });
    this.form = $("settings-form");
  }

  start() {
    this.fillForm();
    this.drawLegend({});
    this.chart.draw();
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.connect();
    });
    $("forget").addEventListener("click", () => this.forget());
    $("increment-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.increment();
    });
    $("reset").addEventListener("click", () => this.askReset());
    $("reset-dialog").addEventListener("close", () => {
      if ($("reset-dialog").returnValue === "reset") this.reset();
      else $("reset").focus();
    });
    $("event-select").addEventListener("change", (event) => {
      this.selectEvent(event.target.value);
      this.log(`Showing event ${this.eventId}.`, "info");
    });
    $("event-new").addEventListener("click", () => this.openEventForm(null));
    $("event-edit").addEventListener("click", () => this.openEventForm(this.currentEvent()));
    $("event-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.saveEvent();
    });
    $("event-form").elements.inlet.addEventListener("change", () => showInletFields($("event-form")));
    $("event-cancel").addEventListener("click", () => $("event-dialog").close());
    $("event-delete").addEventListener("click", () => this.askDelete());
    $("delete-dialog").addEventListener("close", () => {
      if ($("delete-dialog").returnValue === "delete") this.deleteEvent();
      else $("event-delete").focus();
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.api) this.schedule(0);
    });
    this.setActionsEnabled(false);
    if (this.config.refusal) {
      // Shown beside the key fields, where the operator pastes them.
      $("settings-error").textContent = `No keys from the server: ${this.config.refusal}.`;
      $("settings-error").hidden = false;
    }
    if (REQUIRED.every((f) => this.form.elements[f].value.trim())) this.connect({ quiet: true });
    else this.log("Fill in the connection to start.", "info");
  }

  fillForm() {
    const saved = readSession();
    const retired = retiredQuery();
    for (const field of FIELDS) {
      const value = saved[field] ?? this.config[field] ?? "";
      this.form.elements[field].value = value || retired[field] || "";
    }
  }

  formValues() {
    const values = {};
    for (const field of FIELDS) values[field] = this.form.elements[field].value.trim();
    return values;
  }

  connect({ quiet = false } = {}) {
    const values = this.formValues();
    const missing = REQUIRED.filter((f) => !values[f]);
    const problems = missing.map((f) => this.form.elements[f].closest("label").firstChild.textContent.trim());
    for (const field of ["public_api", "private_api"]) {
      if (values[field] && !/^https?:\/\/[^\s/]+/i.test(values[field])) problems.push(`${field.replace("_", " ")} must be an http(s) URL`);
    }
    for (const field of FIELDS) this.form.elements[field].setAttribute("aria-invalid", String(missing.includes(field)));
    if (problems.length) {
      $("settings-error").textContent = `Missing or invalid: ${problems.join(", ")}.`;
      $("settings-error").hidden = false;
      return;
    }
    $("settings-error").hidden = true;
    writeSession(values);
    this.generation += 1;
    this.connections += 1;
    this.failures = 0;
    this.api = new OperatorApi({
      publicApi: values.public_api,
      privateApi: values.private_api,
      region: values.region,
      accessKeyId: values.access_key_id,
      secretAccessKey: values.secret_access_key,
      sessionToken: values.session_token || undefined,
    });
    $("settings-summary").textContent = `${values.region} · ${values.access_key_id}`;
    this.setConnection("connecting", "Connecting…");
    if (!quiet) this.log(`Connecting as ${values.access_key_id}.`, "info");
    this.setActionsEnabled(true);
    const wanted = new URLSearchParams(location.search).get("event_id") || this.config.event_id;
    this.loadEvents(wanted || retiredQuery().event_id || "");
  }

  // --- events ------------------------------------------------------------------------------

  currentEvent() {
    return this.events.find((event) => event.event_id === this.eventId) || null;
  }

  /** Fills the switcher from GET /events and shows `wanted`, else the deployment's own event. */
  async loadEvents(wanted) {
    const api = this.api;
    let note = "";
    try {
      this.events = await api.listEvents();
    } catch (err) {
      // A deployment older than the event registry, or keys not allowed its route: the event the
      // panel was configured with (or the address names) still works.
      note = `The events could not be listed: ${describeError(err)}.`;
      this.events = wanted ? [{ event_id: wanted, name: wanted, unlisted: true }] : [];
      this.log(note, "error");
    }
    if (api !== this.api) return; // the keys were forgotten or changed meanwhile
    const chosen =
      this.events.find((event) => event.event_id === wanted) || this.events.find((event) => event.default) || this.events[0];
    if (wanted && chosen && chosen.event_id !== wanted) {
      this.log(`There is no event ${wanted}; showing ${chosen.event_id}.`, "error");
    }
    const select = $("event-select");
    select.replaceChildren(
      ...this.events.map((event) => {
        const name = event.name && event.name !== event.event_id ? `${event.name} (${event.event_id})` : event.event_id;
        return new Option(event.default ? `${name}, the deployment's own` : name, event.event_id);
      }),
    );
    select.disabled = this.events.length === 0;
    this.selectEvent(chosen ? chosen.event_id : "", note);
  }

  /** Every counter, chart, action and the address from now on concern `eventId`. */
  selectEvent(eventId, note = "") {
    this.generation += 1;
    this.failures = 0;
    this.eventId = eventId;
    this.api.eventId = eventId;
    $("event-select").value = eventId;
    const url = new URL(location.href);
    if (eventId) url.searchParams.set("event_id", eventId);
    history.replaceState(null, "", url);
    document.title = `${eventId ? `${eventId} · ` : ""}Control panel · Waiting room`;
    $("reset-event").textContent = eventId;
    const event = this.currentEvent();
    $("event-summary").textContent = event && !event.unlisted ? describeEvent(event) : note;
    $("event-message").hidden = true;
    this.updateEventButtons();
    this.chart.clear();
    this.show({});
    $("expired-summary").textContent = "Not loaded yet.";
    $("expired-list").replaceChildren();
    $("expired-list").dataset.shown = "";
    if (eventId) this.schedule(0);
  }

  updateEventButtons() {
    const event = this.currentEvent();
    const listed = Boolean(this.api && event && !event.unlisted);
    $("event-new").disabled = !this.api || this.events.some((e) => e.unlisted);
    $("event-edit").disabled = !listed;
    $("event-delete").disabled = !listed || event.default === true;
    $("event-delete").title = event && event.default ? "The deployment's own event cannot be deleted." : "";
  }

  /** The form for a new event (prefilled with the deployment's own settings) or for `event`. */
  openEventForm(event) {
    if (!this.api) return;
    this.editing = event;
    const template = event || { ...(this.events.find((e) => e.default) || {}), event_id: "" };
    const form = $("event-form");
    fillForm(form, template);
    $("event-title").textContent = event ? `Change event ${event.event_id}` : "New event";
    $("event-save").textContent = event ? "Save the changes" : "Create the event";
    $("event-error").hidden = true;
    $("event-dialog").showModal();
    form.elements[event ? "name" : "event_id"].focus();
  }

  async saveEvent() {
    const { values, problems } = readForm($("event-form"));
    const error = $("event-error");
    if (problems.length) {
      error.textContent = `Please correct: ${problems.join("; ")}.`;
      error.hidden = false;
      return;
    }
    const editing = this.editing;
    const button = $("event-save");
    button.disabled = true;
    try {
      if (editing) {
        const body = changes(editing, values);
        if (Object.keys(body).length > 2) {
          const event = await this.api.updateEvent(editing.event_id, body);
          this.log(`Event ${editing.event_id} changed${event ? `: version ${event.version}` : ""}.`, "ok");
        }
      } else {
        await this.api.createEvent(values);
        this.log(`Event ${values.event_id} created.`, "ok");
      }
      $("event-dialog").close();
      await this.loadEvents(values.event_id);
    } catch (err) {
      // The API's own words: what is wrong with a setting, an id that exists, a stale version.
      const stale = err instanceof ApiError && err.status === 409 && editing;
      error.textContent = `${describeError(err)}${stale ? ". Close the form and open it again to see the event as it is now." : ""}`;
      error.hidden = false;
      this.log(`${editing ? "Changing" : "Creating"} event ${values.event_id} failed: ${describeError(err)}`, "error");
      if (stale) this.events = await this.api.listEvents().catch(() => this.events);
    } finally {
      button.disabled = false;
    }
  }

  askDelete() {
    const event = this.currentEvent();
    if (!event || event.default) return;
    $("delete-event").textContent = event.event_id;
    $("delete-dialog").returnValue = "";
    $("delete-dialog").showModal();
  }

  async deleteEvent() {
    const eventId = this.eventId;
    try {
      await this.api.deleteEvent(eventId);
      this.log(`Event ${eventId} deleted.`, "ok");
      await this.loadEvents("");
    } catch (err) {
      $("event-message").textContent = `Deleting event ${eventId} failed: ${describeError(err)}`;
      $("event-message").hidden = false;
      this.log($("event-message").textContent, "error");
      $("event-delete").focus();
    }
  }

  forget() {
    this.generation += 1;
    clearTimeout(this.timer);
    this.api = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
    for (const field of ["access_key_id", "secret_access_key", "session_token"]) this.form.elements[field].value = "";
    this.setActionsEnabled(false);
    this.updateEventButtons();
    this.setConnection("off", "Not connected");
    $("settings").open = true;
    this.log("Keys forgotten. Polling stopped.", "info");
  }

  setActionsEnabled(enabled) {
    for (const id of ["increment", "reset", "increment-by", "event-select"]) $(id).disabled = !enabled;
  }

  setConnection(state, text) {
    const pill = $("connection");
    pill.dataset.state = state;
    if (pill.textContent !== text) pill.textContent = text;
  }

  // --- polling -----------------------------------------------------------------------------

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), ms);
  }

  async refresh() {
    const api = this.api;
    if (!api || !this.eventId) return;
    const { generation, connections } = this;
    const calls = await Promise.allSettled([api.counters(), api.waitingNum(), api.activeTokens(), api.expiredTokens(EXPIRED_PAGE)]);
    if (generation !== this.generation) return;
    const [counters, waiting, active, expired] = calls.map((c) => (c.status === "fulfilled" ? c.value : null));
    const errors = calls.filter((c) => c.status === "rejected").map((c) => c.reason);
    this.show({ counters, waiting, active, expired });

    if (errors.length) {
      this.failures += 1;
      const banner = $("failure");
      const text = `Failed: ${summarizeErrors(errors)}`;
      if (banner.textContent !== text) {
        banner.textContent = text;
        if (this.failures === 1 || banner.hidden) this.log(text, "error");
      }
      banner.hidden = false;
      const allFailed = errors.length === calls.length;
      this.setConnection("failing", allFailed ? "Failing" : "Partly failing");
      // back off with jitter: 2, 4, 8… up to 30 seconds
      const ceiling = Math.min(30000, this.pollMs * 2 ** Math.min(this.failures, 8));
      this.schedule(ceiling / 2 + Math.random() * (ceiling / 2));
    } else {
      if (this.failures || this.connectionLogged !== connections) {
        if (this.failures) this.log("Calls succeed again.", "ok");
        else this.log("Connected: counters are live.", "ok");
        this.connectionLogged = connections;
      }
      this.failures = 0;
      $("failure").hidden = true;
      $("failure").textContent = "";
      this.setConnection("live", "Live");
      if ($("settings").open && this.autoCollapse !== connections) {
        this.autoCollapse = connections;
        $("settings").open = false;
      }
      this.schedule(this.pollMs);
    }
  }

  show({ counters, waiting, active, expired }) {
    const set = (id, value) => {
      const el = $(id);
      const text = typeof value === "string" ? value : formatNumber(value);
      if (el.textContent !== text) el.textContent = text;
      el.closest(".tile").classList.toggle("stale", value === null || value === undefined);
    };
    const c = counters || {};
    set("t-serving", counters ? Number(c.serving_counter) : null);
    set("t-queue", counters ? Number(c.queue_counter) : null);
    set("t-tokens", counters ? Number(c.token_counter) : null);
    set("t-expired", counters ? Number(c.expired_queue_counter) : null);
    set("t-completed", counters ? Number(c.completed_counter) : null);
    set("t-abandoned", counters ? Number(c.abandoned_counter) : null);
    set("t-max-expired", counters ? Number(c.max_queue_position_expired) : null);
    set("t-full-refused", counters ? Number(c.full_refused_counter ?? 0) : null);
    // The deployment's entries the worker failed on, redriven each minute; a core that does not
    // report it leaves the tile stale rather than showing a 0 it does not know.
    set("t-dead-letters", counters && c.dead_letter_entries !== undefined ? Number(c.dead_letter_entries) : null);
    set("t-waiting", waiting ? Number(waiting.waiting_num) : null);
    set("t-active", active ? Number(active.active_tokens) : null);

    // The count comes from the counters: tokens issued that are neither active nor closed ran out.
    const expiredCount =
      counters && active
        ? Math.max(0, Number(c.token_counter) - Number(c.completed_counter) - Number(c.abandoned_counter) - Number(active.active_tokens))
        : null;
    set("t-expired-tokens", expiredCount);
    if (expired) {
      const { ids, more } = expired;
      $("expired-summary").textContent = ids.length
        ? `${more ? "The first " : ""}${ids.length} expired token${ids.length === 1 ? "" : "s"}${more ? "; there are more" : ""}. Request ids are shortened.`
        : "No expired tokens.";
      const list = $("expired-list");
      const shown = ids.slice(0, 20).map((id) => `${String(id).slice(0, 8)}…`);
      if (list.dataset.shown !== shown.join()) {
        list.dataset.shown = shown.join();
        list.replaceChildren(
          ...shown.map((id) => {
            const li = document.createElement("li");
            li.textContent = id;
            return li;
          }),
        );
      }
    }

    if (counters || waiting || active || expired) {
      const values = {
        serving: counters ? Number(c.serving_counter) : undefined,
        queue: counters ? Number(c.queue_counter) : undefined,
        waiting: waiting ? Number(waiting.waiting_num) : undefined,
        active: active ? Number(active.active_tokens) : undefined,
        expired: expiredCount ?? undefined,
      };
      this.chart.add(values);
      this.drawLegend(values);
      $("updated").textContent = `Updated ${new Date().toLocaleTimeString()} · every ${(this.pollMs / 1000).toLocaleString()} s`;
    }
  }

  drawLegend(values) {
    const legend = $("legend");
    legend.replaceChildren(
      ...SERIES.map((s) => {
        const li = document.createElement("li");
        const swatch = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        swatch.setAttribute("class", "swatch");
        swatch.setAttribute("viewBox", "0 0 22 6");
        swatch.setAttribute("aria-hidden", "true");
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        for (const [k, v] of Object.entries({ x1: 0, y1: 3, x2: 22, y2: 3, stroke: s.color, "stroke-width": Math.min(3, s.width) })) {
          line.setAttribute(k, String(v));
        }
        if (s.dash) line.setAttribute("stroke-dasharray", s.dash);
        swatch.appendChild(line);
        li.append(swatch, `${s.label} `);
        const value = document.createElement("strong");
        value.textContent = formatNumber(values[s.key]);
        li.append(value);
        return li;
      }),
    );
  }

  // --- actions -----------------------------------------------------------------------------

  async increment() {
    if (!this.api) return;
    const input = $("increment-by");
    const raw = input.value.trim();
    const by = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(by) || by === 0) {
      input.setAttribute("aria-invalid", "true");
      this.log("The increment must be a whole number other than zero.", "error");
      input.focus();
      return;
    }
    input.setAttribute("aria-invalid", "false");
    const button = $("increment");
    button.disabled = true;
    const { eventId, generation } = this;
    try {
      const answer = await this.api.incrementServingCounter(by);
      const now = answer && Number.isFinite(Number(answer.serving_num)) ? Number(answer.serving_num) : null;
      this.log(`Serving counter incremented by ${by}${now === null ? "" : `: now ${now}`} (event ${eventId}).`, "ok");
      if (now !== null && generation === this.generation) $("t-serving").textContent = formatNumber(now);
      this.schedule(0);
    } catch (err) {
      this.log(`Increment failed: ${describeError(err)}`, "error");
    } finally {
      button.disabled = !this.api;
    }
  }

  askReset() {
    if (!this.api) return;
    $("reset-dialog").returnValue = "";
    $("reset-dialog").showModal();
  }

  async reset() {
    if (!this.api) return;
    const button = $("reset");
    button.disabled = true;
    try {
      const eventId = this.eventId;
      const answer = await this.api.reset();
      const message = answer && answer.message ? `: ${answer.message}` : ".";
      this.log(`Waiting room reset (event ${eventId})${message}`, "ok");
      this.chart.clear();
      this.schedule(0);
    } catch (err) {
      this.log(`Reset failed: ${describeError(err)}`, "error");
    } finally {
      button.disabled = !this.api;
      button.focus();
    }
  }

  log(text, kind = "info") {
    const list = $("log");
    const item = document.createElement("li");
    item.className = `log-${kind}`;
    const time = document.createElement("time");
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString();
    const label = document.createElement("span");
    label.className = "log-kind";
    label.textContent = kind === "error" ? "Failed" : kind === "ok" ? "Done" : "Note";
    const message = document.createElement("span");
    message.className = "log-text";
    message.textContent = text;
    item.append(time, label, message);
    list.prepend(item);
    while (list.children.length > 50) list.lastElementChild.remove();
  }
}

const config = await loadConfig();
const panel = new ControlPanel(config);
panel.start();
window.controlPanel = panel;
