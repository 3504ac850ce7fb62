"""The adapter's issuer and the checks /userInfo makes on a token before trusting it."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from lambdas.waiting_room.keys import generate_key_material, parse_key_material
from lambdas.waiting_room.oidc_settings import issuer
from lambdas.waiting_room.oidc_tokens import InvalidToken, verify_access_token

KEY = parse_key_material(generate_key_material())
OTHER_KEY = parse_key_material(generate_key_material())
ISSUER = "https://id.example/prod"


def token(key=KEY, headers: dict[str, Any] | None = None, algorithm: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "aud": "evt",
        "sub": "rid",
        "iss": ISSUER,
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "token_use": "access",
        "queue_position": 3,
    }
    claims = {k: v for k, v in {**claims, **changes}.items() if v is not None}
    return jwt.encode(
        claims, key.private_key, algorithm=algorithm, headers={"kid": key.kid, **(headers or {})}
    )


def verify(value: str) -> dict[str, Any]:
    return verify_access_token(value, key=KEY, audience="evt", issuer=ISSUER)


def test_a_good_access_token_passes() -> None:
    assert verify(token())["sub"] == "rid"


@pytest.mark.parametrize(
    "bad",
    [
        token(exp=int(time.time()) - 120),
        token(aud="other-event"),
        token(iss="https://public.example/api"),
        token(token_use="id"),
        token(token_use="refresh"),
        token(exp=None),
        token(key=OTHER_KEY, headers={"kid": KEY.kid}),  # right kid, wrong signature
        token(headers={"kid": "someone-else"}),
        "not.a.jwt",
        "",
    ],
)
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(InvalidToken):
        verify(bad)


def test_an_unsigned_or_hmac_token_is_refused() -> None:
    unsigned = jwt.encode({"sub": "rid"}, None, algorithm="none", headers={"kid": KEY.kid})
    with pytest.raises(InvalidToken):
        verify(unsigned)
    forged = jwt.encode(
        {"sub": "rid"},
        "a-public-key-used-as-an-hmac-secret-0123456789",
        algorithm="HS256",
        headers={"kid": KEY.kid},
    )
    with pytest.raises(InvalidToken):
        verify(forged)


def test_the_issuer_is_configured_never_taken_from_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OIDC_ISSUER", raising=False)
    with pytest.raises(RuntimeError, match="OIDC_ISSUER"):
        issuer()
    monkeypatch.setenv("OIDC_ISSUER", "https://login.example.com/")
    assert issuer() == "https://login.example.com"


def test_the_nonce_is_added_to_the_cores_id_token_and_nothing_else_changes() -> None:
    from lambdas.waiting_room.oidc_tokens import id_token_with_nonce

    core = token(token_use="id")
    signed = id_token_with_nonce(core, "n-1", key=KEY, audience="evt", issuer=ISSUER)
    assert jwt.get_unverified_header(signed)["kid"] == KEY.kid
    claims = jwt.decode(signed, KEY.private_key.public_key(), algorithms=["RS256"], audience="evt")
    original = jwt.decode(core, KEY.private_key.public_key(), algorithms=["RS256"], audience="evt")
    assert claims == {**original, "nonce": "n-1"}
    with pytest.raises(InvalidToken):
        id_token_with_nonce(token(), "n-1", key=KEY, audience="evt", issuer=ISSUER)  # an access token
    with pytest.raises(jwt.PyJWTError):
        id_token_with_nonce(token(key=OTHER_KEY, token_use="id"), "n", key=KEY, audience="evt", issuer=ISSUER)
