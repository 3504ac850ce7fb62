"""How long the proof of work takes an honest browser, and how many entries one core can buy.

    python -m benchmarks.proof_of_work --difficulty 18 --trials 20

- The browser: Debian's Chromium runs the page's own solver (waiting_room_site/js/pow.js and its
  Web Worker) on fresh challenges, served over HTTP as the page is. The work is luck: the number of
  hashes is geometric with mean 2**difficulty, so the table gives the median and the 90th
  percentile of the time, and the hash rate that explains them.
- One core, as an attacker would spend it: Python's hashlib on the same inputs (lambdas/waiting_room/
  proof_of_work.py's solver), and `openssl speed sha256` on 64-byte blocks (native code, one core),
  each turned into entries per second at the difficulty: rate / 2**difficulty.
- A phone: not measured here; mid-range phones run such JavaScript about 4-6 times slower than
  this machine's core (an estimate, stated as such).
"""

from __future__ import annotations

import argparse
import functools
import re
import secrets
import statistics
import subprocess
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lambdas.waiting_room.proof_of_work import issue, solve
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
PHONE_SLOWDOWN = (4, 6)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def browser_times(difficulty: int, trials: int) -> list[tuple[float, int]]:
    """(seconds, hashes tried) of the page's solver on `trials` fresh challenges."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    results = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{base}/waiting_room_site/README.md")
            for _ in range(trials):
                challenge = issue(secrets.token_bytes(32), "bench", difficulty)["challenge"]
                seconds, nonce = page.evaluate(
                    """async ([challenge, difficulty]) => {
                        const { solve } = await import('/waiting_room_site/js/pow.js');
                        const start = performance.now();
                        const nonce = await solve(challenge, difficulty);
                        return [(performance.now() - start) / 1000, nonce];
                    }""",
                    [challenge, difficulty],
                )
                results.append((seconds, int(nonce) + 1))
            browser.close()
    finally:
        server.shutdown()
    return results


def python_hashes_per_second(difficulty: int) -> float:
    challenge = issue(secrets.token_bytes(32), "bench", difficulty)["challenge"]
    start = time.perf_counter()
    tried = int(solve(challenge, min(difficulty, 16))) + 1
    return tried / (time.perf_counter() - start)


def openssl_hashes_per_second() -> float | None:
    """SHA-256 of 64-byte blocks per second on one core, as `openssl speed` reports it."""
    try:
        out = subprocess.run(
            ["openssl", "speed", "-seconds", "2", "-bytes", "64", "sha256"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"^sha256\s+([\d.]+)k", out, re.MULTILINE)
    return float(match.group(1)) * 1000 / 64 if match else None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proof_of_work")
    parser.add_argument("--difficulty", type=int, default=18)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    d = args.difficulty

    runs = browser_times(d, args.trials)
    seconds = sorted(s for s, _ in runs)
    rate = sum(h for _, h in runs) / sum(s for s, _ in runs)
    p90 = seconds[min(len(seconds) - 1, int(0.9 * len(seconds)))]
    median = statistics.median(seconds)
    python_rate = python_hashes_per_second(d)
    native_rate = openssl_hashes_per_second()
    slow, slower = PHONE_SLOWDOWN
    print(f"Proof of work at difficulty {d} (2^{d} = {2**d:,} hashes expected), {args.trials} challenges\n")
    print("| | |\n|---|---|")
    print(f"| Chromium, the page's Web Worker: median, 90th percentile | {median:.2f} s, {p90:.2f} s |")
    print(f"| Chromium hash rate | {rate:,.0f} hashes/s |")
    print(f"| mean time implied (2^d / rate) | {2**d / rate:.2f} s |")
    mean = 2**d / rate
    print(
        f"| a phone, estimated at {slow}-{slower}x slower (not measured) "
        f"| {slow * mean:.1f}-{slower * mean:.1f} s |"
    )
    print(f"| one core, Python hashlib | {python_rate:,.0f} hashes/s = {python_rate / 2**d:.2f} entries/s |")
    if native_rate:
        native = f"{native_rate:,.0f} hashes/s = {native_rate / 2**d:.1f} entries/s"
        print(f"| one core, native SHA-256 (openssl speed, 64-byte blocks) | {native} |")


if __name__ == "__main__":
    main()
