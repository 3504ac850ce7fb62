"""Authorization codes on moto's DynamoDB: single use under races, expiry, and no code at rest."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

from lambdas.waiting_room import oidc_codes


def new_code(**changes: object) -> str:
    grant = {
        "client_id": "test-event",
        "redirect_uri": "https://rp.example/cb",
        "request_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "scope": "openid",
        "code_challenge": None,
        "nonce": "n-1",
    }
    return oidc_codes.issue(**{**grant, **changes})  # type: ignore[arg-type]


def test_a_code_is_redeemed_once_with_what_it_stood_for(core_env: dict[str, str]) -> None:
    code = new_code(code_challenge="c" * 43)
    grant = oidc_codes.redeem(code)
    assert grant is not None
    assert (grant.request_id, grant.code_challenge, grant.nonce) == (
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "c" * 43,
        "n-1",
    )
    assert oidc_codes.redeem(code) is None


def test_of_concurrent_redemptions_exactly_one_wins(core_env: dict[str, str]) -> None:
    code = new_code()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: oidc_codes.redeem(code), range(8)))
    assert sum(result is not None for result in results) == 1


def test_an_expired_code_is_refused_even_before_ttl_deletes_it(core_env: dict[str, str]) -> None:
    code = new_code()
    assert oidc_codes.redeem(code, now=time.time() + oidc_codes.CODE_LIFETIME_SECONDS + 1) is None
    assert oidc_codes.redeem("made-up") is None and oidc_codes.redeem("") is None


def test_the_table_holds_a_hash_and_a_ttl_not_the_code(
    core_env: dict[str, str], aws_session: boto3.Session
) -> None:
    code = new_code()
    table = core_env["OIDC_CODES_TABLE"]
    item = aws_session.client("dynamodb").get_item(
        TableName=table, Key={"code": {"S": hashlib.sha256(code.encode()).hexdigest()}}
    )["Item"]
    assert code not in str(item)
    assert int(item["expires_at"]["N"]) <= time.time() + oidc_codes.CODE_LIFETIME_SECONDS + 1
