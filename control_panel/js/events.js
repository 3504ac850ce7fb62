// The registry's events in the panel: an event's settings in words, and the form that creates or
// changes one (its fields to and from the event's JSON of GET /events, POST /events and
// PATCH /events/{event_id}).

const NUMBERS = ["increment_by", "capacity", "token_validity_seconds", "queue_position_expiry_seconds", "pow_difficulty", "max_waiting"];
const TIMES = ["start_time", "end_time", "prequeue_start"];
const FLAGS = ["enable_queue_position_expiry", "incr_serving_on_expiry"];
// Chosen from a list: the field's name -> the value a new event starts with.
const CHOICES = { inlet: "none", mode: "queue", order_at_start: "arrival" };
const SETTABLE = ["name", "overflow_url", ...Object.keys(CHOICES), ...NUMBERS, ...TIMES, ...FLAGS];

const pad = (n) => String(n).padStart(2, "0");

/**
 * Epoch seconds as a datetime-local input's value, in the browser's time zone, to the second (so
 * an unchanged time reads back the same); "" for 0 (open).
 */
export function toLocalInput(seconds) {
  if (!seconds) return "";
  const d = new Date(seconds * 1000);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${time}`;
}

/** A datetime-local input's value (local time) as epoch seconds; 0 when empty. */
export function fromLocalInput(value) {
  return value ? Math.round(new Date(value).getTime() / 1000) : 0;
}

function labelOf(input) {
  const label = input.closest("label");
  return label ? label.firstChild.textContent.trim() : input.name;
}

/** Shows `event` in the form; a new event (`event.event_id` empty) gets an editable id. */
export function fillForm(form, event) {
  const fields = form.elements;
  fields.event_id.value = event.event_id || "";
  fields.event_id.readOnly = Boolean(event.event_id);
  fields.name.value = event.event_id ? event.name || "" : "";
  for (const [name, initial] of Object.entries(CHOICES)) fields[name].value = event[name] || initial;
  fields.overflow_url.value = event.overflow_url || "";
  for (const name of NUMBERS) fields[name].value = event[name] ?? "";
  for (const name of TIMES) fields[name].value = toLocalInput(Number(event[name]) || 0);
  for (const name of FLAGS) fields[name].checked = Boolean(event[name]);
  for (const input of form.querySelectorAll("[aria-invalid]")) input.setAttribute("aria-invalid", "false");
  showInletFields(form);
}

/** Only the chosen inlet's settings are shown. */
export function showInletFields(form) {
  const inlet = form.elements.inlet.value;
  for (const field of form.querySelectorAll("[data-inlet]")) field.hidden = field.dataset.inlet !== inlet;
}

/**
 * {values, problems}: the form's settings as the API takes them (an empty number is left out: the
 * deployment's default for a new event, unchanged for an existing one), and what is wrong in words.
 */
export function readForm(form) {
  const fields = form.elements;
  const values = { event_id: fields.event_id.value.trim(), overflow_url: fields.overflow_url.value.trim() };
  for (const name of Object.keys(CHOICES)) values[name] = fields[name].value;
  const problems = [];
  if (!values.event_id) problems.push(fields.event_id);
  if (values.overflow_url && !values.overflow_url.startsWith("https://")) problems.push(fields.overflow_url);
  const name = fields.name.value.trim();
  if (name) values.name = name;
  for (const field of NUMBERS) {
    const raw = fields[field].value.trim();
    if (fields[field].validity.badInput || (raw && !/^\d+$/.test(raw))) problems.push(fields[field]);
    else if (raw) values[field] = Number(raw);
  }
  for (const field of TIMES) {
    if (fields[field].validity.badInput) problems.push(fields[field]);
    else values[field] = fromLocalInput(fields[field].value);
  }
  for (const field of FLAGS) values[field] = fields[field].checked;
  for (const input of form.querySelectorAll("input")) input.setAttribute("aria-invalid", String(problems.includes(input)));
  return {
    values,
    problems: problems.map((input) => PROBLEMS[input.name] || `${labelOf(input)}: a whole number`),
  };
}

const PROBLEMS = {
  event_id: "an event id is needed",
  overflow_url: "Where a full line sends people: an address starting with https://, or empty",
};

/** What PATCH /events/{event_id} needs to turn `event` into `values`: the fields that differ, and
 * the version they were read in. */
export function changes(event, values) {
  const body = { version: event.version };
  for (const field of SETTABLE) {
    if (field in values && values[field] !== event[field]) body[field] = values[field];
  }
  return body;
}

function seconds(value) {
  const n = Number(value);
  if (!Number.isFinite(n)) return "?";
  if (n % 3600 === 0 && n >= 3600) return `${n / 3600} h`;
  if (n % 60 === 0 && n >= 60) return `${n / 60} min`;
  return `${n} s`;
}

function when(value) {
  return new Date(value * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** The event's settings in one line of words. */
export function describeEvent(event) {
  const parts = [];
  if (event.inlet === "periodic") {
    const window = [event.start_time ? `from ${when(event.start_time)}` : "", event.end_time ? `until ${when(event.end_time)}` : ""];
    parts.push(`Periodic inlet: ${event.increment_by} people a minute ${window.filter(Boolean).join(" ") || "at any time"}`);
  } else if (event.inlet === "max_size") {
    parts.push(`Max size inlet: up to ${event.capacity} sessions at once`);
  } else {
    parts.push("No inlet: people are let in from this panel");
  }
  parts.push(`sessions last ${seconds(event.token_validity_seconds)}`);
  parts.push(
    event.enable_queue_position_expiry
      ? `a served place is held ${seconds(event.queue_position_expiry_seconds)}${event.incr_serving_on_expiry ? ", then the next person is let in" : ""}`
      : "a served place is held until used",
  );
  if (event.prequeue_start) {
    const order = event.order_at_start === "draw" ? "numbered by a published draw" : "numbered by arrival";
    parts.push(`pre-queue from ${when(event.prequeue_start)}, ${order} at ${when(event.start_time)}`);
  }
  if (event.max_waiting) parts.push(`at most ${event.max_waiting} waiting${event.overflow_url ? `, then ${event.overflow_url}` : ""}`);
  if (event.mode === "open") parts.push("the edge gate lets everyone through");
  if (event.mode === "closed") parts.push("the edge gate answers “closed”");
  if (event.pow_difficulty) parts.push(`proof of work of ${event.pow_difficulty} bits`);
  if (event.default) parts.push("the deployment's own event (it cannot be deleted)");
  return parts.join(" · ");
}
