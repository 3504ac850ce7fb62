// A scheduled sale on the page: the countdown to the pre-queue, its words, when to ask about the
// draw, and the visitor's public handle (docs/FAIRNESS.md).

/** The event's sale phase at `nowMs`: "before" the pre-queue, in the "prequeue", or "open". */
export function salePhase(info, nowMs) {
  if (!info || !(info.prequeue_start > 0)) return "open";
  if (nowMs < info.prequeue_start * 1000) return "before";
  if (nowMs < info.start_time * 1000) return "prequeue";
  return "open";
}

/** "2 h 05 min 09 s", "4 min 02 s", "9 s": how long until `ms` has passed. */
export function countdownText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (h) return `${h} h ${pad(m)} min ${pad(s)} s`;
  if (m) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

/** The words of the pre-queue: how its order is decided, in plain terms. */
export function prequeueWords(info) {
  const at = new Date(info.start_time * 1000).toLocaleTimeString(undefined, { timeStyle: "short" });
  if (info.order_at_start === "draw") {
    return (
      `The sale starts at ${at}. Everyone who joins before then has the same chance: at ${at} a random ` +
      "draw gives each person a place in line. Joining earlier in the pre-queue gives no advantage, so there is no need to hurry."
    );
  }
  return `The sale starts at ${at}. Everyone who joins before then gets a place in line at ${at}, in the order they joined.`;
}

/**
 * Milliseconds until the page asks about its pre-queued entry again: rarely while the draw is far
 * (half the time left, at most 10 minutes), then a moment after the draw time (1 to 3 s, spread so
 * pages do not ask together), then every `nearMs` while the draw runs.
 */
export function prequeueDelayMs(drawAtS, nowMs, nearMs, random = Math.random) {
  const left = drawAtS * 1000 - nowMs;
  if (left <= 0) return nearMs;
  if (left > 120000) return Math.min(left / 2, 600000);
  return left + 1000 + 2000 * random();
}

/** The visitor's public handle: SHA-256 of the request id, in hex (what the published list holds). */
export async function handleOf(requestId) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(requestId));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
