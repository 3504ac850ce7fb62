"""The OpenID Connect adapter: discovery, JWKS, /authorize, /token and /userInfo.

Thin handlers over `lambdas.waiting_room.oidc_*`. The adapter holds no token logic of its own:
a code is issued only after the core's private `generate_token` succeeded for the visitor (it
succeeds only for a served, unexpired, open position), and /token hands out that same call's
tokens, minted with the adapter's issuer, so relying parties verify them with this JWKS. The
request id never leaves: /token signs the tokens again with a derived subject in its place
(`oidc_tokens`), and a code is bound to one place in line, which holds one live code at a time
(`oidc_codes`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from lambdas.catalog import is_event_id
from lambdas.waiting_room import oidc_codes
from lambdas.waiting_room.http import CORS_HEADERS, HttpError, api_handler, masked, response
from lambdas.waiting_room.keys import signing_key, verifying_key
from lambdas.waiting_room.oidc_protocol import (
    AuthorizationRequest,
    NoRedirectError,
    OAuthError,
    RedirectError,
    client_credentials,
    discovery_document,
    parse_authorization_request,
    parse_form,
    pkce_matches,
    secrets_equal,
    single_values,
    with_query,
)
from lambdas.waiting_room.oidc_settings import client_registration, event_id, issuer, page_url
from lambdas.waiting_room.oidc_tokens import (
    InvalidToken,
    claimed_audience,
    relying_party_tokens,
    verify_access_token,
)
from lambdas.waiting_room.private_api_settings import private_api

logger = Logger(service="waiting-room-oidc")

_UUID_LENGTH = 36
# Token answers carry credentials: no cache may keep them (RFC 6749 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _query(event: Mapping[str, Any]) -> dict[str, str]:
    multi = event.get("multiValueQueryStringParameters")
    if multi is None:
        multi = {k: [v] for k, v in (event.get("queryStringParameters") or {}).items()}
    try:
        return single_values(multi)
    except ValueError as error:
        raise HttpError(400, str(error)) from error


def _redirect(location: str) -> dict[str, Any]:
    # no-referrer: the code in the URL must not leak to whatever the next page loads.
    headers = {**CORS_HEADERS, **NO_STORE, "Location": location, "Referrer-Policy": "no-referrer"}
    return {"statusCode": 302, "headers": headers, "body": ""}


def _oauth_error(error: OAuthError) -> dict[str, Any]:
    headers = dict(NO_STORE)
    if error.status == 401:
        # RFC 6749 5.2: a 401 names the authentication scheme the token endpoint accepts.
        headers["WWW-Authenticate"] = 'Basic realm="waiting-room"'
    return response(error.status, {"error": error.error, "error_description": error.description}, headers)


@api_handler
def discovery_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return response(200, discovery_document(issuer()))


@api_handler
def jwks_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return response(200, {"keys": [verifying_key().public_jwk]})


@api_handler
def authorize_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sends the visitor to wait on the hosted page, then back to the client with a code.

    GET is the relying party's link: the answer is a redirect. POST is the hosted page coming back
    with the request id in its form body, read from nowhere else so that no URL ever holds it; the
    page is told where to go (`{"redirect_to": ...}`) and goes there itself.
    """
    params = _query(event)
    if event.get("httpMethod") != "POST":
        return _redirect(_next_location(params, request_id=None))
    try:
        posted = parse_form(_body_text(event))
    except OAuthError as error:
        raise HttpError(400, error.description) from error
    location = _next_location({**params, **posted}, request_id=posted.get("request_id") or None)
    return response(200, {"redirect_to": location}, {**NO_STORE, "Referrer-Policy": "no-referrer"})


def _next_location(params: dict[str, str], *, request_id: str | None) -> str:
    """Where the visitor goes next: the hosted page to wait, or the client with a code or an error."""
    registration = client_registration()
    try:
        request = parse_authorization_request(
            params, client_id=_client_event(params), redirect_uris=registration.redirect_uris
        )
    except NoRedirectError as error:
        raise HttpError(400, str(error)) from error
    except RedirectError as error:
        return error.location()

    def refuse(error: str, description: str) -> str:
        return RedirectError(error, description, request.redirect_uri, request.state).location()

    if not request_id:
        if request.prompt == "none":
            return refuse("login_required", "the visitor has not been through the waiting room")
        return _page_location(request)
    if len(request_id) != _UUID_LENGTH:
        return refuse("invalid_request", "request_id must be a UUID")

    # The core decides whether this visitor was served: the token call succeeds only then.
    answer = private_api().for_event(request.client_id).generate_token(request_id, issuer=issuer())
    if answer.status == 202:
        # Back too early (a stale tab, a hand-made request): keep waiting on the page.
        return _page_location(request)
    if answer.status != 200 or not _still_valid(answer.body):
        if answer.status >= 500:
            raise RuntimeError(f"the private API answered {answer.status}")
        logger.info("authorization refused", request=masked(request_id), core_status=answer.status)
        return refuse("access_denied", "this place in line is unknown, expired or already used")
    code = oidc_codes.issue(
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        request_id=request_id.lower(),
        scope=request.scope,
        code_challenge=request.code_challenge,
        nonce=request.nonce,
    )
    return with_query(request.redirect_uri, {"code": code, "state": request.state})


