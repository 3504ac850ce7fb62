"""Issue 14, isolation: two events in one `vwr local`, and nothing crosses between them.

Event A is the deployment's own (`--event-id`), B is created through the private API
(`POST /events`). Everything is asked over HTTP, as a visitor, a relying party or an operator
would ask it; only the check that a question does not rebuild the other event's state reads its
Redis marker.

The tests share one runtime and each creates a B of its own.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import redis
import requests

from lambdas.catalog import RESET_VISIBLE_WITHIN_SECONDS
from lambdas.waiting_room.state_keys import Keys
from local.testing import Runtime, running_runtime
from tests.e2e.journey import TIMEOUT, counters, enter, eventually, increment, position, reset, token
from tests.e2e.oidc_client import REDIRECT_URI, RUNTIME_ARGS, come_back, discovery, session

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

A = "event-a"
# How long these tests wait for what a bound promises, on top of the bound: HTTP and scheduling on
# a busy machine. The caches are shortened (--cache-seconds) and the bound read from READY; the
# CDN's TTL itself is checked exactly under a fake clock (test_gateway_decisions.py).
SLACK_SECONDS = 10.0
THREADS = 16
# How long a burst may take to be numbered: a few seconds here, more on a busy machine.
BURST_SECONDS = 60.0


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    # moto in a process of its own, and few batches at once: a burst's position writes then queue
    # at moto, instead of timing out in it on a machine of two busy cores.
    args = (
        "--event-id", A,
        "--batch-window", "0.2",
        "--visibility-timeout", "2",
        "--queue-concurrency", "2",
        "--moto-process",
        "--cache-seconds", "2",
        *RUNTIME_ARGS,
    )  # fmt: skip
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-events")) as started:
        yield started


def of_event(runtime: Runtime, event_id: str) -> Runtime:
    """The same runtime, seen by the shared journey steps as serving `event_id`."""
    return dataclasses.replace(runtime, ready={**runtime.ready, "event_id": event_id})


@pytest.fixture
def b(runtime: Runtime) -> Runtime:
    """A new event B of its own for each test, created as an operator creates one."""
    event_id = f"event-b-{uuid.uuid4().hex[:8]}"
    created = runtime.signed("POST", runtime.private_api + "/events", json_body={"event_id": event_id})
    assert created.status_code == 201, created.text
    assert created.json()["event_id"] == event_id
    return of_event(runtime, event_id)


@pytest.fixture
def a(runtime: Runtime) -> Runtime:
    return of_event(runtime, A)


def parallel(call: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(call, items))


def served(event: Runtime, count: int) -> list[str]:
    """`count` visitors of the event who entered and were let in."""
    request_ids = parallel(lambda _: enter(event), list(range(count)))
    last = max(parallel(lambda rid: position(event, rid), request_ids))
    behind = last - counters(event)["serving_counter"]
    if behind > 0:
        increment(event, behind)
    return request_ids


def access_claims(event: Runtime, access_token: str) -> dict[str, Any]:
    """The token's claims, verified with the event's published key and for the event's audience."""
    jwk = requests.get(event.public_api + "/public_key", params={"event_id": event.event_id}, timeout=TIMEOUT)
    key = jwt.PyJWK(jwk.json(), algorithm="RS256")
    return jwt.decode(access_token, key=key, algorithms=["RS256"], audience=event.event_id)


def tokens(event: Runtime, request_ids: list[str]) -> list[dict[str, Any]]:
    """The visitors' tokens; without `expires_in`, which ticks between two calls for the same ones."""
    answers = parallel(lambda rid: token(event, rid), request_ids)
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    return [{k: v for k, v in answer.json().items() if k != "expires_in"} for answer in answers]


def store_search(runtime: Runtime, access_token: str) -> int:
    """What the sample store (event A's protected API) answers the token's holder."""
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(runtime.store_api + "/search", headers=headers, timeout=TIMEOUT).status_code


