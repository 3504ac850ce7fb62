"""Issue 12, item 1: the visitor's request id never reaches a relying party, and a place in line
yields one live code at a time.

The request id is the bearer secret of the visitor's whole journey: whoever holds it can drive
/authorize and be signed in as that visitor. A relying party sees the code, the tokens and what
/userInfo says; none of them is, or leads back to, the request id. A new code voids the place's
previous unredeemed one (the visitor who comes back gets a working code; nobody holds two).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from authlib.common.security import generate_token

from local.testing import Runtime
from tests.e2e.oidc_client import (
    authorize,
    come_back,
    oauth_error,
    redeem,
    served_visitor,
    session,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_no_token_or_answer_given_to_a_relying_party_holds_the_request_id(
    runtime: Runtime, metadata: dict[str, Any]
) -> None:
    request_id = served_visitor(runtime)
    flow = authorize(runtime, metadata, session(runtime), request_id)
    assert request_id not in flow.callback
    tokens = redeem(metadata, flow)
    info = flow.client.get(metadata["userinfo_endpoint"], timeout=10)
    assert info.status_code == 200
    seen = [json.dumps(dict(tokens)), info.text]
    seen += [json.dumps(_claims(tokens[name])) for name in ("access_token", "id_token")]
    for text in seen:
        assert request_id not in text and request_id.upper() not in text

    # The subject is stable: the same visitor signing in again is the same user to the client.
    again = redeem(metadata, authorize(runtime, metadata, session(runtime), request_id))
    assert _claims(again["id_token"])["sub"] == _claims(tokens["id_token"])["sub"]


def test_nothing_a_relying_party_sees_drives_authorize(runtime: Runtime, metadata: dict[str, Any]) -> None:
    flow = authorize(runtime, metadata, session(runtime), served_visitor(runtime))
    tokens = redeem(metadata, flow)
    client = session(runtime)
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    seen = {
        "the subject": _claims(tokens["id_token"])["sub"],
        "the code": flow.code,
        "the access token": tokens["access_token"],
        "the state": flow.state,
    }
    for what, value in seen.items():
        answer = come_back(url, value)
        assert answer.status_code in (200, 400), what
        query = parse_qs(urlsplit(answer.json().get("redirect_to", "")).query)
        assert "code" not in query, f"{what} got a code"


def test_a_place_in_line_holds_one_live_code(runtime: Runtime, metadata: dict[str, Any]) -> None:
    request_id = served_visitor(runtime)
    first = authorize(runtime, metadata, session(runtime), request_id)
    second = authorize(runtime, metadata, session(runtime), request_id)
    assert first.code != second.code
    # The newer code voided the older one, unredeemed as it was.
    assert oauth_error(lambda: redeem(metadata, first)) == "invalid_grant"
    assert redeem(metadata, second)["id_token"]
    assert oauth_error(lambda: redeem(metadata, second)) == "invalid_grant"