def _client_event(params: Mapping[str, str]) -> str:
    """The client id is an event id: the stack's own or any other event the core has. One the core
    does not have is answered like any unknown client: 400, no redirect."""
    asked = params.get("client_id", "")
    if asked == event_id() or (
        is_event_id(asked) and asked in {event["event_id"] for event in private_api().list_events()}
    ):
        return asked
    return event_id()  # parse_authorization_request then refuses the unknown client id


def _page_location(request: AuthorizationRequest) -> str:
    """The hosted page, which waits in the client's event (one page serves every event)."""
    if not page_url():
        raise RuntimeError("OIDC_PAGE_URL is not set: there is no page to wait on")
    return with_query(page_url(), {**request.parameters(), "event_id": request.client_id})


def _still_valid(tokens: Any) -> bool:
    """The core answers a repeated call with the stored tokens, even once they have expired."""
    return isinstance(tokens, dict) and isinstance(tokens.get("expires_in"), int) and tokens["expires_in"] > 0


def _body_text(event: Mapping[str, Any]) -> str:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise OAuthError("invalid_request", "the body is not valid form data") from error
    return raw


def _exchange(event: Mapping[str, Any], authorization: str | None) -> dict[str, Any]:
    form = parse_form(_body_text(event))
    credentials = client_credentials(authorization, form)
    registration = client_registration()
    # Both checks always run, so a wrong id and a wrong secret take the same time.
    id_ok = is_event_id(credentials.client_id)
    secret_ok = secrets_equal(credentials.client_secret, registration.client_secret)
    if not (id_ok and secret_ok):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    if "client_id" in form and form["client_id"] != credentials.client_id:
        raise OAuthError("invalid_request", "client_id does not match the authenticated client")

    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        raise OAuthError("unsupported_grant_type", "only authorization_code is supported")
    code = form.get("code")
    if not code:
        raise OAuthError("invalid_request", "code is required")

    # Redeeming burns the code whatever follows: a guessed verifier gets no second try.
    grant = oidc_codes.redeem(code, client_id=credentials.client_id)
    if grant is None:
        raise OAuthError("invalid_grant", "the code is invalid, expired, already used or another client's")
    if form.get("redirect_uri") != grant.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if not pkce_matches(form.get("code_verifier"), grant.code_challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")

    answer = private_api().for_event(grant.client_id).generate_token(grant.request_id, issuer=issuer())
    if answer.status != 200 or not _still_valid(answer.body):
        if answer.status >= 500:
            raise RuntimeError(f"the private API answered {answer.status}")
        raise OAuthError("invalid_grant", "the visitor's place is no longer valid")
    try:
        signed = relying_party_tokens(
            answer.body, key=signing_key(), audience=grant.client_id, issuer=issuer(), nonce=grant.nonce
        )
    except InvalidToken as error:
        raise RuntimeError("the private API's tokens are not this adapter's") from error
    # No refresh token: this adapter grants authorization_code only.
    return {
        **signed,
        "token_type": "Bearer",
        "expires_in": answer.body["expires_in"],
        "scope": grant.scope,
    }


@api_handler
def token_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    authorization = _header(event, "Authorization")
    try:
        return response(200, _exchange(event, authorization), NO_STORE)
    except OAuthError as error:
        logger.info("token request refused", error=error.error)
        return _oauth_error(error)


@api_handler
def userinfo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The visitor's claims, only for a verified, unexpired access token of this issuer."""
    scheme, _, token = (_header(event, "Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        # RFC 6750 3.1: no credentials at all gets the challenge without an error code.
        headers = {**NO_STORE, "WWW-Authenticate": 'Bearer realm="waiting-room"'}
        return response(
            401, {"error": "invalid_request", "error_description": "a Bearer token is required"}, headers
        )
    try:
        token = token.strip()
        claims = verify_access_token(
            token, key=verifying_key(), audience=claimed_audience(token), issuer=issuer()
        )
    except InvalidToken as error:
        challenge = f'Bearer realm="waiting-room", error="invalid_token", error_description="{error}"'
        headers = {**NO_STORE, "WWW-Authenticate": challenge}
        return response(401, {"error": "invalid_token", "error_description": str(error)}, headers)
    return response(
        200,
        {"sub": claims["sub"], "queue_position": claims.get("queue_position"), "event_id": claims["aud"]},
        NO_STORE,
    )
