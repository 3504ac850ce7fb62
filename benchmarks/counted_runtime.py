"""`vwr local` with the call counters of `local.stats` installed, for the load simulator.

Usage: `python -m benchmarks.counted_runtime local --port 0 ...` (the arguments of `vwr`). It
prints `STATS {"stats_api": URL}` before the runtime's own READY line.
"""

from __future__ import annotations

import json
import sys

from local import stats


def main(argv: list[str] | None = None) -> int:
    # Before the runtime imports any handler, so every client and every handler is counted.
    stats.install_import_hook()
    url, _server = stats.serve()
    print("STATS " + json.dumps({"stats_api": url}), flush=True)
    from local.cli import main as vwr_main

    result = vwr_main(list(sys.argv[1:] if argv is None else argv))
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
