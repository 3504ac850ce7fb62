"""The control panel with the keyboard alone and on a phone, against the real local runtime."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

SLOW = 30_000

pytestmark = pytest.mark.e2e


def _open(page: Page, runtime: dict) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{runtime['control_panel']}?poll=300")
    expect(page.locator("#connection")).to_have_text("Live", timeout=SLOW)
    return errors


def _tab_to(page: Page, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_operating_with_the_keyboard_alone(page, runtime, screenshot):
    errors = _open(page, runtime)
    serving = int(page.locator("#t-serving").inner_text().replace(",", ""))

    _tab_to(page, "increment-by")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#log")).to_contain_text(f"Serving counter incremented by 2: now {serving + 2}")
    expect(page.locator("#t-serving")).to_have_text(str(serving + 2), timeout=SLOW)

    # A bad increment is refused in the page, in words, before any call.
    page.locator("#increment-by").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("1.5")
    page.keyboard.press("Enter")
    expect(page.locator("#log .log-error").first).to_contain_text("whole number")
    expect(page.locator("#increment-by")).to_have_attribute("aria-invalid", "true")

    _tab_to(page, "reset")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Reset the waiting room?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, "dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#reset")).to_be_focused()
    expect(page.locator("#t-serving")).to_have_text(str(serving + 2))
    assert errors == []


def test_on_a_phone_and_forgetting_the_keys(browser, runtime, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    try:
        page = context.new_page()
        errors = _open(page, runtime)
        expect(page.locator("#chart polyline, #chart circle").first).to_be_attached(timeout=SLOW)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "phone")

        page.locator("#settings summary").click()
        page.get_by_role("button", name="Forget the keys").click()
        expect(page.locator("#connection")).to_have_text("Not connected")
        expect(page.get_by_label("Secret access key")).to_have_value("")
        assert page.evaluate("sessionStorage.length") == 0
        expect(page.locator("#increment")).to_be_disabled()
        expect(page.locator("#log")).to_contain_text(re.compile("Keys forgotten"))
        assert errors == []
    finally:
        context.close()
