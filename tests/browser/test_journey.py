"""The two browser apps against the real local runtime, in Debian's Chromium.

A visitor enters and waits, the operator lets them in from the control panel (with the runtime's
local keys), the visitor checks out and sees the receipt; a reload keeps the place; the control
panel's reset empties the counters and voids the visitor's place; wrong keys are shown as failures.
The runtime is shared by the tests, so each test reads the counters it starts from.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

POLL_MS = 200
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SLOW = 30_000  # ms: the entry goes through SQS and the worker's batching window

pytestmark = pytest.mark.e2e


def _with_query(url: str, **params: object) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _number(page: Page, selector: str) -> int:
    return int(page.locator(selector).inner_text().replace(",", "").replace("+", "").strip())


def _visitor(context: BrowserContext, runtime: dict) -> tuple[Page, list[str]]:
    page = context.new_page()
    errors = _watch_errors(page)
    page.goto(_with_query(runtime["waiting_room"], poll=POLL_MS))
    expect(page.locator("#headline")).to_have_text("Join the line")
    return page, errors


def _enter(page: Page) -> int:
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    number = _number(page, "#my-number")
    expect(page.get_by_role("status").first).to_contain_text(f"You are number {number}")
    return number


def _control_panel(context: BrowserContext, runtime: dict) -> tuple[Page, list[str]]:
    page = context.new_page()
    errors = _watch_errors(page)
    page.goto(_with_query(runtime["control_panel"], poll=300))
    # The local runtime's config.json carries local keys, so the panel connects by itself.
    expect(page.locator("#connection")).to_have_text("Live", timeout=SLOW)
    return page, errors


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, device_scale_factor=2)
    yield context
    context.close()


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport=DESKTOP)
    yield context
    context.close()


def test_visitor_is_let_in_by_the_operator_and_checks_out(phone, desk, runtime, screenshot):
    visitor, visitor_errors = _visitor(phone, runtime)
    # Keyboard only: the skip link, then the button.
    visitor.keyboard.press("Tab")
    visitor.keyboard.press("Tab")
    expect(visitor.locator("#enter")).to_be_focused()
    visitor.keyboard.press("Enter")
    expect(visitor.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    number = _number(visitor, "#my-number")
    expect(visitor.locator("#status")).to_contain_text(f"You are number {number}")
    expect(visitor.locator("#estimate")).to_have_text(re.compile(r"Cannot estimate yet|minute|second|hour"))
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(visitor, "1-waiting")

    panel, panel_errors = _control_panel(desk, runtime)
    expect(panel.locator("#t-queue")).not_to_have_text("—")
    assert _number(panel, "#t-queue") >= number
    serving = _number(panel, "#t-serving")
    assert serving < number
    panel.locator("#increment-by").fill(str(number - serving))
    panel.get_by_role("button", name="Increment", exact=True).click()
    expect(panel.locator("#log")).to_contain_text(
        f"Serving counter incremented by {number - serving}: now {number}"
    )
    expect(panel.locator("#t-serving")).to_have_text(str(number), timeout=SLOW)

    # The visitor's page notices by itself, moves the focus to the check-out button and counts down.
    expect(visitor.locator("#checkout")).to_be_visible(timeout=SLOW)
    expect(visitor.locator("#checkout")).to_be_focused()
    countdown = re.compile(r"^\d+:\d\d$|^No time limit$")
    expect(visitor.locator("#countdown")).to_have_text(countdown, timeout=SLOW)
    expect(visitor.locator("#status")).to_contain_text("It is your turn")
    expect(visitor).to_have_title("Your turn! · Waiting room")
    screenshot(visitor, "2-served")

    visitor.keyboard.press("Enter")
    expect(visitor.locator("#receipt-panel")).to_be_visible(timeout=SLOW)
    expect(visitor.locator("#status")).to_have_text("Check-out complete. Your receipt is below.")
    receipt = visitor.locator("#receipt")
    expect(receipt).to_contain_text("General admission ticket")
    expect(receipt).to_contain_text("Total")
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(visitor, "3-receipt")

    # The operator sees the issued token.
    expect(panel.locator("#t-tokens")).not_to_have_text("0", timeout=SLOW)
    expect(panel.locator("#t-active")).not_to_have_text("0", timeout=SLOW)
    panel.wait_for_timeout(2500)  # a few more samples on the chart
    screenshot(panel, "4-operator")
    assert panel.locator("#chart polyline").count() >= 1
    assert visitor_errors == [] and panel_errors == []


def test_reload_and_second_tab_keep_the_place(phone, runtime, screenshot):
    visitor, errors = _visitor(phone, runtime)
    number = _enter(visitor)
    stored = visitor.evaluate("JSON.stringify(Object.entries(localStorage))")

    visitor.reload()
    expect(visitor.locator("#my-number")).to_have_text(str(number), timeout=SLOW)
    expect(visitor.locator("#status")).to_contain_text(f"You are number {number}")
    assert visitor.evaluate("JSON.stringify(Object.entries(localStorage))") == stored
    expect(visitor.get_by_role("button", name="Enter the line")).to_be_hidden()
    screenshot(visitor, "reloaded")

    second = phone.new_page()
    second.goto(_with_query(runtime["waiting_room"], poll=POLL_MS))
    expect(second.locator("#my-number")).to_have_text(str(number), timeout=SLOW)
    screenshot(second, "second-tab")
    assert errors == []


def test_a_tab_already_open_follows_the_tab_that_enters(browser, runtime, screenshot):
    context = browser.new_context(viewport=PHONE)
    try:
        first, errors = _visitor(context, runtime)
        second, _ = _visitor(context, runtime)
        number = _enter(first)
        # No reload: the second tab hears of the new place through the storage event.
        expect(second.locator("#my-number")).to_have_text(str(number), timeout=SLOW)
        expect(second.get_by_role("button", name="Enter the line")).to_be_hidden()
        screenshot(second)
        assert errors == []
    finally:
        context.close()


def test_start_over_after_checking_out(phone, runtime, screenshot):
    visitor, errors = _visitor(phone, runtime)
    visitor.evaluate(
        """key => localStorage.setItem(key, JSON.stringify({
            request_id: '00000000-0000-4000-8000-000000000000', receipt: {receipt_id: 'r-1', total: 1}}))""",
        f"vwr:place:{runtime['event_id']}",
    )
    visitor.reload()
    expect(visitor.locator("#receipt")).to_contain_text("r-1")
    visitor.get_by_role("button", name="Start over with a new place in line").click()
    expect(visitor.get_by_role("button", name="Enter the line")).to_be_focused()
    assert visitor.evaluate("localStorage.length") == 0
    screenshot(visitor)
    assert errors == []


def test_reset_empties_the_counters_and_voids_places(phone, desk, runtime, screenshot):
    visitor, visitor_errors = _visitor(phone, runtime)
    _enter(visitor)
    panel, panel_errors = _control_panel(desk, runtime)
    expect(panel.locator("#t-queue")).not_to_have_text("0")

    # Cancelling the confirmation (with Escape) changes nothing.
    panel.get_by_role("button", name="Reset the waiting room…").click()
    dialog = panel.get_by_role("dialog", name="Reset the waiting room?")
    expect(dialog).to_be_visible()
    panel.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(panel.locator("#t-queue")).not_to_have_text("0")

    panel.get_by_role("button", name="Reset the waiting room…").click()
    expect(dialog).to_be_visible()
    screenshot(panel, "1-confirm")
    dialog.get_by_role("button", name="Reset everything").click()
    expect(panel.locator("#log")).to_contain_text("Waiting room reset")
    for tile in ("queue", "serving", "tokens", "active", "expired", "completed", "abandoned"):
        expect(panel.locator(f"#t-{tile}")).to_have_text("0", timeout=SLOW)
    expect(panel.locator("#t-waiting")).to_have_text("0", timeout=SLOW)  # cached at the "CDN" for seconds
    screenshot(panel, "2-reset")

    # The visitor's place was voided: the page says so and offers to enter again.
    expect(visitor.get_by_role("button", name="Enter the line again")).to_be_visible(timeout=SLOW)
    expect(visitor.locator("#status")).to_contain_text("Enter the line again")
    screenshot(visitor, "3-visitor-voided")
    visitor.get_by_role("button", name="Enter the line again").click()
    expect(visitor.locator("#my-number")).to_have_text("1", timeout=SLOW)
    assert visitor_errors == [] and panel_errors == []


def test_wrong_keys_are_shown_as_failures(desk, runtime, screenshot):
    panel, errors = _control_panel(desk, runtime)
    settings = panel.locator("#settings")
    if settings.get_attribute("open") is None:
        panel.locator("#settings summary").click()
    panel.get_by_label("Secret access key").fill("not-the-right-secret")
    panel.get_by_role("button", name="Connect").click()

    failure = panel.locator("#failure")
    expect(failure).to_be_visible(timeout=SLOW)
    expect(failure).to_contain_text(re.compile(r"private API .*answered 4\d\d: \S+"))
    expect(panel.locator("#connection")).to_have_text(re.compile("failing", re.IGNORECASE))
    expect(panel.locator("#log .log-error").first).to_be_visible()

    # An action with the wrong keys fails too, with the server's words.
    panel.get_by_role("button", name="Increment", exact=True).click()
    expect(panel.locator("#log .log-error").first).to_contain_text(
        re.compile(r"Increment failed: private API /increment_serving_counter answered 4\d\d")
    )
    screenshot(panel)
    assert errors == []
