"""The edge gate in front of a site (`vwr local --protect`, the sample shop), in Debian's Chromium.

A visitor opens a protected page, is sent to the waiting room, is served and comes back to that
page with the gate's cookie; a second page passes at once; after a reset the old cookie is refused
within the stated bound; with the event's mode `open` a new visitor goes straight in.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import Operator

pytestmark = pytest.mark.e2e

SLOW = 30_000  # ms: the entry goes through SQS and the worker's batching window
# The bound the docs state for a reset or a mode change to reach the local gate (docs/PROTECTING.md).
REACHES_THE_GATE_MS = 30_000


def _shop_page(page: Page, path: str) -> None:
    expect(page.locator("#shop")).to_have_text("Sample shop")
    expect(page.locator("#path")).to_have_text(path)


def _set_mode(operator: Operator, event_id: str, mode: str) -> None:
    operator.call("PATCH", f"/events/{event_id}", {"mode": mode})


def test_a_visitor_goes_through_the_room_and_back_to_the_page_they_asked_for(
    browser: Browser, runtime: dict, operator: Operator
) -> None:
    protected = runtime["protected"]
    gate_host = urlsplit(protected).netloc
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{protected}sale/shoes?size=42")
    # Sent to the waiting room, which says where the visitor will go back to.
    expect(page).to_have_url(re.compile(re.escape(runtime["waiting_room"])))
    expect(page.locator("#return-note")).to_contain_text(gate_host)
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    operator.serve_up_to(int(page.locator("#my-number").inner_text()))
    # Served: back on the page first asked for, without the pass in the address, with the cookie.
    page.wait_for_url(f"{protected}sale/shoes?size=42", timeout=SLOW)
    _shop_page(page, "/sale/shoes")
    expect(page.locator("#cookies")).to_contain_text("vwr_pass")
    (cookie,) = [c for c in context.cookies() if c["name"] == "vwr_pass"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

    # A second page passes straight away.
    page.goto(f"{protected}cart")
    _shop_page(page, "/cart")

    # After a reset the old cookie is refused within the bound: back to the waiting room.
    operator.call("POST", "/reset_initial_state", {"event_id": runtime["event_id"]})
    expect(page.locator("#shop")).to_be_visible()
    refused = re.compile(re.escape(runtime["waiting_room"]))
    expect_redirect_within(page, f"{protected}cart", refused, REACHES_THE_GATE_MS)
    context.close()


def test_mode_open_lets_a_new_visitor_straight_in(
    browser: Browser, runtime: dict, operator: Operator
) -> None:
    protected = runtime["protected"]
    _set_mode(operator, runtime["event_id"], "open")
    try:
        context = browser.new_context()
        page = context.new_page()
        expect_redirect_within(
            page, f"{protected}new-arrivals", re.compile(re.escape(protected)), REACHES_THE_GATE_MS
        )
        _shop_page(page, "/new-arrivals")
        assert not [c for c in context.cookies() if c["name"] == "vwr_pass"]
        context.close()
    finally:
        _set_mode(operator, runtime["event_id"], "queue")


def expect_redirect_within(page: Page, address: str, lands_on: re.Pattern[str], timeout_ms: int) -> None:
    """Opens `address` again until it lands on `lands_on`, for at most `timeout_ms`."""
    deadline = page.evaluate("Date.now()") + timeout_ms
    while True:
        page.goto(address)
        if lands_on.match(page.url):
            return
        assert page.evaluate("Date.now()") < deadline, f"{address} still lands on {page.url}"
        page.wait_for_timeout(500)
