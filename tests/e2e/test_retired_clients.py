"""The retired solution's page and control panel, unchanged, against `vwr local` (REFERENCE.md)."""

from __future__ import annotations

import time

import pytest

from lambdas.waiting_room.http import NEXT_CURSOR_HEADER
from local.testing import Runtime
from tests.e2e.journey import counters, eventually, increment
from tests.e2e.retired_clients import retired_page, retired_panel, route


@pytest.mark.parametrize("api", ["public_api", "private_api", "store_api", "oidc_api"])
def test_advertised_base_urls_take_an_appended_route(runtime: Runtime, api: str) -> None:
    # A trailing slash would make the retired clients send `//route`.
    assert not runtime.ready[api].endswith("/")


def _served(runtime: Runtime, place: int) -> None:
    serving = counters(runtime)["serving_counter"]
    if serving < place:
        increment(runtime, place - serving)


def test_the_retired_pages_purchase_succeeds_the_first_time(runtime: Runtime) -> None:
    page = retired_page(runtime)
    request_id = page.enter()
    place = page.queue_number(request_id)
    _served(runtime, place)
    # The page waits on the public serving number (the CDN may hold the old one a few seconds).
    eventually(lambda: page.serving_number() >= place, within=10)
    answer = page.checkout(page.access_token(request_id))
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "Success"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert page.store_attempts == [200]  # no retry needed


def test_the_retired_stores_other_get_routes_admit_the_bare_token(runtime: Runtime) -> None:
    page = retired_page(runtime)
    request_id = page.enter()
    _served(runtime, page.queue_number(request_id))
    token = page.access_token(request_id)
    for path in ("/search", "/layaway"):
        answer = page.store(path, token)
        assert answer.status_code == 200 and answer.json()["result"] == "Success", (path, answer.text)
    assert page.store_attempts == [200, 200]


def _expired_tokens(runtime: Runtime, count: int) -> set[str]:
    """`count` visitors whose one-second tokens (a private-API override) have run out."""
    page = retired_page(runtime)
    request_ids = [page.enter() for _ in range(count)]
    _served(runtime, max(page.queue_number(r) for r in request_ids))
    for request_id in request_ids:
        answer = runtime.signed(
            "POST",
            route(runtime.private_api, "/generate_token"),
            json_body={"event_id": runtime.event_id, "request_id": request_id, "validity_period": 1},
        )
        assert answer.status_code == 200, answer.text
    time.sleep(2.1)  # expiry has a one-second resolution
    return set(request_ids)


def test_the_retired_panel_shows_expired_tokens_as_the_arrays_length(runtime: Runtime) -> None:
    panel = retired_panel(runtime)
    before = panel.expired_tokens_shown()
    ours = _expired_tokens(runtime, 3)
    assert panel.expired_tokens_shown() == before + 3

    # One page at a time with `limit`; the next page's cursor in a header, absent on the last page.
    pages, cursor = [], None
    while True:
        params = {"event_id": runtime.event_id, "limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = runtime.signed("GET", route(runtime.private_api, "/expired_tokens"), params=params)
        assert answer.status_code == 200 and len(answer.json()) <= 1
        assert NEXT_CURSOR_HEADER in answer.headers["Access-Control-Expose-Headers"]
        pages += answer.json()
        cursor = answer.headers.get(NEXT_CURSOR_HEADER)
        if cursor is None:
            break
    assert len(pages) == before + 3 and ours <= set(pages)
