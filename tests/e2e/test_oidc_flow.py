"""The OpenID Connect adapter end to end: Authlib's OAuth2 client against `vwr local`.

A relying party (Authlib's `OAuth2Session`, as a site's back end would use it) sends a visitor to
/authorize; the visitor waits in line through the public API (what the hosted page does), comes
back once served and is redirected to the client with a code; the client redeems it at /token and
reads /userInfo. Each refusal is the OAuth error RFC 6749 names for it.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token

from local.testing import Runtime
from tests.e2e.oidc_client import (
    CLIENT_SECRET,
    OTHER_REDIRECT_URI,
    REDIRECT_URI,
    authorize,
    come_back,
    discovery,
    entered_visitor,
    oauth_error,
    redeem,
    served_visitor,
    session,
    verified_id_token,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def metadata(runtime: Runtime) -> dict[str, Any]:
    return discovery(runtime)


@pytest.mark.parametrize(
    ("method", "nonce"),
    [("client_secret_basic", True), ("client_secret_post", True), ("client_secret_basic", False)],
)
def test_a_served_visitor_gets_verifiable_tokens_and_userinfo(
    runtime: Runtime, metadata: dict[str, Any], method: str, nonce: bool
) -> None:
    request_id = served_visitor(runtime)
    flow = authorize(runtime, metadata, session(runtime, method=method), request_id, nonce=nonce)
    token = redeem(metadata, flow)
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    assert "refresh_token" not in token

    # The relying party verifies the ID token with the adapter's JWKS, as any OIDC library does.
    claims = verified_id_token(runtime, metadata, token)
    assert claims["sub"] != request_id  # a derived subject: the request id is a secret
    assert claims["token_use"] == "id"
    assert claims.get("nonce") == flow.nonce  # the client's nonce, when it sent one

    info = flow.client.get(metadata["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"] and info.json()["event_id"] == runtime.event_id


def test_any_registered_event_signs_in_through_the_one_adapter(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    """The client id is an event id: an event created after the stack, not the stack's own, gets
    its visitors queued in its own line and tokens for its own audience."""
    other = "oidc-second-event"
    created = runtime.signed("POST", runtime.private_api + "/events", json_body={"event_id": other})
    assert created.status_code in (201, 409), created.text
    request_id = served_visitor(runtime, other)
    flow = authorize(runtime, metadata, session(runtime, client_id=other), request_id)
    claims = verified_id_token(runtime, metadata, redeem(metadata, flow), other)
    assert claims["aud"] == other
    info = flow.client.get(metadata["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200 and info.json()["event_id"] == other
    # A request id of that event is not the stack's event's: its client gets no code for it.
    url, _ = session(runtime).create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    refused = parse_qs(urlsplit(come_back(url, served_visitor(runtime, other)).json()["redirect_to"]).query)
    assert refused["error"] == ["access_denied"]


def test_a_replayed_code_is_refused(runtime: Runtime, metadata: dict[str, Any]) -> None:
    flow = authorize(runtime, metadata, session(runtime), served_visitor(runtime))
    redeem(metadata, flow)
    assert oauth_error(lambda: redeem(metadata, flow)) == "invalid_grant"


def test_a_wrong_client_secret_is_refused_and_does_not_burn_the_code(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    flow = authorize(runtime, metadata, session(runtime), served_visitor(runtime))
    for method in ("client_secret_basic", "client_secret_post"):
        impostor = session(runtime, secret="not-the-secret", method=method)
        assert oauth_error(lambda impostor=impostor: redeem(metadata, flow, impostor)) == "invalid_client"
    raw = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "authorization_code", "code": flow.code, "redirect_uri": REDIRECT_URI},
        auth=(runtime.event_id, "not-the-secret"),
        timeout=10,
    )
    assert raw.status_code == 401 and raw.headers["WWW-Authenticate"].startswith("Basic")
    assert redeem(metadata, flow)["access_token"]  # the real client still gets its tokens


def test_an_unregistered_redirect_uri_is_never_redirected_to(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    client = session(runtime)
    client.redirect_uri = "https://attacker.example/callback"
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    answer = come_back(url, served_visitor(runtime))
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "redirect_uri" in answer.json()["error"]


def test_a_redirect_uri_other_than_the_authorized_one_is_refused_at_the_token_endpoint(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    flow = authorize(runtime, metadata, session(runtime), served_visitor(runtime))
    other = session(runtime)
    other.redirect_uri = OTHER_REDIRECT_URI  # registered, but not the one the code was issued for
    assert oauth_error(lambda: redeem(metadata, flow, other)) == "invalid_grant"


def test_a_bad_pkce_verifier_is_refused_and_burns_the_code(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    flow = authorize(runtime, metadata, session(runtime), served_visitor(runtime))
    wrong = generate_token(64)
    assert oauth_error(lambda: redeem(metadata, flow, code_verifier=wrong)) == "invalid_grant"
    # A guessed verifier gets no second try: the code is gone even for the right one.
    assert oauth_error(lambda: redeem(metadata, flow)) == "invalid_grant"


def test_a_missing_pkce_verifier_is_refused(runtime: Runtime, metadata: dict[str, Any]) -> None:
    flow = authorize(runtime, metadata, session(runtime), served_visitor(runtime))
    data = {"grant_type": "authorization_code", "code": flow.code, "redirect_uri": REDIRECT_URI}
    raw = requests.post(
        metadata["token_endpoint"], data=data, auth=(runtime.event_id, CLIENT_SECRET), timeout=10
    )
    assert raw.status_code == 400 and raw.json()["error"] == "invalid_grant"


def test_other_token_requests_get_their_rfc_6749_errors(runtime: Runtime, metadata: dict[str, Any]) -> None:
    auth = (runtime.event_id, CLIENT_SECRET)

    def post(data: dict[str, str], **options: Any) -> requests.Response:
        return requests.post(metadata["token_endpoint"], data=data, timeout=10, **options)

    assert post({"grant_type": "client_credentials"}, auth=auth).json()["error"] == "unsupported_grant_type"
    assert post({"grant_type": "authorization_code"}, auth=auth).json()["error"] == "invalid_request"
    assert post({"code": "x"}, auth=auth).json()["error"] == "invalid_request"
    unknown = post(
        {"grant_type": "authorization_code", "code": "made-up", "redirect_uri": REDIRECT_URI}, auth=auth
    )
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
    anonymous = post({"grant_type": "authorization_code", "code": "x"})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    both = post({"grant_type": "authorization_code", "code": "x", "client_secret": CLIENT_SECRET}, auth=auth)
    assert both.json()["error"] == "invalid_request"
    assert unknown.headers["Cache-Control"] == "no-store"


def test_authorize_refuses_what_oidc_does_not_allow(runtime: Runtime, metadata: dict[str, Any]) -> None:
    base = {
        "client_id": runtime.event_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid",
        "state": "s-1",
    }

    def error_of(**changes: str | None) -> dict[str, list[str]]:
        params = {k: v for k, v in {**base, **changes}.items() if v is not None}
        answer = requests.get(
            metadata["authorization_endpoint"], params=params, allow_redirects=False, timeout=10
        )
        assert answer.status_code == 302
        return parse_qs(urlsplit(answer.headers["Location"]).query)

    assert error_of(response_type="token")["error"] == ["unsupported_response_type"]
    assert error_of(scope="profile")["error"] == ["invalid_scope"]
    assert error_of(code_challenge="x" * 43, code_challenge_method="plain")["error"] == ["invalid_request"]
    assert error_of(code_challenge="x" * 43)["error"] == ["invalid_request"]  # absent method = plain
    assert error_of(prompt="none")["error"] == ["login_required"]
    assert error_of(response_type="token")["state"] == ["s-1"]

    unknown_client = requests.get(
        metadata["authorization_endpoint"],
        params={**base, "client_id": "other"},
        allow_redirects=False,
        timeout=10,
    )
    assert unknown_client.status_code == 400 and "Location" not in unknown_client.headers


def test_no_code_for_a_visitor_who_is_not_served_or_unknown(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    client = session(runtime)
    url, state = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )

    # Entered but not served: back to the hosted page to keep waiting, no code.
    waiting, _ = entered_visitor(runtime)
    answer = come_back(url, waiting)
    assert answer.status_code == 200
    assert not answer.json()["redirect_to"].startswith(REDIRECT_URI)
    page = parse_qs(urlsplit(answer.json()["redirect_to"]).query)
    assert "code" not in page and page["event_id"] == [runtime.event_id]

    # Never entered: the client hears access_denied, with its state.
    answer = come_back(url, str(uuid.uuid4()))
    query = parse_qs(urlsplit(answer.json()["redirect_to"]).query)
    assert answer.json()["redirect_to"].startswith(REDIRECT_URI)
    assert query["error"] == ["access_denied"] and query["state"] == [state]


def test_userinfo_verifies_the_token_before_answering(runtime: Runtime, metadata: dict[str, Any]) -> None:
    request_id = served_visitor(runtime)
    flow = authorize(runtime, metadata, session(runtime), request_id)
    access = redeem(metadata, flow)["access_token"]

    def userinfo(token: str | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(metadata["userinfo_endpoint"], headers=headers, timeout=10)

    assert userinfo(access).status_code == 200
    header, payload, signature = access.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert userinfo(forged).status_code == 401
    assert userinfo(forged).json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in userinfo(forged).headers["WWW-Authenticate"]
    assert userinfo(None).status_code == 401

    # A token of the waiting room page (the public issuer) is not one of this issuer's.
    public_visitor = served_visitor(runtime)
    public = requests.post(
        runtime.public_api + "/generate_token",
        json={"event_id": runtime.event_id, "request_id": public_visitor},
        timeout=10,
    ).json()
    assert userinfo(public["access_token"]).status_code == 401
    assert userinfo(public["id_token"]).status_code == 401
