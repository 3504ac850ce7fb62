"""Token issuing: only to served visitors, exactly once per request id, verifiable with the public key."""

from __future__ import annotations

import threading
import time
from collections import Counter
from unittest import mock

import jwt
import pytest
from botocore.exceptions import ClientError

from lambdas import counters, generate_token, public_key
from lambdas.waiting_room import aws, keys, records, tokens
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.settings import settings
from tests.integration.conftest import Core, call


def test_no_token_before_being_served(core: Core) -> None:
    [request_id] = core.enter(1)
    status, body = core.token(request_id)
    assert status == 202 and "message" in body


def test_unknown_request_id_is_404(core: Core) -> None:
    status, body = core.token("00000000-0000-4000-8000-000000000000")
    assert status == 404 and body["error"]


def test_tokens_verify_against_the_public_key(core: Core) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    status, tokens = core.token(request_id)
    assert status == 200 and tokens["token_type"] == "Bearer" and 0 < tokens["expires_in"] <= 3600
    status, jwk = call(public_key.handler, "GET", "/public_key", query={"event_id": core.event_id})
    assert status == 200 and jwk["alg"] == "RS256" and jwk["kty"] == "RSA"
    for field, use in (("access_token", "access"), ("id_token", "id"), ("refresh_token", "refresh")):
        assert jwt.get_unverified_header(tokens[field])["kid"] == jwk["kid"]
        claims = jwt.decode(
            tokens[field],
            jwt.PyJWK(jwk).key,
            algorithms=["RS256"],
            audience=core.event_id,
            issuer=core.env["ISSUER"],
        )
        assert claims["sub"] == request_id and claims["token_use"] == use and claims["queue_position"] == 1


def test_asking_again_returns_the_same_tokens(core: Core) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    first = core.token(request_id)[1]
    second = core.token(request_id)[1]
    assert {k: v for k, v in first.items() if k != "expires_in"} == {
        k: v for k, v in second.items() if k != "expires_in"
    }


def test_concurrent_first_calls_make_one_record_one_event_one_count(core: Core, event_sink) -> None:
    event_sink()
    [request_id] = core.enter(1)
    core.serve(1)
    barrier = threading.Barrier(8)
    results: list[tuple[int, dict]] = []

    def ask() -> None:
        barrier.wait()
        results.append(core.token(request_id))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in results} == {200}
    assert len({body["access_token"] for _, body in results}) == 1
    generated = [e for e in event_sink() if e["detail-type"] == "token_generated"]
    assert [e["detail"] for e in generated] == [
        {"event_id": core.event_id, "request_id": request_id, "dedup_id": f"token_generated:{request_id}"}
    ]
    values = call(counters.handler, "GET", "/counters", query={"event_id": core.event_id})[1]
    assert values["token_counter"] == 1


def test_private_overrides_apply_to_one_call_only(core: Core) -> None:
    first, second = core.enter(2)
    core.serve(2)
    status, custom = call(
        generate_token.private_handler,
        "POST",
        "/generate_token",
        body={
            "event_id": core.event_id,
            "request_id": first,
            "issuer": "https://other.example",
            "validity_period": 60,
        },
    )
    assert status == 200 and custom["expires_in"] <= 60
    assert (
        jwt.decode(custom["access_token"], options={"verify_signature": False})["iss"]
        == "https://other.example"
    )
    status, plain = core.token(second)
    claims = jwt.decode(plain["access_token"], options={"verify_signature": False})
    assert claims["iss"] == core.env["ISSUER"] and claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    "body",
    [
        {"issuer": ""},
        {"issuer": 5},
        {"validity_period": "60"},
        {"validity_period": 0},
        {"validity_period": 1.5},
        {"validity_period": True},
    ],
)
def test_private_overrides_are_validated(core: Core, body: dict) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    status, answer = call(
        generate_token.private_handler,
        "POST",
        "/generate_token",
        body={"event_id": core.event_id, "request_id": request_id, **body},
    )
    assert status == 400 and answer["error"]


def test_a_warm_token_request_reads_no_secret(core: Core, aws_calls: Counter) -> None:
    first, second = core.enter(2)
    core.serve(2)
    core.token(first)
    aws_calls.clear()
    core.token(second)
    assert aws_calls["secretsmanager.GetSecretValue"] == 0
    # The record is the event (it leaves through the table's stream): no PutEvents.
    assert aws_calls == {"dynamodb.PutItem": 1}


def test_the_signing_key_is_parsed_once_per_container(core: Core, monkeypatch) -> None:
    parsed = []
    original = keys.parse_key_material
    monkeypatch.setattr(keys, "parse_key_material", lambda m: parsed.append(1) or original(m))
    keys.signing_key.cache_clear()
    first, second = core.enter(2)
    core.serve(2)
    core.token(first)
    core.token(second)
    assert parsed == [1]


def test_token_timing_is_stored_not_recomputed(core: Core) -> None:
    [request_id] = core.enter(1)
    core.serve(1)
    first = core.token(request_id)[1]
    time.sleep(1.1)
    second = core.token(request_id)[1]
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] < first["expires_in"]


@pytest.mark.parametrize("claimed", ["long ago", "at an unknown time"])
def test_a_lost_token_record_is_410_never_a_new_token(core: Core, claimed: str) -> None:
    """The record is gone (its TTL, a restore) after the claim: the request id had its token."""
    [request_id] = core.enter(1)
    core.serve(1)
    assert core.token(request_id)[0] == 200
    aws.client("dynamodb").delete_item(
        TableName=settings().tokens_table, Key={"request_id": {"S": request_id}}
    )
    state = EventCounters(core.event_id)
    if claimed == "long ago":
        claimed_at = int(time.time() * 1000) - tokens.RECORD_COMPLETION_MS - 1000
        state.redis.hset(state.keys.token_claims, request_id, claimed_at)
    else:  # claimed before claims had a time
        state.redis.hdel(state.keys.token_claims, request_id)
    for _ in range(2):
        status, body = core.token(request_id)
        assert (status, body["reason"]) == (410, "token_lost"), body
    assert records.read_token_record(request_id) is None
    assert state.counters()["token_counter"] == 1


def test_a_retry_writes_the_record_a_failed_first_call_did_not(core: Core, monkeypatch, event_sink) -> None:
    """The claim was counted in Redis, then the put failed: the visitor's retry completes it once."""
    event_sink()
    [request_id] = core.enter(1)
    core.serve(1)
    failing = ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutItem")
    with monkeypatch.context() as patch:
        patch.setattr(tokens, "put_token_record", mock.Mock(side_effect=failing))
        assert core.token(request_id)[0] == 500
    status, first = core.token(request_id)
    assert status == 200, first
    assert core.token(request_id)[1]["access_token"] == first["access_token"]
    assert EventCounters(core.event_id).counters()["token_counter"] == 1
    generated = [e for e in event_sink() if e["detail-type"] == "token_generated"]
    assert len(generated) == 1
