// The proof-of-work solver, in a Web Worker so the page stays responsive while it works.
// Finds a nonce such that SHA-256("<challenge>:<nonce>") starts with `difficulty` zero bits
// (lambdas/waiting_room/proof_of_work.py checks the same), reporting how many it has tried.

const BATCH = 512; // digests in flight at once: Web Crypto is asynchronous, one at a time is slow
const REPORT_EVERY_MS = 200;

function zeroBits(digest) {
  const bytes = new Uint8Array(digest);
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

async function solve(challenge, difficulty) {
  const encoder = new TextEncoder();
  let lastReport = 0;
  for (let start = 0; ; start += BATCH) {
    const nonces = Array.from({ length: BATCH }, (_, i) => String(start + i));
    const digests = await Promise.all(
      nonces.map((nonce) => crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${nonce}`))),
    );
    const found = digests.findIndex((digest) => zeroBits(digest) >= difficulty);
    if (found >= 0) return { nonce: nonces[found], tried: start + found + 1 };
    if (Date.now() - lastReport >= REPORT_EVERY_MS) {
      lastReport = Date.now();
      postMessage({ tried: start + BATCH });
    }
  }
}

onmessage = async ({ data: { challenge, difficulty } }) => {
  postMessage({ ...(await solve(challenge, difficulty)), done: true });
};
