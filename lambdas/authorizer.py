"""API Gateway Lambda authorizer for the protected site: admits holders of a waiting room access token.

Works as a REQUEST authorizer (reads the `Authorization` header, any capitalisation) and as a TOKEN
authorizer (reads `authorizationToken`). A missing or bad token raises `Exception("Unauthorized")`,
the one error API Gateway turns into a 401; any other exception would be a 500.

The Allow policy covers every method of the API's stage, not just the one called: API Gateway
caches the policy per token, and a policy naming only the first method would deny the visitor's
next call to a different route from the cache.

Beyond the signature it refuses a token issued before the event's last reset and, with
`DENY_CLOSED_SESSIONS`, a token whose session was closed (lambdas/waiting_room/gatekeeper.py says
what each costs per authorization).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from lambdas.catalog import Setting
from lambdas.waiting_room.gatekeeper import Gatekeeper
from lambdas.waiting_room.http import logger, masked
from lambdas.waiting_room.verification import (
    AccessClaims,
    InvalidToken,
    KeyCache,
    Verifier,
    http_fetch,
    keys_url,
)

# A JWT of this product is well under 2 KB; refusing huge headers early costs nothing.
MAX_TOKEN_CHARS = 8192


def _unauthorized() -> Exception:
    # Exactly this message: API Gateway matches it to answer 401 instead of 500.
    return Exception("Unauthorized")


@cache
def _verifier() -> Verifier:
    """One verifier (and so one key cache) per container, built from the wiring-table settings."""
    event_id = os.environ.get(Setting.EVENT_ID.value, "")
    public_api_url = os.environ.get(Setting.PUBLIC_API_URL.value, "")
    if not event_id or not public_api_url:
        raise RuntimeError("EVENT_ID and PUBLIC_API_URL must be set")
    # The public issuer is the public API's base URL unless the deployment names another.
    issuer = os.environ.get(Setting.ISSUER.value, "") or public_api_url
    cache_ = KeyCache(http_fetch(keys_url(public_api_url, event_id)))
    return Verifier(keys=cache_, audience=event_id, issuer=issuer)


@cache
def _gatekeeper() -> Gatekeeper:
    flag = os.environ.get(Setting.DENY_CLOSED_SESSIONS.value, "")
    deny = flag.strip().lower() in {"1", "true", "yes", "on"}
    return Gatekeeper.for_event(
        os.environ[Setting.PUBLIC_API_URL.value],
        os.environ[Setting.EVENT_ID.value],
        deny_closed_sessions=deny,
    )


def bearer_token(event: Mapping[str, Any]) -> str | None:
    """The token of a REQUEST or TOKEN authorizer event: `Bearer <jwt>` or a bare `<jwt>`."""
    raw: Any = event.get("authorizationToken")
    if raw is None:
        headers = event.get("headers") or {}
        raw = next(
            (v for k, v in headers.items() if isinstance(k, str) and k.lower() == "authorization"), None
        )
    if not isinstance(raw, str):
        return None
    value = raw.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    # A JWT has no spaces; anything with one is another scheme ("Basic ...") or garbage.
    if not value or " " in value or len(value) > MAX_TOKEN_CHARS:
        return None
    return value


def api_resource(method_arn: str) -> str:
    """`arn:aws:execute-api:region:account:apiId/stage/*/*` from the ARN of the method called."""
    parts = method_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
        raise ValueError("not an execute-api ARN")
    path = parts[5].split("/")
    if len(path) < 2 or not path[0] or not path[1] or "*" in path[0] or "*" in path[1]:
        raise ValueError("the ARN names no API and stage")
    return ":".join(parts[:5]) + f":{path[0]}/{path[1]}/*/*"


def allow_policy(claims: AccessClaims, resource: str) -> dict[str, Any]:
    context: dict[str, Any] = {"event_id": claims.event_id, "expires_at": claims.expires_at}
    # Context values must be strings, numbers or booleans (never null) or API Gateway fails with 500.
    if claims.queue_position is not None:
        context["queue_position"] = claims.queue_position
    return {
        "principalId": claims.subject,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}],
        },
        "context": context,
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method_arn = event.get("methodArn") or event.get("routeArn")
    token = bearer_token(event)
    if token is None:
        logger.info("token refused", extra={"reason": "missing or malformed Authorization"})
        raise _unauthorized()
    try:
        resource = api_resource(method_arn if isinstance(method_arn, str) else "")
    except ValueError as error:
        # A wiring mistake, not the visitor's; still no policy can be written, so refuse.
        logger.error("cannot scope the policy", extra={"reason": str(error)})
        raise _unauthorized() from None
    try:
        claims = _verifier().verify(token)
        _gatekeeper().check(claims)
    except InvalidToken as error:
        logger.info("token refused", extra={"reason": str(error)})
        # `from None`: the chained PyJWT error adds nothing the reason does not already say.
        raise _unauthorized() from None
    logger.debug("token accepted", extra={"sub": masked(claims.subject)})
    return allow_policy(claims, resource)
