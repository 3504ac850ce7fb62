// Solving the entry's proof of work (GET /pow_challenge) in a worker, with progress.

/**
 * Resolves with the nonce for `challenge`; `onProgress(fraction)` hears how far along the expected
 * work is (an estimate: the work is luck, about 2^difficulty tries on average).
 */
export function solve(challenge, difficulty, onProgress = () => {}) {
  const expected = 2 ** difficulty;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./pow-worker.js", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.done) {
        worker.terminate();
        onProgress(1);
        resolve(data.nonce);
      } else {
        onProgress(Math.min(0.99, data.tried / expected));
      }
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || "the browser could not run the check"));
    };
    worker.postMessage({ challenge, difficulty });
  });
}

export function checkingSentence(fraction) {
  return `Checking this browser before it joins the line… ${Math.round(fraction * 100)}%`;
}
