"""A relying party and a visitor of the OpenID adapter, for the tests that drive `vwr local`.

A relying party (Authlib's `OAuth2Session`, as a site's back end would use it) sends a visitor to
/authorize; the visitor waits in line through the public API (what the hosted page does), comes
back once served and is redirected to the client with a code; the client redeems it at /token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from local.testing import Runtime

REDIRECT_URI = "https://rp.example/callback"
OTHER_REDIRECT_URI = "https://rp.example/other-callback"
CLIENT_SECRET = "e2e-client-secret"
# `vwr local` arguments that register the client above.
RUNTIME_ARGS = (
    "--oidc-redirect-uri", REDIRECT_URI,
    "--oidc-redirect-uri", OTHER_REDIRECT_URI,
    "--oidc-client-secret", CLIENT_SECRET,
)  # fmt: skip


def discovery(runtime: Runtime) -> dict[str, Any]:
    answer = requests.get(runtime.oidc_api + "/.well-known/openid-configuration", timeout=10)
    assert answer.status_code == 200
    return answer.json()


def entered_visitor(runtime: Runtime, event_id: str | None = None) -> tuple[str, int]:
    """A visitor who entered the line and holds a position (request id, position)."""
    public, event_id = runtime.public_api, event_id or runtime.event_id
    answer = requests.post(public + "/assign_queue_num", json={"event_id": event_id}, timeout=10)
    request_id = answer.json()["api_request_id"]
    deadline = time.monotonic() + 30
    while True:
        answer = requests.get(
            public + "/queue_num", params={"event_id": event_id, "request_id": request_id}, timeout=10
        )
        if answer.status_code == 200:
            break
        assert time.monotonic() < deadline, "the entry was never assigned a position"
        time.sleep(0.1)
    return request_id, answer.json()["queue_number"]


def served_visitor(runtime: Runtime, event_id: str | None = None) -> str:
    """A visitor who entered the line and was served: what the hosted page waits for."""
    event_id = event_id or runtime.event_id
    request_id, position = entered_visitor(runtime, event_id)
    counters = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": event_id})
    behind = position - counters.json()["serving_counter"]
    if behind > 0:
        moved = runtime.signed(
            "POST",
            runtime.private_api + "/increment_serving_counter",
            json_body={"event_id": event_id, "increment_by": behind},
        )
        assert moved.status_code == 200, moved.text
    return request_id


def come_back(authorization_url: str, request_id: str) -> requests.Response:
    """What the hosted page does once served: POST the authorization request and the request id
    (in the body, never a URL) to /authorize, which answers where to go in `redirect_to`."""
    parts = urlsplit(authorization_url)
    form = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return requests.post(
        f"{parts.scheme}://{parts.netloc}{parts.path}",
        data={**form, "request_id": request_id},
        allow_redirects=False,
        timeout=10,
    )


@dataclass
class Flow:
    client: OAuth2Session
    verifier: str
    state: str
    nonce: str | None
    callback: str  # where the adapter finally redirected the browser

    @property
    def code(self) -> str:
        return parse_qs(urlsplit(self.callback).query)["code"][0]


def session(
    runtime: Runtime,
    *,
    secret: str = CLIENT_SECRET,
    method: str = "client_secret_basic",
    client_id: str | None = None,
) -> OAuth2Session:
    return OAuth2Session(
        client_id=client_id or runtime.event_id,
        client_secret=secret,
        token_endpoint_auth_method=method,
        redirect_uri=REDIRECT_URI,
        scope="openid",
        code_challenge_method="S256",
    )


def authorize(
    runtime: Runtime, metadata: dict[str, Any], client: OAuth2Session, request_id: str, *, nonce: bool = True
) -> Flow:
    """The browser's part: /authorize, the hosted page, back to /authorize, then the redirect."""
    verifier = generate_token(64)
    extra = {"nonce": generate_token(16)} if nonce else {}
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, **extra
    )
    first = requests.get(url, allow_redirects=False, timeout=10)
    assert first.status_code == 302
    page = urlsplit(first.headers["Location"])
    # The hosted page gets the whole authorization request, to come back with it, and waits in
    # the adapter's event.
    query = parse_qs(page.query)
    assert query["state"] == [state] and query["code_challenge_method"] == ["S256"]
    assert query["event_id"] == [client.client_id]
    back = come_back(url, request_id)
    assert back.status_code == 200, back.text
    callback = back.json()["redirect_to"]
    assert callback.startswith(REDIRECT_URI + "?")
    assert parse_qs(urlsplit(callback).query)["state"] == [state]  # returned untouched
    return Flow(client, verifier, state, extra.get("nonce"), callback)


def redeem(metadata: dict[str, Any], flow: Flow, client: OAuth2Session | None = None, **extra: Any) -> dict:
    options = {"authorization_response": flow.callback, "code_verifier": flow.verifier, **extra}
    return (client or flow.client).fetch_token(metadata["token_endpoint"], **options)


def oauth_error(call: Any) -> str:
    with pytest.raises(OAuthError) as refused:
        call()
    return refused.value.error


def verified_id_token(
    runtime: Runtime, metadata: dict[str, Any], tokens: dict[str, Any], event_id: str | None = None
) -> dict[str, Any]:
    """The ID token's claims, checked as a relying party checks them: this JWKS, issuer, audience."""
    # joserfc: the JOSE library Authlib's own deprecation notice for authlib.jose points to.
    keys = KeySet.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": event_id or runtime.event_id},
        exp={"essential": True},
    ).validate(id_token.claims)
    return dict(id_token.claims)
