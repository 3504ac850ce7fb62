"""The published draw's rule and its check: a draw that was tampered with in any way is caught."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from lambdas.waiting_room import draw_rule

REQUEST_IDS = [str(uuid.UUID(int=i + 1)) for i in range(50)]
SEED = "ab" * 32


def published(seed: str = SEED) -> tuple[dict, list[str]]:
    listed = draw_rule.drawn_order(seed, [draw_rule.handle(r) for r in REQUEST_IDS])
    return {
        "state": "done",
        "seed": seed,
        "commitment": draw_rule.commitment(seed),
        "count": len(listed),
    }, listed


def test_the_rule_is_the_contracts_in_plain_hashlib() -> None:
    """API.md's words, written again here: a re-implementation agrees with the library."""
    handles = [hashlib.sha256(r.encode("utf-8")).hexdigest() for r in REQUEST_IDS]
    expected = sorted(handles, key=lambda h: hashlib.sha256((SEED + ":" + h).encode("ascii")).hexdigest())
    record, listed = published()
    assert listed == expected
    assert record["commitment"] == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()


def test_an_honest_draw_verifies_and_gives_each_visitor_their_place() -> None:
    record, listed = published()
    for place, handle in enumerate(listed, start=1):
        request_id = next(r for r in REQUEST_IDS if draw_rule.handle(r) == handle)
        verdict = draw_rule.check(record, listed, request_id=request_id, place=place)
        assert verdict.ok and verdict.place == place, verdict.problems


def _moved(listed: list[str]) -> list[str]:
    changed = list(listed)
    changed.insert(0, changed.pop(10))
    return changed


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda record, listed: ({**record, "seed": "cd" * 32}, listed), id="changed seed"),
        pytest.param(
            lambda record, listed: (
                {**record, "seed": "cd" * 32, "commitment": draw_rule.commitment("cd" * 32)},
                listed,
            ),
            id="seed and commitment both changed after the fact",
        ),
        pytest.param(lambda record, listed: (record, _moved(listed)), id="moved handle"),
        pytest.param(lambda record, listed: (record, listed[:-1]), id="dropped entry"),
        pytest.param(
            lambda record, listed: ({**record, "count": 49}, listed[1:]), id="dropped entry, count too"
        ),
        pytest.param(lambda record, listed: (record, [*listed, "0" * 64]), id="added entry"),
        pytest.param(lambda record, listed: (record, [listed[0], *listed[:-1]]), id="handle twice"),
        pytest.param(lambda record, listed: ({**record, "state": "drawing"}, listed), id="not done"),
        pytest.param(
            lambda record, listed: (record, [listed[0].upper(), *listed[1:]]), id="malformed handle"
        ),
    ],
)
def test_a_tampered_draw_is_caught(tamper) -> None:
    record, listed = tamper(*published())
    # The first visitor checks their own place in every case.
    first = next(r for r in REQUEST_IDS if draw_rule.handle(r) == published()[1][0])
    verdict = draw_rule.check(record, listed, request_id=first, place=1)
    assert not verdict.ok


def test_a_wrong_place_is_caught() -> None:
    record, listed = published()
    first = next(r for r in REQUEST_IDS if draw_rule.handle(r) == listed[0])
    verdict = draw_rule.check(record, listed, request_id=first, place=2)
    assert verdict.problems == ["this request id was given place 2, the draw gives it 1"]
    stranger = draw_rule.check(record, listed, request_id=str(uuid.uuid4()))
    assert not stranger.ok and stranger.place is None
