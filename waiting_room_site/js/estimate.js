// The estimated wait, from the serving rate this page has itself observed.
//
// The serving counter moves in steps (an inlet strategy or an operator adds a batch at a time), so
// the rate is measured over a sliding window from the oldest sample to now: a counter that stops
// moving makes the rate, and so the estimate, drift honestly instead of freezing. The range is wide
// when few steps were seen and narrows as more are observed.

export class ServingRate {
  /**
   * @param {object} [options]
   * @param {number} [options.windowMs] how far back samples count
   * @param {number} [options.minSpanMs] how long to observe before any estimate
   */
  constructor({ windowMs = 10 * 60 * 1000, minSpanMs = 10 * 1000 } = {}) {
    this.windowMs = windowMs;
    this.minSpanMs = minSpanMs;
    this.samples = [];
  }

  add(value, time = Date.now()) {
    if (!Number.isFinite(value)) return;
    const last = this.samples[this.samples.length - 1];
    if (last && value < last.value) this.samples = []; // a reset: start over
    this.samples.push({ value, time });
    // Keep the newest sample that is older than the window, so the span covers the whole window.
    while (this.samples.length > 2 && this.samples[1].time <= time - this.windowMs) this.samples.shift();
  }

  /** How many times the counter was seen to move within the window. */
  steps() {
    let n = 0;
    for (let i = 1; i < this.samples.length; i++) if (this.samples[i].value > this.samples[i - 1].value) n++;
    return n;
  }

  /** How long this page has watched the counter (since the oldest sample kept). */
  watchedMs(now = Date.now()) {
    return this.samples.length ? now - this.samples[0].time : 0;
  }

  /** The largest single move of the counter within the window. */
  largestStep() {
    let step = 0;
    for (let i = 1; i < this.samples.length; i++) step = Math.max(step, this.samples[i].value - this.samples[i - 1].value);
    return step;
  }

  /** Positions per millisecond, or null when it cannot be told yet. */
  rate(now = Date.now()) {
    if (this.samples.length < 2) return null;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const span = now - first.time;
    if (span < this.minSpanMs || last.value <= first.value) return null;
    return (last.value - first.value) / span;
  }
}

/**
 * `reason` is a sentence the page shows as it is.
 * @returns {{kind: "served"} | {kind: "unknown", reason: string} | {kind: "range", lowMs: number, highMs: number}}
 */
export function estimateWait(ahead, rate, now = Date.now()) {
  if (ahead <= 0) return { kind: "served" };
  const perMs = rate.rate(now);
  if (perMs === null) {
    const reason =
      rate.samples.length < 2 || now - rate.samples[0].time < rate.minSpanMs
        ? "This page is watching how fast the line moves."
        : "The line has not moved since this page opened.";
    return { kind: "unknown", reason };
  }
  const central = ahead / perMs;
  const spread = Math.max(0.25, 1 / Math.sqrt(Math.max(1, rate.steps())));
  return { kind: "range", lowMs: central / (1 + spread), highMs: central * (1 + spread) };
}

function unit(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "45 seconds", "3 minutes", "1 hour 5 minutes" */
export function formatDuration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return unit(Math.max(1, Math.round(seconds / 5) * 5 || seconds), "second");
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return unit(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${unit(hours, "hour")} ${unit(rest, "minute")}` : unit(hours, "hour");
}

/** The range in words: "about 3 minutes", "2 to 5 minutes", "less than a minute". */
export function formatRange(lowMs, highMs) {
  if (highMs < 60 * 1000) return "less than a minute";
  const low = formatDuration(lowMs);
  const high = formatDuration(highMs);
  if (low === high) return `about ${low}`;
  if (lowMs < 60 * 1000) return `up to ${high}`;
  const [lowN, lowUnit] = low.split(" ");
  const [highN, highUnit] = high.split(" ");
  if (low.split(" ").length === 2 && high.split(" ").length === 2 && lowUnit.replace(/s$/, "") === highUnit.replace(/s$/, "")) {
    return `${lowN} to ${highN} ${highUnit}`;
  }
  return `${low} to ${high}`;
}

/** "14:59", "1:02:03" */
export function formatClock(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
