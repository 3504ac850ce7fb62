"""The OAuth 2.0 / OpenID Connect rules of the adapter, as pure functions (no I/O).

What a request must look like (RFC 6749 sections 4.1 and 5.2, RFC 7636 for PKCE, OpenID Connect
Core 1.0 section 3.1) and which error each mistake earns. The handlers in `lambdas.oidc` only feed
these functions and turn their answers into HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit, urlunsplit

# RFC 7636 section 4.1: 43 to 128 characters of the unreserved set.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
MAX_PARAMETER_LENGTH = 2048


class OAuthError(Exception):
    """An error answer of the token or userinfo endpoints: RFC 6749 section 5.2 JSON."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class NoRedirectError(Exception):
    """The client or its redirect URI cannot be trusted: tell the user, never redirect (4.1.2.1)."""


class RedirectError(Exception):
    """An error reported to the client by redirecting to its (validated) redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state

    def location(self) -> str:
        return with_query(
            self.redirect_uri,
            {"error": self.error, "error_description": self.description, "state": self.state},
        )


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt: str | None

    def parameters(self) -> dict[str, str]:
        """The request as query parameters, to send the visitor to the hosted page and back."""
        values = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256" if self.code_challenge else None,
        }
        return {k: v for k, v in values.items() if v is not None}


def single_values(multi: Mapping[str, Sequence[str]] | None) -> dict[str, str]:
    """Parameters that must appear at most once (RFC 6749 section 3.1): a repeat is refused."""
    values: dict[str, str] = {}
    for name, items in (multi or {}).items():
        if len(items) != 1:
            raise ValueError(f"{name} must not be repeated")
        if len(items[0]) > MAX_PARAMETER_LENGTH:
            raise ValueError(f"{name} is too long")
        values[name] = items[0]
    return values


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """`url` with `params` added to its query, keeping the query it already had (RFC 6749 3.1.2)."""
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query and extra else parts.query or extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def parse_authorization_request(
    params: Mapping[str, str], *, client_id: str, redirect_uris: Sequence[str]
) -> AuthorizationRequest:
    """Validates /authorize's parameters, in the order RFC 6749 section 4.1.2.1 asks.

    The client and its redirect URI come first: until both are known good, an error is shown to
    the user and never sent to the (possibly attacker-chosen) redirect URI.
    """
    if params.get("client_id") != client_id:
        raise NoRedirectError("unknown client_id")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        raise NoRedirectError("redirect_uri is required")
    # Exact string comparison with a registered URI (OpenID Connect Core 3.1.2.1): no prefixes.
    if not any(hmac.compare_digest(redirect_uri.encode(), uri.encode()) for uri in redirect_uris):
        raise NoRedirectError("redirect_uri is not registered for this client")
    state = params.get("state")

    def refuse(error: str, description: str) -> RedirectError:
        return RedirectError(error, description, redirect_uri, state)

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "only response_type=code is supported")
    scope = params.get("scope", "")
    if "openid" not in scope.split():
        raise refuse("invalid_scope", "scope must include openid")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None and method is not None:
        raise refuse("invalid_request", "code_challenge_method without code_challenge")
    if challenge is not None:
        # RFC 7636 4.3: an absent method means "plain", which would let a stolen code be redeemed.
        if method != "S256":
            raise refuse("invalid_request", "code_challenge_method must be S256")
        if not _CHALLENGE.fullmatch(challenge):
            raise refuse("invalid_request", "code_challenge must be a base64url SHA-256 digest")
    prompt = params.get("prompt")
    return AuthorizationRequest(
        client_id, redirect_uri, "openid", state, params.get("nonce"), challenge, prompt
    )


def pkce_matches(verifier: str | None, challenge: str | None) -> bool:
    """RFC 7636 4.6: BASE64URL(SHA256(verifier)) == challenge; no challenge wants no verifier."""
    if challenge is None:
        return verifier is None
    if verifier is None or not _VERIFIER.fullmatch(verifier):
        return False
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=")
    return hmac.compare_digest(computed, challenge.encode("ascii"))


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    method: str  # "client_secret_basic" or "client_secret_post"


def client_credentials(authorization: str | None, form: Mapping[str, str]) -> ClientCredentials:
    """The client's credentials from exactly one of HTTP Basic or the form body (RFC 6749 2.3.1)."""
    in_body = "client_secret" in form
    if authorization:
        if in_body:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise OAuthError("invalid_client", "unsupported client authentication", 401)
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from error
        user, colon, password = decoded.partition(":")
        if not colon:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401)
        # Appendix B: the id and secret are form-urlencoded before Basic encoding.
        return ClientCredentials(unquote_plus(user), unquote_plus(password), "client_secret_basic")
    if in_body:
        return ClientCredentials(form.get("client_id", ""), form["client_secret"], "client_secret_post")
    raise OAuthError("invalid_client", "client authentication is required", 401)


def secrets_equal(given: str, expected: str) -> bool:
    """Constant-time comparison, so response timing does not reveal the secret's prefix."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def parse_form(body: str | None) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; repeated parameters are refused (RFC 6749 3.2)."""
    try:
        parsed = parse_qs(body or "", keep_blank_values=True, strict_parsing=False, max_num_fields=50)
        return single_values(parsed)
    except ValueError as error:
        raise OAuthError("invalid_request", str(error)) from error


def discovery_document(issuer: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 metadata; every endpoint lives under the issuer."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userInfo",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "aud",
            "iss",
            "exp",
            "iat",
            "nbf",
            "nonce",
            "queue_position",
            "token_use",
        ],
    }
