// How often the page polls: as often as the line moves.
//
// Rare far from the front, often near it, in between from the serving rate the page measured: the
// wait it expects, times `fraction`, within [nearMs, farMs]. A visitor whom one step of the counter
// could reach (within `nearPlaces`, or within the largest step seen) polls every nearMs. Before the
// page knows a rate it polls again after half the time it has watched, so a line that moves is
// measured within seconds and one that stands still is asked rarely.
// A line that moves in regular steps (the Periodic inlet: once a minute) is asked just after each
// step is due instead (stepAlignedMs): `/serving_num` says when the counter moved, and the page asks
// `afterStepMs` after the next step (the CDN may keep the answer before it that long), then every
// nearMs while a due step is late. A line that moves often or irregularly is polled as above.
// The Python copy is lambdas/catalog.py `PollSchedule`, used by `vwr load` and the cost model;
// tests/browser/test_schedule_parity.py runs both over the same inputs.

export const SCHEDULE = Object.freeze({
  nearMs: 2000,
  farMs: 30000,
  fraction: 0.25,
  nearPlaces: 10,
  // The CDN's cache of `/serving_num` (2 s), plus a margin for the request and a late step.
  afterStepMs: 2500,
  // Steps count as regular when every gap is within this share of the period.
  regularity: 0.2,
  // The first ask for the position after entering: once the entry queue has surely numbered it
  // (its ordering window, 2 s, and batching window, 1 s, and a margin); every earlier ask gets 202.
  firstAskMs: 3250,
});

/** The schedule with another near interval (the page's `poll` setting); the far interval and the
 * first ask for the position scale with it. */
export function scheduleWithNear(nearMs, schedule = SCHEDULE) {
  return {
    ...schedule,
    nearMs,
    farMs: nearMs * (schedule.farMs / schedule.nearMs),
    firstAskMs: Math.floor(nearMs * (schedule.firstAskMs / schedule.nearMs) + 0.5),
  };
}

/**
 * Milliseconds to the next poll for a visitor `places` from being served.
 * @param {number} places queue number minus the serving counter
 * @param {number|null} perMs the measured serving rate in places per millisecond, null if unknown
 * @param {number} largestStep the largest single move of the counter seen
 * @param {number} watchedMs how long the page has watched the counter
 */
export function pollDelayMs(places, perMs, largestStep, watchedMs, schedule = SCHEDULE) {
  const { nearMs, farMs, fraction, nearPlaces } = schedule;
  if (places <= Math.max(nearPlaces, largestStep)) return nearMs;
  const delay = perMs === null || !(perMs > 0) ? watchedMs / 2 : (fraction * places) / perMs;
  return Math.floor(Math.min(farMs, Math.max(nearMs, delay)) + 0.5);
}

/** The period of a line that moves in regular steps, from its last moves (page clock, oldest first);
 * null for a line that moves irregularly, or more often than 4 near intervals. */
export function stepPeriodMs(movedAtMs, schedule = SCHEDULE) {
  if (movedAtMs.length < 3) return null;
  const gaps = movedAtMs.slice(1).map((t, i) => t - movedAtMs[i]);
  const period = (movedAtMs[movedAtMs.length - 1] - movedAtMs[0]) / gaps.length;
  if (period < 4 * schedule.nearMs || gaps.some((gap) => Math.abs(gap - period) > schedule.regularity * period)) return null;
  return period;
}

/**
 * Milliseconds to a poll just after a step is due, for a line that moves in regular steps; null
 * otherwise (poll after `delayMs`, the schedule's delay). Near the front: just after the next step,
 * then every nearMs while it is late. Farther: just after the last step due within `delayMs`, or
 * else the first one after it, at most two far intervals (and the margin) away.
 */
export function stepAlignedMs(places, delayMs, largestStep, movedAtMs, nowMs, schedule = SCHEDULE) {
  const period = stepPeriodMs(movedAtMs, schedule);
  if (period === null) return null;
  const firstDue = movedAtMs[movedAtMs.length - 1] + period + schedule.afterStepMs;
  if (places <= Math.max(schedule.nearPlaces, largestStep)) {
    return firstDue > nowMs ? Math.floor(firstDue - nowMs + 0.5) : schedule.nearMs;
  }
  let due = firstDue + Math.max(0, Math.floor((nowMs + delayMs - firstDue) / period)) * period;
  if (due > nowMs + delayMs) due = firstDue;
  else if (due <= nowMs + schedule.nearMs) due += period;
  return Math.floor(Math.min(due - nowMs, 2 * schedule.farMs + schedule.afterStepMs) + 0.5);
}

// Each wait is the schedule's delay times a factor in [1 - JITTER, 1 + JITTER] (a step-aligned one
// only later, by up to JITTER near intervals), so pages that entered together do not poll together.
export const JITTER = 0.1;

/**
 * Milliseconds to the next poll of the line for a visitor `places` from being served, jittered:
 * just after a due step on a line that moves in steps, else the schedule's delay. `rate` is the
 * page's ServingRate (estimate.js), `movedAtMs` the counter's moves on the page's clock.
 */
export function linePollMs(places, rate, movedAtMs, nowMs, schedule = SCHEDULE, random = Math.random) {
  const delay = pollDelayMs(places, rate.rate(), rate.largestStep(), rate.watchedMs(), schedule);
  const aligned = stepAlignedMs(places, delay, rate.largestStep(), movedAtMs, nowMs, schedule);
  if (aligned !== null) return Math.round(aligned + JITTER * schedule.nearMs * random());
  return Math.round(delay * (1 - JITTER + 2 * JITTER * random()));
}

/**
 * The server's clock on the page's. Each `/serving_num` answer says when it was made; the smallest
 * (page clock - answer's clock) seen is the offset least delayed by the network and the CDN's cache.
 * The Python copy is benchmarks/page_model.py `ServerClock`.
 */
export class ServerClock {
  constructor() {
    this.offsetMs = null;
  }

  /** Takes in one answer's time; returns its counter moves on the page's clock ([] if it has none). */
  pageTimes(movedAtMs, answeredAtMs, nowMs) {
    if (answeredAtMs === null) return [];
    const offset = nowMs - answeredAtMs;
    this.offsetMs = this.offsetMs === null ? offset : Math.min(this.offsetMs, offset);
    return movedAtMs.map((t) => t + this.offsetMs);
  }
}

/** Milliseconds before asking for the position after entering (`attempt` 0), and again after
 * `attempt` answers of 202 (1, 2, …). */
export function assignRetryMs(attempt, schedule = SCHEDULE) {
  if (attempt === 0) return schedule.firstAskMs;
  return Math.floor(Math.min(1.5 * schedule.nearMs, 0.5 * schedule.nearMs * 1.5 ** attempt) + 0.5);
}
