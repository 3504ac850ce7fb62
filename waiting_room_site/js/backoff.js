// Retry delays: exponential with "equal jitter", so that thousands of pages that lost the network at
// the same moment do not come back at the same moment.

export class Backoff {
  constructor({ baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.random = random;
    this.failures = 0;
  }

  /** The delay before the next attempt after one more failure. */
  fail() {
    this.failures += 1;
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  succeed() {
    this.failures = 0;
  }
}
