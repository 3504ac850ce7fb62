"""`vwr verify-draw`: fetches an event's published draw and checks it (docs/FAIRNESS.md).

It needs nothing but the public API's address: the record of `GET /draw`, the list its
`list_url` names (read by parts), and optionally the visitor's own request id and the place they
were shown. The check itself is `lambdas.waiting_room.draw_rule.check`, a plain function.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from lambdas.waiting_room.draw_rule import Verdict, check

TIMEOUT_SECONDS = 30


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:
        return answer.read()


def fetch(public_api: str, event_id: str) -> tuple[dict[str, Any], list[str]]:
    """The published record and its list of handles, in drawn order."""
    draw_url = f"{public_api.rstrip('/')}/draw?{urllib.parse.urlencode({'event_id': event_id})}"
    record = json.loads(_get(draw_url))
    listed: list[str] = []
    if record.get("state") == "done" and record.get("list_url"):
        list_url = urllib.parse.urljoin(draw_url, record["list_url"])
        for part in range(int(record.get("list_parts") or 0)):
            listed += _get(f"{list_url}&part={part}").decode("ascii").split()
    return record, listed


def verify(
    public_api: str, event_id: str, *, request_id: str | None = None, place: int | None = None
) -> tuple[dict[str, Any], Verdict]:
    record, listed = fetch(public_api, event_id)
    return record, check(record, listed, request_id=request_id, place=place)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vwr verify-draw",
        description="Check an event's published draw: the seed against its commitment, the order, "
        "no handle twice, and (with --request-id) your own place.",
    )
    parser.add_argument("--api", required=True, help="the public API's base URL")
    parser.add_argument("--event-id", required=True)
    parser.add_argument(
        "--request-id", help="your request id (it stays on this machine: only its hash is compared)"
    )
    parser.add_argument("--place", type=int, help="the place you were shown, to compare with the draw's")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    args = parser.parse_args(argv)
    try:
        record, verdict = verify(args.api, args.event_id, request_id=args.request_id, place=args.place)
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"could not read the draw: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "ok": verdict.ok,
                    "problems": verdict.problems,
                    "place": verdict.place,
                    "count": record.get("count"),
                }
            )
        )
    elif verdict.ok:
        mine = f" Your request id's place: {verdict.place}." if verdict.place else ""
        print(
            f"The draw of {args.event_id} verifies: {record.get('count')} entries,"
            f" the seed matches its commitment.{mine}"
        )
    else:
        print(f"The draw of {args.event_id} does NOT verify:")
        for problem in verdict.problems:
            print(f"  - {problem}")
    return 0 if verdict.ok else 1
