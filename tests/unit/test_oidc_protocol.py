"""The adapter's OAuth 2.0 / OpenID Connect rules, without I/O."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from lambdas.waiting_room.oidc_protocol import (
    NoRedirectError,
    OAuthError,
    RedirectError,
    client_credentials,
    discovery_document,
    parse_authorization_request,
    parse_form,
    pkce_matches,
    single_values,
    with_query,
)

CLIENT = "my-event"
REDIRECT = "https://rp.example/cb"
VERIFIER = "x" * 20 + "-._~" + "Y" * 24
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
VALID = {
    "client_id": CLIENT,
    "redirect_uri": REDIRECT,
    "response_type": "code",
    "scope": "openid profile",
    "state": "opaque &state=",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}


def parse(**changes: str | None):
    params = {k: v for k, v in {**VALID, **changes}.items() if v is not None}
    return parse_authorization_request(params, client_id=CLIENT, redirect_uris=(REDIRECT,))


def test_a_valid_request_is_kept_whole_for_the_round_trip() -> None:
    request = parse(nonce="n-1")
    assert request.parameters() == {**VALID, "scope": "openid", "nonce": "n-1"}


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "other"},
        {"client_id": None},
        {"redirect_uri": None},
        {"redirect_uri": REDIRECT + "/more"},  # no prefix matching
        {"redirect_uri": REDIRECT + "?x=1"},
        {"redirect_uri": "https://attacker.example/cb", "response_type": "token"},  # checked first
    ],
)
def test_an_untrusted_client_or_redirect_uri_is_never_redirected_to(changes: dict[str, str | None]) -> None:
    with pytest.raises(NoRedirectError):
        parse(**changes)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # absent means plain (RFC 7636 4.3)
        ({"code_challenge": None}, "invalid_request"),  # a method without a challenge
        ({"code_challenge": "short"}, "invalid_request"),
    ],
)
def test_other_mistakes_go_back_to_the_client_with_their_error_and_state(
    changes: dict[str, str | None], error: str
) -> None:
    with pytest.raises(RedirectError) as refused:
        parse(**changes)
    query = parse_qs(urlsplit(refused.value.location()).query)
    assert query["error"] == [error] and query["state"] == [VALID["state"]]


def test_pkce_is_optional_but_binding_once_asked_for() -> None:
    assert parse(code_challenge=None, code_challenge_method=None).code_challenge is None
    assert pkce_matches(VERIFIER, CHALLENGE)
    assert not pkce_matches(VERIFIER + "z", CHALLENGE)
    assert not pkce_matches(None, CHALLENGE)
    assert not pkce_matches("short", CHALLENGE)
    assert not pkce_matches(VERIFIER, None)  # a verifier for a code that had no challenge
    assert pkce_matches(None, None)


def test_with_query_keeps_the_redirect_uris_own_query() -> None:
    assert (
        with_query("https://rp/cb?tenant=a", {"code": "c", "state": None}) == "https://rp/cb?tenant=a&code=c"
    )
    assert with_query("https://rp/cb", {"code": "c d"}) == "https://rp/cb?code=c+d"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_client_credentials_from_basic_or_post() -> None:
    creds = client_credentials(basic("my-event", "s%3Acret"), {})  # form-encoded per RFC 6749 2.3.1
    assert (creds.client_id, creds.client_secret, creds.method) == (
        "my-event",
        "s:cret",
        "client_secret_basic",
    )
    creds = client_credentials(None, {"client_id": "my-event", "client_secret": "s"})
    assert (creds.client_id, creds.client_secret, creds.method) == ("my-event", "s", "client_secret_post")


@pytest.mark.parametrize(
    ("authorization", "form", "error", "status"),
    [
        (None, {}, "invalid_client", 401),
        (None, {"client_id": "my-event"}, "invalid_client", 401),
        ("Bearer abc", {}, "invalid_client", 401),
        ("Basic !!!", {}, "invalid_client", 401),
        ("Basic " + base64.b64encode(b"no-colon").decode(), {}, "invalid_client", 401),
        (basic("a", "b"), {"client_secret": "b"}, "invalid_request", 400),  # two methods at once
    ],
)
def test_client_authentication_failures(
    authorization: str | None, form: dict, error: str, status: int
) -> None:
    with pytest.raises(OAuthError) as refused:
        client_credentials(authorization, form)
    assert (refused.value.error, refused.value.status) == (error, status)


def test_repeated_parameters_are_refused() -> None:
    with pytest.raises(OAuthError) as refused:
        parse_form("code=a&code=b")
    assert refused.value.error == "invalid_request"
    with pytest.raises(ValueError):
        single_values({"state": ["a", "b"]})
    assert parse_form("grant_type=authorization_code&code=a%2Bb") == {
        "grant_type": "authorization_code",
        "code": "a+b",
    }


def test_discovery_names_every_endpoint_under_the_issuer() -> None:
    document = discovery_document("https://id.example/prod")
    assert document["issuer"] == "https://id.example/prod"
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert document[name].startswith("https://id.example/prod/")
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert document["code_challenge_methods_supported"] == ["S256"]