def public_get(event: Runtime, route: str, request_id: str) -> requests.Response:
    params = {"event_id": event.event_id, "request_id": request_id}
    return requests.get(event.public_api + route, params=params, timeout=TIMEOUT)


def answers_about(event: Runtime, request_id: str) -> dict[str, tuple[int, Any]]:
    """Every route that looks a request id up, asked about `request_id` in `event`."""
    answers = {route: public_get(event, route, request_id) for route in ("/queue_num", "/queue_pos_expiry")}
    answers["/session_status"] = public_get(event, "/session_status", request_id)
    answers["/generate_token"] = token(event, request_id)
    return {route: (answer.status_code, answer.json()) for route, answer in answers.items()}


def incarnation(runtime: Runtime, event_id: str) -> str | None:
    """The marker of the event's built Redis state: a rebuild replaces it."""
    with redis.Redis.from_url(runtime.redis_url, decode_responses=True) as client:
        return client.get(Keys(event_id).incarnation)


def test_a_route_of_one_event_knows_nothing_of_another_events_visitors(a: Runtime, b: Runtime) -> None:
    [served_b] = served(b, 1)
    [b_tokens] = tokens(b, [served_b])
    waiting = enter(b)
    position(b, waiting)
    # A reset of A after B's visitors entered: their records are now of an older generation than
    # A's, which a lookup that ignored the event would answer with 410 "cleared by a reset".
    reset(a)
    before = {"a": counters(a), "b": counters(b), "b_incarnation": incarnation(a, b.event_id)}
    assert before["b_incarnation"] is not None

    # An id never seen may still be on its way (202 "ask again"); B's ids are a definite 404 in
    # A at once, and the session check says closed, as for any id A does not hold.
    unknown = answers_about(a, str(uuid.uuid4()))
    assert unknown["/queue_num"][0] == 202
    not_here = (404, {"error": "this request_id entered another event's line", "reason": "other_event"})
    lookups = ("/queue_num", "/queue_pos_expiry", "/generate_token")
    for request_id in (waiting, served_b):
        assert answers_about(a, request_id) == {**unknown, **dict.fromkeys(lookups, not_here)}

    # Nothing moved in either event, and B's state was not rebuilt.
    assert counters(a) == before["a"] and counters(b) == before["b"]
    assert incarnation(a, b.event_id) == before["b_incarnation"]
    assert public_get(b, "/queue_num", served_b).status_code == 200
    assert tokens(b, [served_b]) == [b_tokens]  # the same tokens: still B's, still valid


def test_bursts_in_both_events_at_once_number_each_event_on_its_own(a: Runtime, b: Runtime) -> None:
    sizes = {A: 120, b.event_id: 80}  # uneven, so a count that crossed shows
    events = {A: a, b.event_id: b}
    before = {event_id: counters(event) for event_id, event in events.items()}
    arrivals = [event_id for event_id, size in sizes.items() for _ in range(size)]
    random.shuffle(arrivals)  # both lines fill at once, interleaved

    entered = parallel(lambda event_id: (event_id, enter(events[event_id])), arrivals)
    mine = {event_id: [rid for e, rid in entered if e == event_id] for event_id in events}
    # Wait on the counters, not on hundreds of polls, which would slow the worker they wait for.
    for event_id, event in events.items():
        eventually(
            lambda event_id=event_id, event=event: (
                counters(event)["queue_counter"] >= before[event_id]["queue_counter"] + sizes[event_id]
            ),
            within=BURST_SECONDS,
            every=0.5,
        )
    places: dict[str, dict[str, int]] = {}
    for event_id, event in events.items():
        positions = parallel(lambda rid, event=event: position(event, rid), mine[event_id])
        first = before[event_id]["queue_counter"] + 1
        assert sorted(positions) == list(range(first, first + sizes[event_id])), event_id
        places[event_id] = dict(zip(mine[event_id], positions, strict=True))

    # No request id has a place in the other event: each is a definite 404 there, not "ask again".
    for event_id, other in ((A, b), (b.event_id, a)):
        answers = parallel(lambda rid, other=other: public_get(other, "/queue_num", rid), mine[event_id])
        assert {(answer.status_code, answer.json()["reason"]) for answer in answers} == {
            (404, "other_event")
        }, event_id

    # Each event counts its own entries, serves its own line and issues its own tokens.
    let_in = {A: 40, b.event_id: 25}
    with_token = {A: 12, b.event_id: 7}
    for event_id, event in events.items():
        serving = increment(event, let_in[event_id])
        served_ids = sorted(places[event_id], key=places[event_id].__getitem__)[: with_token[event_id]]
        assert places[event_id][served_ids[-1]] <= serving
        for answer in tokens(event, served_ids):
            assert access_claims(event, answer["access_token"])["aud"] == event_id
    for event_id, event in events.items():
        after, start = counters(event), before[event_id]
        assert after["queue_counter"] - start["queue_counter"] == sizes[event_id], event_id
        assert after["serving_counter"] - start["serving_counter"] == let_in[event_id], event_id
        assert after["token_counter"] - start["token_counter"] == with_token[event_id], event_id


