"""The tokens a relying party gets, and the check /userInfo makes before it trusts one.

The core's tokens name the visitor by request id, the bearer secret of the visitor's whole
journey: whoever holds it can take the place (and drive /authorize with it). A relying party
never sees it. /token verifies the core's tokens (RS256, `kid` in the header, this adapter's
issuer) and signs them again with the same key, with a derived subject in place of the request id
and the client's `nonce` in the ID token, so the JWKS verifies them like any other token of the
waiting room.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization

from lambdas.waiting_room.keys import SigningKey, VerifyingKey

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class InvalidToken(Exception):
    """The token cannot be trusted; the message is safe to show (it names no claim values)."""


def _verified(token: str, *, key: VerifyingKey, audience: str, issuer: str, token_use: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken("the token is malformed") from error
    # Pinning the algorithm and the kid: a token signed any other way is not ours.
    if header.get("alg") != "RS256" or header.get("kid") != key.kid:
        raise InvalidToken("the token was not signed by this waiting room")
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            # strict_aud: `aud` must be exactly this event, not a list that merely includes it.
            options={"require": REQUIRED_CLAIMS, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired") from error
    except jwt.PyJWTError as error:
        raise InvalidToken("the token is invalid") from error
    if claims.get("token_use") != token_use:
        raise InvalidToken(f"an {token_use} token is required")
    return claims


def verify_access_token(token: str, *, key: VerifyingKey, audience: str, issuer: str) -> dict[str, Any]:
    return _verified(token, key=key, audience=audience, issuer=issuer, token_use="access")


def claimed_audience(token: str) -> str:
    """The event a token names, read before its signature is checked: only to choose the audience
    the check then requires (the adapter serves every event, and signs for each with one key)."""
    try:
        audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
    except jwt.PyJWTError as error:
        raise InvalidToken("the token is malformed") from error
    if not isinstance(audience, str) or not audience:
        raise InvalidToken("the token names no event")
    return audience


def subject_of(request_id: str, *, key: SigningKey, audience: str) -> str:
    """The visitor's `sub` for relying parties: the same for every sign-in of one place in line.

    HMAC-SHA256 of the event and the request id, keyed by a key derived from the signing key's
    private half: only a holder of the signing key computes it, and no one can go back from it to
    the request id. A new key pair (a new deployment) gives new subjects.
    """
    private = key.private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    subject_key = hashlib.sha256(b"waiting-room oidc subject\0" + private).digest()
    digest = hmac.new(subject_key, f"{audience}\0{request_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def relying_party_tokens(
    core_tokens: Mapping[str, Any], *, key: SigningKey, audience: str, issuer: str, nonce: str | None
) -> dict[str, str]:
    """The core's access and ID tokens, checked, with the derived subject (and the nonce) instead.

    Raises InvalidToken when the core's answer does not hold this adapter's tokens.
    """
    signed = {}
    for use in ("access", "id"):
        claims = _verified(
            str(core_tokens.get(f"{use}_token")),
            key=key.verifying,
            audience=audience,
            issuer=issuer,
            token_use=use,
        )
        claims["sub"] = subject_of(claims["sub"], key=key, audience=audience)
        if use == "id" and nonce is not None:
            # OpenID Connect Core 3.1.3.6: a client that sent a nonce finds it in the ID token.
            claims["nonce"] = nonce
        signed[f"{use}_token"] = jwt.encode(
            claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}
        )
    return signed
