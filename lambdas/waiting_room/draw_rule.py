"""The published draw's rule, and the check anyone can run on a published draw (docs/FAIRNESS.md).

Pure functions of public inputs, no AWS and no Redis: the draw itself (lambdas/waiting_room/
draw.py) orders the pre-queue with `drawn_order`, and `vwr verify-draw` checks a published record
with `check`. A visitor's handle is derived one-way from their request id, which stays secret.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_HEX64 = re.compile(r"[0-9a-f]{64}")


def new_seed() -> str:
    """32 random bytes as 64 lowercase hex characters."""
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    """What is published before the draw: the SHA-256 of the seed's bytes."""
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def handle(request_id: str) -> str:
    """A visitor's public handle: the SHA-256 of their (secret) request id."""
    return hashlib.sha256(request_id.encode("utf-8")).hexdigest()


def draw_key(seed: str, handle_hex: str) -> str:
    """The sort key of one handle in a draw."""
    return hashlib.sha256(f"{seed}:{handle_hex}".encode("ascii")).hexdigest()


def drawn_order(seed: str, handles: Iterable[str]) -> list[str]:
    """The handles in drawn order: ascending by `draw_key`; the first gets position 1."""
    return sorted(handles, key=lambda h: draw_key(seed, h))


def is_hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


@dataclass
class Verdict:
    """What `check` found: every problem in words (none: the draw verifies), and the place of the
    request id asked about (None when not asked or not in the list)."""

    problems: list[str] = field(default_factory=list)
    place: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def check(
    record: Mapping[str, Any],
    listed: list[str],
    *,
    request_id: str | None = None,
    place: int | None = None,
) -> Verdict:
    """Checks a published draw: the record of `GET /draw` and its list (handles in drawn order).

    The seed matches the commitment; the list holds `count` distinct, well-formed handles, in the
    order the seed gives them. With `request_id`: its handle is in the list, and its place is
    `place` when one is given (the number the visitor was shown).
    """
    verdict = Verdict()
    problems = verdict.problems
    if record.get("state") != "done":
        problems.append(f"the draw is not done (state {record.get('state')!r}): nothing to check yet")
        return verdict
    seed = record.get("seed")
    if not is_hex64(seed):
        problems.append("the published seed is not 64 lowercase hex characters")
        return verdict
    if commitment(seed) != record.get("commitment"):
        problems.append("the seed does not match the commitment published before the draw")
    if record.get("count") != len(listed):
        problems.append(f"the record says {record.get('count')} entries, the list has {len(listed)}")
    malformed = sum(not is_hex64(h) for h in listed)
    if malformed:
        problems.append(f"{malformed} lines of the list are not handles (64 lowercase hex characters)")
    if len(set(listed)) != len(listed):
        problems.append(f"{len(listed) - len(set(listed))} handles appear more than once")
    keys = [draw_key(seed, h) for h in listed] if not malformed else []
    out_of_order = sum(a > b for a, b in itertools.pairwise(keys))
    if out_of_order:
        problems.append(f"the list is not in the seed's order ({out_of_order} neighbours swapped)")
    if request_id is not None:
        mine = handle(request_id)
        if mine not in listed:
            problems.append(f"this request id's handle {mine[:12]}… is not in the list")
        else:
            verdict.place = listed.index(mine) + 1
            if place is not None and place != verdict.place:
                problems.append(f"this request id was given place {place}, the draw gives it {verdict.place}")
    return verdict
