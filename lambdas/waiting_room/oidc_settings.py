"""The OpenID adapter's settings: its issuer, its hosted page, and the client's registration.

The issuer is the adapter's own base URL. It is not the core's `ISSUER` (the public API's URL,
which the core puts in the tokens it issues to the waiting room page), so it has its own setting,
`OIDC_ISSUER`: the OpenID stack sets it to its API's stage URL (change it for a custom domain), the
local runtime to its `/oidc` base URL. It is never read from a request: a Host header is the
client's to choose, and the discovery document that names the issuer is cached for everyone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_lambda_powertools.utilities import parameters

from lambdas.catalog import Resource, Setting

# Rotating the client secret takes effect within this many seconds, without a redeploy.
CLIENT_SECRET_MAX_AGE_SECONDS = 300
# Authorization codes are redeemed within seconds by the client's back end; RFC 6749 4.1.2
# recommends at most ten minutes.
CODE_LIFETIME_SECONDS = 60


@dataclass(frozen=True)
class ClientRegistration:
    client_secret: str
    redirect_uris: tuple[str, ...]


def event_id() -> str:
    return os.environ.get(Setting.EVENT_ID.value, "")


def codes_table() -> str:
    return os.environ.get(Resource.OIDC_CODES_TABLE.value, "")


def page_url() -> str:
    return os.environ.get(Setting.OIDC_PAGE_URL.value, "")


def issuer() -> str:
    """The adapter's issuer URL (see the module docstring)."""
    configured = os.environ.get(Setting.OIDC_ISSUER.value, "").strip()
    if not configured:
        raise RuntimeError("OIDC_ISSUER is not set: the adapter has no issuer")
    return configured.rstrip("/")


def client_registration() -> ClientRegistration:
    """The client's secret and redirect URIs, from Secrets Manager (cached, never logged)."""
    value = parameters.get_secret(
        os.environ.get(Resource.OIDC_CLIENT_SECRET.value, ""),
        transform="json",
        max_age=CLIENT_SECRET_MAX_AGE_SECONDS,
    )
    if not isinstance(value, dict) or not isinstance(value.get("client_secret"), str):
        raise RuntimeError("the OIDC client secret must be a JSON object with client_secret")
    uris = value.get("redirect_uris") or []
    return ClientRegistration(value["client_secret"], tuple(u for u in uris if isinstance(u, str) and u))
