"""Verifying the access tokens the adapter handed out, before /userInfo trusts a single claim.

The tokens are the core's (RS256, `kid` in the header), issued with the adapter's issuer; they are
verified with the same key pair the JWKS publishes.
"""

from __future__ import annotations

from typing import Any

import jwt

from lambdas.waiting_room.keys import SigningKey

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class InvalidToken(Exception):
    """The token cannot be trusted; the message is safe to show (it names no claim values)."""


def verify_access_token(token: str, *, key: SigningKey, audience: str, issuer: str) -> dict[str, Any]:
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
            key.private_key.public_key(),
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired") from error
    except jwt.PyJWTError as error:
        raise InvalidToken("the token is invalid") from error
    if claims.get("token_use") != "access":
        raise InvalidToken("an access token is required")
    return claims


def id_token_with_nonce(id_token: str, nonce: str, *, key: SigningKey, audience: str, issuer: str) -> str:
    """The core's ID token with the client's `nonce` added (OpenID Connect Core 3.1.3.6).

    The core knows nothing of nonces; a client that sent one must find it in the ID token or it
    rejects the sign-in. The claims are the core's own, checked first, and the result is signed
    with the same key, so the JWKS verifies it like any other token of the waiting room.
    """
    claims = jwt.decode(
        id_token,
        key.private_key.public_key(),
        algorithms=["RS256"],
        audience=audience,
        issuer=issuer,
        options={"require": REQUIRED_CLAIMS},
    )
    if claims.get("token_use") != "id":
        raise InvalidToken("the core's answer held no ID token")
    return jwt.encode(
        {**claims, "nonce": nonce}, key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
