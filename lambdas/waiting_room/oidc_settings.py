"""The OpenID adapter's settings: its issuer, its hosted page, and the client's registration.

The issuer is the adapter's own base URL. It is not the core's `ISSUER` (the public API's URL,
which the core puts in the tokens it issues to the waiting room page), so it has its own source:
`OIDC_ISSUER`, which the OpenID stack sets to its API's stage URL (change it for a custom
domain), otherwise the URL the request came in on, which on an execute-api endpoint is
`https://{domainName}/{stage}`. The local runtime sets no `OIDC_ISSUER` and names each API's stage
after its path prefix, so the same rule gives its `/oidc` base URL there.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]") if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def issuer(event: Mapping[str, Any]) -> str:
    """The adapter's issuer URL for this request (see the module docstring)."""
    configured = os.environ.get(Setting.OIDC_ISSUER.value, "").strip()
    if configured:
        return configured.rstrip("/")
    context = event.get("requestContext") or {}
    host = context.get("domainName") or _header(event, "Host") or ""
    if not host:
        raise RuntimeError("cannot tell the issuer: no OIDC_ISSUER and no domain name in the request")
    # API Gateway is HTTPS only and says so in X-Forwarded-Proto; plain HTTP only on loopback.
    scheme = _header(event, "X-Forwarded-Proto") or ("http" if _is_loopback(host) else "https")
    stage = context.get("stage")
    return f"{scheme}://{host}" + (f"/{stage}" if stage else "")


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
