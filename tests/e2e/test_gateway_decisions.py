"""The gateway's own decisions, without a running runtime: what API Gateway does with an
authorizer's policy, and what CloudFront keeps."""

from __future__ import annotations

import pytest

from lambdas.catalog import SHORT
from local import authorization, cdn

ARN = "arn:aws:execute-api:us-east-1:123456789012:store/store/POST/checkout"


def _policy(effect: str, resource: object, action: object = "execute-api:Invoke") -> dict:
    return {
        "principalId": "visitor",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": action, "Effect": effect, "Resource": resource}],
        },
        "context": {"queue_position": 3},
    }


@pytest.mark.parametrize(
    "resource",
    [
        ARN,
        "arn:aws:execute-api:us-east-1:123456789012:store/store/*",
        "*",
        ["other", ARN],
        "arn:*:execute-api:*:*:store/*/POST/*",
    ],
)
def test_an_allow_that_covers_the_method_lets_the_request_through(resource: object) -> None:
    decision = authorization.decide(_policy("Allow", resource), ARN)
    assert decision.status == 200
    assert decision.context == {"queue_position": 3, "principalId": "visitor"}


def test_an_allow_for_another_method_is_a_403() -> None:
    other = "arn:aws:execute-api:us-east-1:123456789012:store/store/GET/search"
    assert authorization.decide(_policy("Allow", other), ARN) == authorization.NOT_ALLOWED
    assert (
        authorization.decide(_policy("Allow", ARN, action="s3:GetObject"), ARN) == authorization.NOT_ALLOWED
    )


def test_an_explicit_deny_wins() -> None:
    answer = _policy("Allow", "*")
    answer["policyDocument"]["Statement"].append(
        {"Action": "execute-api:*", "Effect": "Deny", "Resource": ARN}
    )
    assert authorization.decide(answer, ARN) == authorization.EXPLICIT_DENY


@pytest.mark.parametrize("answer", [None, {}, {"principalId": "x"}, {"policyDocument": {"Statement": []}}])
def test_a_malformed_answer_is_a_500(answer: object) -> None:
    assert authorization.decide(answer, ARN) == authorization.MISCONFIGURED


def test_unauthorized_is_a_401_and_other_errors_a_500() -> None:
    assert authorization.refused(Exception("Unauthorized")) == authorization.UNAUTHORIZED
    assert authorization.refused(KeyError("kid")) == authorization.MISCONFIGURED


def test_the_cdn_keeps_only_cacheable_200s() -> None:
    store = cdn.Cdn()
    key = cdn.cache_key("GET", "/public/serving_num", SHORT, [("event_id", "e"), ("junk", "1")])
    assert key == cdn.cache_key("GET", "/public/serving_num", SHORT, [("event_id", "e")])
    assert not store.put(key, SHORT, 202, {}, b"{}")
    assert not store.put(key, SHORT, 200, {"Cache-Control": "no-store"}, b"{}")
    assert store.get(key) is None
    assert store.put(key, SHORT, 200, {"Content-Type": "application/json"}, b'{"serving_counter":1}')
    assert store.get(key).body == b'{"serving_counter":1}'


@pytest.mark.parametrize("status", [201, 204, 301, 400, 403, 404, 429, 500, 502, 503])
def test_the_cdn_keeps_no_answer_but_a_200(status: int) -> None:
    # Not even an error that forgot its Cache-Control header: CloudFront caches no error either.
    store = cdn.Cdn()
    key = cdn.cache_key("GET", "/public/serving_num", SHORT, [("event_id", "e")])
    assert not store.put(key, SHORT, status, {"Content-Type": "application/json"}, b"{}")
    assert store.get(key) is None


@pytest.mark.parametrize("cap", [None, 1.0])
def test_the_cdn_keeps_an_answer_for_its_ttl_and_no_longer(cap: float | None) -> None:
    """The bound a reset relies on: a copy is served until its TTL (under `--cache-seconds`, if
    given) and never after. A fake clock, so the bound is exact."""
    now = [1000.0]
    store = cdn.Cdn(max_ttl_seconds=cap, clock=lambda: now[0])
    ttl = SHORT.ttl_seconds if cap is None else min(SHORT.ttl_seconds, cap)
    assert store.ttl_of(SHORT) == ttl
    key = cdn.cache_key("GET", "/public/serving_num", SHORT, [("event_id", "e")])
    assert store.put(key, SHORT, 200, {}, b"{}")
    now[0] += ttl - 0.001
    assert store.get(key) is not None
    now[0] += 0.001
    assert store.get(key) is None
