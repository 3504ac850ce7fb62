"""The adapter's issuer and the checks /userInfo makes on a token before trusting it."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from lambdas.waiting_room.keys import generate_key_material, parse_key_material
from lambdas.waiting_room.oidc_settings import issuer
from lambdas.waiting_room.oidc_tokens import (
    InvalidToken,
    relying_party_tokens,
    subject_of,
    verify_access_token,
)

KEY = parse_key_material(generate_key_material())
OTHER_KEY = parse_key_material(generate_key_material())
ISSUER = "https://id.example/prod"
RID = "0f8fad5b-d9cb-469f-a165-70867728950e"


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
    return verify_access_token(value, key=KEY.verifying, audience="evt", issuer=ISSUER)


def test_a_good_access_token_passes() -> None:
    assert verify(token())["sub"] == "rid"


@pytest.mark.parametrize(
    "bad",
    [
        token(exp=int(time.time()) - 120),
        token(aud="other-event"),
        token(aud=["other-event", "evt"]),  # a token of several events is no token of this one
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


def test_relying_parties_get_the_cores_claims_with_a_derived_subject_and_the_nonce() -> None:
    core = {"access_token": token(sub=RID), "id_token": token(sub=RID, token_use="id")}
    signed = relying_party_tokens(core, key=KEY, audience="evt", issuer=ISSUER, nonce="n-1")
    public = KEY.private_key.public_key()
    for use, nonce in (("access", None), ("id", "n-1")):
        mine = signed[f"{use}_token"]
        assert jwt.get_unverified_header(mine)["kid"] == KEY.kid
        claims = jwt.decode(mine, public, algorithms=["RS256"], audience="evt")
        original = jwt.decode(core[f"{use}_token"], public, algorithms=["RS256"], audience="evt")
        expected = {**original, "sub": subject_of(RID, key=KEY, audience="evt")}
        assert claims == ({**expected, "nonce": nonce} if nonce else expected)
        assert RID not in mine and RID not in str(claims)
    # The subject is stable for the visitor, differs between visitors, events and key pairs.
    assert subject_of(RID, key=KEY, audience="evt") == subject_of(RID, key=KEY, audience="evt")
    assert subject_of(RID, key=KEY, audience="evt") != subject_of(RID[::-1], key=KEY, audience="evt")
    assert subject_of(RID, key=KEY, audience="evt") != subject_of(RID, key=KEY, audience="other")
    assert subject_of(RID, key=KEY, audience="evt") != subject_of(RID, key=OTHER_KEY, audience="evt")


def test_relying_party_tokens_come_only_from_the_cores_own_tokens() -> None:
    def tokens(**changes: Any) -> dict[str, str]:
        return {"access_token": token(**changes), "id_token": token(token_use="id", **changes)}

    for wrong in (tokens(key=OTHER_KEY), tokens(iss="https://public.example/api"), tokens(aud="other")):
        with pytest.raises(InvalidToken):
            relying_party_tokens(wrong, key=KEY, audience="evt", issuer=ISSUER, nonce=None)
    swapped = {"access_token": token(token_use="id"), "id_token": token()}
    with pytest.raises(InvalidToken):
        relying_party_tokens(swapped, key=KEY, audience="evt", issuer=ISSUER, nonce=None)
