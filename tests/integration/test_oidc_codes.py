"""Authorization codes on moto's DynamoDB: single use under races, expiry, and no code at rest."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

from lambdas.waiting_room import oidc_codes

CLIENT_ID = "test-event"


def new_code(**changes: object) -> str:
    grant = {
        "client_id": CLIENT_ID,
        "redirect_uri": "https://rp.example/cb",
        "request_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "scope": "openid",
        "code_challenge": None,
        "nonce": "n-1",
    }
    return oidc_codes.issue(**{**grant, **changes})  # type: ignore[arg-type]


def redeem(code: str, now: float | None = None) -> oidc_codes.Grant | None:
    return oidc_codes.redeem(code, client_id=CLIENT_ID, now=now)


def test_a_code_is_redeemed_once_with_what_it_stood_for(core_env: dict[str, str]) -> None:
    code = new_code(code_challenge="c" * 43)
    grant = redeem(code)
    assert grant is not None
    assert (grant.request_id, grant.code_challenge, grant.nonce) == (
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "c" * 43,
        "n-1",
    )
    assert redeem(code) is None


def test_of_concurrent_redemptions_exactly_one_wins(core_env: dict[str, str]) -> None:
    code = new_code()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: redeem(code), range(8)))
    assert sum(result is not None for result in results) == 1


def test_an_expired_code_is_refused_even_before_ttl_deletes_it(core_env: dict[str, str]) -> None:
    code = new_code()
    assert redeem(code, now=time.time() + oidc_codes.CODE_LIFETIME_SECONDS + 1) is None
    assert redeem("made-up") is None and redeem("") is None


def test_the_table_holds_a_hash_and_a_ttl_not_the_code(
    core_env: dict[str, str], aws_session: boto3.Session
) -> None:
    code = new_code()
    place, _, secret = code.partition(".")
    assert place == oidc_codes.place_of(CLIENT_ID, "0f8fad5b-d9cb-469f-a165-70867728950e")
    item = aws_session.client("dynamodb").get_item(
        TableName=core_env["OIDC_CODES_TABLE"], Key={"place": {"S": place}}
    )["Item"]
    assert secret not in str(item)
    assert item["secret_hash"]["S"] == hashlib.sha256(secret.encode()).hexdigest()
    assert int(item["expires_at"]["N"]) <= time.time() + oidc_codes.CODE_LIFETIME_SECONDS + 1


def test_a_new_code_voids_the_places_previous_one(core_env: dict[str, str]) -> None:
    older, newer = new_code(), new_code()
    other_place = new_code(request_id="7c9e6679-7425-40de-944b-e07fc1f90ae7")
    assert redeem(older) is None
    assert redeem(newer) is not None
    assert redeem(other_place) is not None  # another visitor's code is untouched
    # A made-up secret for a live place gets nothing, and does not burn the real code.
    live = new_code()
    place = live.partition(".")[0]
    assert redeem(f"{place}.{'A' * 43}") is None
    assert redeem(live) is not None


def test_a_code_of_another_client_is_refused_and_left_to_its_own_client(core_env: dict[str, str]) -> None:
    # Another event's adapter, sharing the table: its code is no grant here, and is not burnt.
    code = new_code(client_id="other-event")
    assert oidc_codes.redeem(code, client_id=CLIENT_ID) is None
    grant = oidc_codes.redeem(code, client_id="other-event")
    assert grant is not None and grant.client_id == "other-event"
