"""Issue 12, item 2: tokens carry the issuer the call asks for, whichever call claimed the place.

A visitor may get the waiting room page's tokens (public issuer) and sign in through the OpenID
adapter, in either order. The relying party must get the adapter's issuer (with its `nonce` when
it sent one), and the page the public issuer that the store's authorizer accepts.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from local.testing import Runtime
from tests.e2e.oidc_client import (
    authorize,
    redeem,
    served_visitor,
    session,
    verified_id_token,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def _page_tokens(runtime: Runtime, request_id: str) -> dict[str, Any]:
    answer = requests.post(
        runtime.public_api + "/generate_token",
        json={"event_id": runtime.event_id, "request_id": request_id},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _assert_the_relying_party_accepts(
    runtime: Runtime, metadata: dict[str, Any], tokens: dict[str, Any], nonce: str | None
) -> None:
    assert verified_id_token(runtime, metadata, tokens).get("nonce") == nonce


def _assert_the_store_accepts(runtime: Runtime, page: dict[str, Any]) -> None:
    answer = requests.get(
        runtime.store_api + "/search", headers={"Authorization": f"Bearer {page['access_token']}"}, timeout=10
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("nonce", [True, False], ids=["nonce", "no-nonce"])
def test_the_page_first_then_the_relying_party(
    runtime: Runtime, metadata: dict[str, Any], nonce: bool
) -> None:
    request_id = served_visitor(runtime)
    _assert_the_store_accepts(runtime, _page_tokens(runtime, request_id))
    flow = authorize(runtime, metadata, session(runtime), request_id, nonce=nonce)
    _assert_the_relying_party_accepts(runtime, metadata, redeem(metadata, flow), flow.nonce)


@pytest.mark.parametrize("nonce", [True, False], ids=["nonce", "no-nonce"])
def test_the_relying_party_first_then_the_page(
    runtime: Runtime, metadata: dict[str, Any], nonce: bool
) -> None:
    request_id = served_visitor(runtime)
    flow = authorize(runtime, metadata, session(runtime), request_id, nonce=nonce)
    _assert_the_relying_party_accepts(runtime, metadata, redeem(metadata, flow), flow.nonce)
    _assert_the_store_accepts(runtime, _page_tokens(runtime, request_id))
