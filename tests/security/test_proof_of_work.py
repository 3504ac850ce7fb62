"""Proof of work on entry: no position without a valid, unspent solution of a signed challenge.

Threat (docs/SECURITY.md): a scalper's script takes many places in line. With a difficulty each
entry costs about 2**difficulty SHA-256 hashes; the challenge is signed (no made-up challenge),
bound to the event, expiring, and spent on first use (no solution reused for a second place).
The domain rules run against a real redis-server; the whole path (page, gateway, SQS, worker,
/queue_num) against `vwr local` and Chromium.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect
from redis import Redis

from lambdas.waiting_room import proof_of_work as pow_
from local.testing import Runtime, running_runtime

EVENT = "pow-event"
DIFFICULTY = 8  # quick for tests: about 256 hashes


@pytest.fixture
def redis(redis_proc, core_env) -> Iterator[Redis]:
    """A real Redis; `core_env` provides the proof-of-work secret (in moto's Secrets Manager)."""
    client = Redis(host=redis_proc.host, port=redis_proc.port, decode_responses=True)
    client.flushall()
    yield client
    client.close()


def _solved(redis: Redis, event_id: str = EVENT, difficulty: int = DIFFICULTY, **issue: float) -> dict:
    challenge = pow_.issue(pow_.signing_key(event_id), event_id, difficulty, **issue)["challenge"]
    return {"challenge": challenge, "nonce": pow_.solve(challenge, difficulty)}


def test_a_solved_challenge_admits_one_entry_once(redis: Redis) -> None:
    solution = _solved(redis)
    assert pow_.admit(redis, EVENT, DIFFICULTY, [("a", solution)]) == {"a"}
    # The same solution for a second entry: spent.
    assert pow_.admit(redis, EVENT, DIFFICULTY, [("b", solution)]) == set()
    assert pow_.refused(redis, EVENT, "b") and not pow_.refused(redis, EVENT, "a")
    # The same entry redelivered by SQS keeps its admission (its position is already assigned).
    assert pow_.admit(redis, EVENT, DIFFICULTY, [("a", solution)]) == {"a"}


def test_a_challenge_issued_before_redis_lost_its_data_is_still_honoured(redis: Redis) -> None:
    """The key is derived from the deployment's secret: nothing that signs a challenge is in Redis."""
    solution = _solved(redis)
    redis.flushall()
    assert redis.keys("*") == []
    assert pow_.admit(redis, EVENT, DIFFICULTY, [("a", solution)]) == {"a"}
    # Each event has a key of its own.
    assert pow_.signing_key(EVENT) != pow_.signing_key("another-event")


def test_two_entries_of_one_batch_cannot_share_a_solution(redis: Redis) -> None:
    solution = _solved(redis)
    assert pow_.admit(redis, EVENT, DIFFICULTY, [("a", solution), ("b", solution)]) == {"a"}


def test_forged_stale_foreign_and_unsolved_challenges_are_refused(redis: Redis) -> None:
    good = _solved(redis)
    payload, _, mac = good["challenge"].partition(".")
    other_key = pow_.issue(b"not the server's key", EVENT, DIFFICULTY)["challenge"]
    cases = {
        "missing": None,
        "not an object": "x",
        "forged signature": {"challenge": f"{payload}.{mac[::-1]}", "nonce": good["nonce"]},
        "non-ASCII signature": {"challenge": f"{payload}.\u00e9{mac[1:]}", "nonce": good["nonce"]},
        "signed with another key": {"challenge": other_key, "nonce": pow_.solve(other_key, DIFFICULTY)},
        "expired": _solved(redis, now=time.time() - pow_.CHALLENGE_TTL_SECONDS - 1),
        "another event's": _solved(redis, event_id="other-event"),
        "too easy": _solved(redis, difficulty=1),
        "unsolved": {"challenge": good["challenge"], "nonce": "not-a-solution"},
        "oversized": {"challenge": good["challenge"] + "x" * 600, "nonce": "1"},
    }
    if pow_.work_of(good["challenge"], "not-a-solution") >= DIFFICULTY:
        pytest.fail("the unsolved nonce happens to solve the challenge: pick another")
    entries = list(cases.items())
    assert pow_.admit(redis, EVENT, DIFFICULTY, entries) == set()
    assert all(pow_.refused(redis, EVENT, name) for name in cases)


def test_difficulty_zero_admits_everyone_without_touching_redis(redis: Redis) -> None:
    assert pow_.admit(redis, EVENT, 0, [("a", None), ("b", {"junk": 1})]) == {"a", "b"}
    assert redis.dbsize() == 0


# -- the whole path, locally ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    with running_runtime(["--batch-window", "0.2", "--set", f"POW_DIFFICULTY={DIFFICULTY}"]) as started:
        yield started


def _queue_num(runtime: Runtime, request_id: str, *, within: float = 20.0) -> requests.Response:
    """/queue_num once it is not 202 any more."""
    deadline = time.monotonic() + within
    while True:
        answer = requests.get(
            runtime.public_api + "/queue_num",
            params={"event_id": runtime.event_id, "request_id": request_id},
            timeout=10,
        )
        if answer.status_code != 202 or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def _enter(runtime: Runtime, pow_solution: dict | None = None) -> str:
    body = {"event_id": runtime.event_id, **({"pow": pow_solution} if pow_solution else {})}
    answer = requests.post(runtime.public_api + "/assign_queue_num", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["api_request_id"]


@pytest.mark.e2e
def test_an_entry_takes_a_place_only_with_its_own_solution(runtime: Runtime) -> None:
    issued = requests.get(
        runtime.public_api + "/pow_challenge", params={"event_id": runtime.event_id}, timeout=10
    )
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    assert issued.json()["difficulty"] == DIFFICULTY
    challenge = issued.json()["challenge"]
    solution = {"challenge": challenge, "nonce": pow_.solve(challenge, DIFFICULTY)}

    honest = _queue_num(runtime, _enter(runtime, solution))
    assert honest.status_code == 200 and honest.json()["queue_number"] >= 1
    for refused in (_enter(runtime), _enter(runtime, solution)):  # none, and a spent one
        answer = _queue_num(runtime, refused)
        assert answer.status_code == 410 and answer.json()["reason"] == "proof_of_work", answer.text
        # Every route that looks the request id up gives the same definite answer.
        token = requests.post(
            runtime.public_api + "/generate_token",
            json={"event_id": runtime.event_id, "request_id": refused},
            timeout=10,
        )
        assert token.status_code == 410 and token.json()["reason"] == "proof_of_work", token.text


@pytest.mark.e2e
def test_a_malformed_solution_is_refused_at_the_door(runtime: Runtime) -> None:
    answer = requests.post(
        runtime.public_api + "/assign_queue_num",
        json={"event_id": runtime.event_id, "pow": {"challenge": "x", "nonce": "1", "extra": True}},
        timeout=10,
    )
    assert answer.status_code == 400 and "pow" in answer.json()["error"]


@pytest.mark.e2e
@pytest.mark.browser
def test_the_page_solves_the_challenge_in_a_worker_and_enters(runtime: Runtime, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    entries: list[dict] = []
    # In the order they happened: the solver's worker must start before the entry leaves.
    happened: list[str] = []
    page.on("worker", lambda worker: happened.append(f"worker {worker.url.rsplit('/', 1)[-1]}"))

    def on_request(request) -> None:
        if "/assign_queue_num" in request.url:
            entries.append(request.post_data_json)
            happened.append("entry")

    page.on("request", on_request)
    try:
        page.goto(runtime.waiting_room + "?poll=200")
        page.get_by_role("button", name="Enter the line").click()
        expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=30_000)
    finally:
        context.close()
    assert happened == ["worker pow-worker.js", "entry"]
    [entry] = entries
    assert pow_.work_of(entry["pow"]["challenge"], entry["pow"]["nonce"]) >= DIFFICULTY
    assert errors == []


@pytest.mark.e2e
@pytest.mark.browser
def test_the_page_says_why_an_entry_without_its_proof_got_no_place(runtime: Runtime, browser) -> None:
    context = browser.new_context()
    page = context.new_page()

    def drop_the_proof(route) -> None:
        body = route.request.post_data_json
        body.pop("pow", None)
        route.continue_(post_data=json.dumps(body))

    page.route("**/assign_queue_num", drop_the_proof)
    try:
        page.goto(runtime.waiting_room + "?poll=200")
        page.get_by_role("button", name="Enter the line").click()
        expect(page.locator("#status")).to_contain_text(
            "check did not reach the waiting room", timeout=30_000
        )
        expect(page.get_by_role("button", name="Enter the line again")).to_be_visible()
    finally:
        context.close()
