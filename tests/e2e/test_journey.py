"""The whole visitor journey over HTTP: enter, wait, get served, get a token, use it at the store."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from local.testing import Runtime
from tests.e2e.journey import counters, enter, eventually, increment, position, reset, token

VISITORS = 200


@pytest.fixture
def fresh(runtime: Runtime) -> Runtime:
    reset(runtime)
    return runtime


def _served_visitor(runtime: Runtime) -> tuple[str, int]:
    request_id = enter(runtime)
    place = position(runtime, request_id)
    serving = counters(runtime)["serving_counter"]
    if serving < place:
        increment(runtime, place - serving)
    return request_id, place


def test_concurrent_visitors_get_every_position_exactly_once(fresh: Runtime) -> None:
    def visit(_: int) -> int:
        with requests.Session() as session:
            return position(fresh, enter(fresh, session), session=session, within=60)

    with ThreadPoolExecutor(max_workers=50) as pool:
        positions = list(pool.map(visit, range(VISITORS)))

    assert sorted(positions) == list(range(1, VISITORS + 1))
    assert counters(fresh)["queue_counter"] == VISITORS


def test_serving_counter_moves_through_the_private_api(fresh: Runtime) -> None:
    before = counters(fresh)["serving_counter"]
    assert increment(fresh, 7) == before + 7
    assert counters(fresh)["serving_counter"] == before + 7

    def public_view() -> bool:
        answer = requests.get(
            fresh.public_api + "/serving_num", params={"event_id": fresh.event_id}, timeout=5
        )
        return answer.status_code == 200 and answer.json()["serving_counter"] == before + 7

    # The public route sits behind the CDN cache (a few seconds): it catches up, it is not instant.
    eventually(public_view, within=10)


def test_tokens_verify_against_the_public_key(fresh: Runtime) -> None:
    request_id, place = _served_visitor(fresh)
    answer = token(fresh, request_id)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"

    jwk = requests.get(
        fresh.public_api + "/public_key", params={"event_id": fresh.event_id}, timeout=5
    ).json()
    key = RSAAlgorithm.from_jwk(jwk)
    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == jwk["kid"]
    claims = jwt.decode(
        tokens["access_token"], key, algorithms=["RS256"], audience=fresh.event_id, issuer=fresh.public_api
    )
    assert claims["sub"] == request_id
    assert claims["queue_position"] == place
    assert claims["token_use"] == "access"
    for kind in ("id", "refresh"):
        other = jwt.decode(tokens[f"{kind}_token"], key, algorithms=["RS256"], audience=fresh.event_id)
        assert other["token_use"] == kind

    again = token(fresh, request_id)
    assert again.status_code == 200
    assert again.json()["access_token"] == tokens["access_token"]


def test_token_is_refused_before_the_position_is_served(fresh: Runtime) -> None:
    request_id = enter(fresh)
    place = position(fresh, request_id)
    assert counters(fresh)["serving_counter"] < place
    assert token(fresh, request_id).status_code == 202


def test_store_accepts_a_token_and_refuses_a_forged_one(fresh: Runtime) -> None:
    request_id, _ = _served_visitor(fresh)
    access = token(fresh, request_id).json()["access_token"]
    order = {"items": [{"sku": "general-admission", "quantity": 1}]}

    accepted = requests.post(
        fresh.store_api + "/checkout", json=order, headers={"Authorization": f"Bearer {access}"}, timeout=10
    )
    assert accepted.status_code == 200, accepted.text

    # Same claims and the same kid, signed with a key the waiting room never made.
    claims = jwt.decode(access, options={"verify_signature": False})
    kid = jwt.get_unverified_header(access)["kid"]
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, impostor, algorithm="RS256", headers={"kid": kid})
    refused = requests.post(
        fresh.store_api + "/checkout", json=order, headers={"Authorization": f"Bearer {forged}"}, timeout=10
    )
    assert refused.status_code == 401
    assert refused.json() == {"error": "Unauthorized"}

    anonymous = requests.get(fresh.store_api + "/search", timeout=10)
    assert anonymous.status_code == 401


def test_reset_voids_the_line(runtime: Runtime) -> None:
    reset(runtime)
    old = enter(runtime)
    assert position(runtime, old) == 1
    increment(runtime, 3)

    reset(runtime)

    after = counters(runtime)
    assert {k: v for k, v in after.items() if k != "event_id"} == dict.fromkeys(
        after.keys() - {"event_id"}, 0
    )
    newcomer = enter(runtime)
    assert position(runtime, newcomer) == 1
    # The request id from before the reset is no longer a place in the line.
    stale = token(runtime, old)
    assert stale.status_code == 410, stale.text
    assert stale.json()["reason"] == "reset"
