// How often the page polls: as often as the line moves.
//
// Rare far from the front, often near it, in between from the serving rate the page measured: the
// wait it expects, times `fraction`, within [nearMs, farMs]. A visitor whom one step of the counter
// could reach (within `nearPlaces`, or within the largest step seen) polls every nearMs. Before the
// page knows a rate it polls again after half the time it has watched, so a line that moves is
// measured within seconds and one that stands still is asked rarely.
// The Python copy is lambdas/catalog.py `PollSchedule`, used by `vwr load` and the cost model;
// tests/browser/test_schedule_parity.py runs both over the same inputs.

export const SCHEDULE = Object.freeze({ nearMs: 2000, farMs: 30000, fraction: 0.25, nearPlaces: 10 });

/** The schedule with another near interval (the page's `poll` setting); the far one scales with it. */
export function scheduleWithNear(nearMs, schedule = SCHEDULE) {
  return { ...schedule, nearMs, farMs: nearMs * (schedule.farMs / schedule.nearMs) };
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

/** Milliseconds before asking for the position again after `attempt` answers of 202 (0, 1, …). */
export function assignRetryMs(attempt, schedule = SCHEDULE) {
  return Math.floor(Math.min(1.5 * schedule.nearMs, 0.5 * schedule.nearMs * 1.5 ** attempt) + 0.5);
}
