"""The control panel with the keyboard alone and on a phone, against the real local runtime."""

from __future__ import annotations

import re
import time

import boto3
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


def test_expired_tokens_are_counted_from_the_counters_and_listed_from_their_page(page, runtime, operator):
    event_id = runtime["event_id"]
    operator.call("POST", "/reset_initial_state", {"event_id": event_id})
    request_ids = []
    for _ in range(2):
        answer = operator.session.post(
            runtime["public_api"] + "/assign_queue_num", json={"event_id": event_id}
        )
        request_ids.append(answer.json()["api_request_id"])
    for request_id in request_ids:
        for _ in range(100):  # the worker assigns within a batching window
            params = {"event_id": event_id, "request_id": request_id}
            if operator.session.get(runtime["public_api"] + "/queue_num", params=params).status_code == 200:
                break
            time.sleep(0.1)
    operator.serve_up_to(2)
    for request_id in request_ids:  # one-second tokens, a private-API override
        operator.call(
            "POST", "/generate_token", {"event_id": event_id, "request_id": request_id, "validity_period": 1}
        )
    time.sleep(2.1)

    errors = _open(page, runtime)
    expect(page.locator("#t-expired-tokens")).to_have_text("2", timeout=SLOW)
    expect(page.locator("#expired-list li")).to_have_count(2)
    expect(page.locator("#expired-summary")).to_have_text("2 expired tokens. Request ids are shortened.")
    assert errors == []


def test_the_dead_letter_queue_depth_is_a_tile(page, runtime):
    """Through the private API's `/counters`, as every other tile. The message is held invisible
    by the test, so the runtime's redrive (each minute) cannot drain it before the panel reads it;
    the depth counts it all the same."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=runtime["aws_endpoint"],
        region_name=runtime["region"],
        aws_access_key_id=runtime["access_key_id"],
        aws_secret_access_key=runtime["secret_access_key"],
    )
    sqs.send_message(QueueUrl=runtime["entry_dlq_url"], MessageBody="{}")
    (held,) = sqs.receive_message(QueueUrl=runtime["entry_dlq_url"], VisibilityTimeout=120)["Messages"]
    try:
        errors = _open(page, runtime)
        expect(page.locator("#t-dead-letters")).to_have_text("1", timeout=SLOW)
        assert errors == []
    finally:
        sqs.delete_message(QueueUrl=runtime["entry_dlq_url"], ReceiptHandle=held["ReceiptHandle"])
    expect(page.locator("#t-dead-letters")).to_have_text("0", timeout=SLOW)