def test_a_token_of_one_event_opens_neither_the_other_events_api_nor_its_place_at_the_openid_adapter(
    runtime: Runtime, a: Runtime, b: Runtime
) -> None:
    [visitor_a] = served(a, 1)
    [visitor_b] = served(b, 1)
    [page_a], [page_b] = tokens(a, [visitor_a]), tokens(b, [visitor_b])
    # The sample store is A's protected API.
    assert store_search(runtime, page_a["access_token"]) == 200
    assert store_search(runtime, page_b["access_token"]) == 401

    # The OpenID adapter serves every event, each under its own audience: a token of B with the
    # adapter's own issuer and key speaks for B, never for A.
    metadata = discovery(runtime)

    def adapter_token(event: Runtime, request_id: str) -> str:
        body = {"event_id": event.event_id, "request_id": request_id, "issuer": metadata["issuer"]}
        answer = runtime.signed("POST", runtime.private_api + "/generate_token", json_body=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def userinfo(access_token: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"}
        return requests.get(metadata["userinfo_endpoint"], headers=headers, timeout=TIMEOUT)

    claims_a = userinfo(adapter_token(a, visitor_a)).json()
    claims_b = userinfo(adapter_token(b, visitor_b)).json()
    assert (claims_a["event_id"], claims_b["event_id"]) == (A, b.event_id)
    assert claims_a["sub"] != claims_b["sub"]

    # Nor does B's visitor get a code from A's adapter: B's place is unknown in A.
    client = session(runtime)
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier="v" * 64)
    answer = come_back(url, visitor_b)
    assert answer.status_code == 200 and answer.json()["redirect_to"].startswith(REDIRECT_URI)
    query = parse_qs(urlsplit(answer.json()["redirect_to"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == [state] and "code" not in query


def _snapshot(event: Runtime, request_ids: list[str]) -> dict[str, Any]:
    """What the event's visitors and operator see; the counters last, after the first tokens."""
    seen = {"positions": [position(event, rid) for rid in request_ids], "tokens": tokens(event, request_ids)}
    return {**seen, "counters": counters(event)}


def test_resetting_one_event_leaves_the_other_untouched(runtime: Runtime, a: Runtime, b: Runtime) -> None:
    visitors = {A: served(a, 3), b.event_id: served(b, 3)}
    events = {A: a, b.event_id: b}
    for reset_id, kept_id in ((b.event_id, A), (A, b.event_id)):
        kept, gone = events[kept_id], events[reset_id]
        before = _snapshot(kept, visitors[kept_id])
        reset(gone)
        assert counters(gone)["queue_counter"] == 0  # the reset did happen
        assert _snapshot(kept, visitors[kept_id]) == before, f"resetting {reset_id} changed {kept_id}"
        if kept_id == A:
            assert store_search(runtime, before["tokens"][0]["access_token"]) == 200
        # The reset event's old visitors are gone (within the CDN's bound); new ones get places.
        old = visitors[reset_id][0]
        eventually(
            lambda gone=gone, old=old: public_get(gone, "/queue_num", old).status_code == 410,
            within=runtime.ready["cdn_max_ttl_seconds"] + SLACK_SECONDS,
        )
        visitors[reset_id] = served(gone, 3)


def test_an_operator_reads_and_changes_one_event_by_its_path(runtime: Runtime, b: Runtime) -> None:
    url = f"{runtime.private_api}/events/{b.event_id}"
    preflight = requests.options(url, headers={"Access-Control-Request-Method": "PATCH"}, timeout=TIMEOUT)
    assert preflight.status_code == 204 and "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    read = runtime.signed("GET", url)
    assert read.status_code == 200 and read.json()["version"] == 1
    changed = runtime.signed("PATCH", url, json_body={"name": "Event B", "version": 1})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        **read.json(),
        "name": "Event B",
        "version": 2,
        "updated_at": changed.json()["updated_at"],
    }
    assert runtime.signed("GET", url).json() == changed.json()
    stale = runtime.signed("PATCH", url, json_body={"name": "Lost", "version": 1})
    assert (stale.status_code, stale.json()["reason"]) == (409, "version")
    # Unsigned, the route is API Gateway's to refuse, as every private route is.
    assert requests.get(url, timeout=TIMEOUT).status_code == 403


def test_a_deleted_event_is_unknown_within_seconds_and_the_other_is_untouched(
    runtime: Runtime, a: Runtime, b: Runtime
) -> None:
    visitors_a, [visitor_b] = served(a, 2), served(b, 1)
    before = _snapshot(a, visitors_a)
    answer = runtime.signed("DELETE", f"{runtime.private_api}/events/{b.event_id}")
    assert answer.status_code == 200 and answer.json() == {"event_id": b.event_id}

    def unknown(answer: requests.Response) -> bool:
        return answer.status_code == 400 and "unknown event_id" in answer.json().get("error", "")

    checks: dict[str, Callable[[], requests.Response]] = {
        "/serving_num": lambda: requests.get(
            runtime.public_api + "/serving_num", params={"event_id": b.event_id}, timeout=TIMEOUT
        ),
        "/queue_num": lambda: public_get(b, "/queue_num", visitor_b),
        "/generate_token": lambda: token(b, visitor_b),
        "private /counters": lambda: runtime.signed(
            "GET", runtime.private_api + "/counters", params={"event_id": b.event_id}
        ),
    }
    assert runtime.ready["cdn_max_ttl_seconds"] <= RESET_VISIBLE_WITHIN_SECONDS
    within = runtime.ready["cdn_max_ttl_seconds"] + SLACK_SECONDS
    for check in checks.values():
        eventually(lambda check=check: unknown(check()), within=within)
    # An entry made now takes no place: refused at once, or by the worker (API Gateway puts it on
    # the queue without asking anyone), and then its position is asked for in vain.
    late = requests.post(
        runtime.public_api + "/assign_queue_num", json={"event_id": b.event_id}, timeout=TIMEOUT
    )
    if late.status_code == 200:
        late_id = late.json()["api_request_id"]
        eventually(lambda: unknown(public_get(b, "/queue_num", late_id)), within=within)
    else:
        assert unknown(late), late.text

    listed = runtime.signed("GET", runtime.private_api + "/events", params={"limit": "1000"}).json()["events"]
    assert [event["event_id"] for event in listed if event["event_id"] in (A, b.event_id)] == [A]
    assert runtime.signed("GET", f"{runtime.private_api}/events/{b.event_id}").status_code == 404
    assert _snapshot(a, visitors_a) == before
    assert store_search(runtime, before["tokens"][0]["access_token"]) == 200
