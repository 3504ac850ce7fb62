"""Scheduled sales on the waiting room page, in Chromium against the real local runtime."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from tests.browser.helpers import Operator

POLL_MS = 200
SLOW = 30_000

pytestmark = pytest.mark.e2e


@pytest.fixture
def registered(operator: Operator) -> Iterator[list[str]]:
    """Event ids the test registers; deleted afterwards, so the shared runtime keeps one event."""
    event_ids: list[str] = []
    yield event_ids
    for event_id in event_ids:
        operator.call("DELETE", f"/events/{event_id}")


def test_the_page_shows_the_events_name_read_once_per_load(
    context: BrowserContext, runtime: dict, operator: Operator, registered: list[str], screenshot
) -> None:
    event_id = f"named-{secrets.token_hex(4)}"
    operator.call("POST", "/events", {"event_id": event_id, "name": "Summer concert"}, status=201)
    registered.append(event_id)
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{runtime['waiting_room']}?poll={POLL_MS}&event_id={event_id}")

    expect(page.locator("#event-name")).to_have_text("Summer concert")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    # Polls went on (the line, the number), and the event's facts were asked for once.
    expect(page.locator("#serving")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    info_calls = [url for url in asked if "/event_info?" in url]
    assert len(info_calls) == 1, info_calls
    assert f"event_id={event_id}" in info_calls[0]
    assert sum("/serving_num?" in url for url in asked) >= 1
    screenshot(page)


@pytest.fixture(scope="module")
def sale_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A runtime of its own whose scheduled jobs (the draw's among them) tick each second."""
    from local.testing import running_runtime

    args = ("--event-id", "browser-sale-host", "--batch-window", "0.2", "--schedule-seconds", "1")
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-local-sale")) as started:
        yield started.ready


def test_the_page_counts_down_to_the_pre_queue_then_waits_for_the_draw_and_shows_the_place(
    context: BrowserContext, sale_runtime: dict, screenshot
) -> None:
    operator = Operator(sale_runtime)
    now = int(time.time())
    sale = {"event_id": "draw-sale", "name": "Drawn sale", "prequeue_start": now + 6, "start_time": now + 16,
            "order_at_start": "draw"}  # fmt: skip
    operator.call("POST", "/events", sale, status=201)
    page = context.new_page()
    asked: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{sale_runtime['waiting_room']}?poll={POLL_MS}&event_id=draw-sale")

    # Before the pre-queue: a countdown, and no way in.
    expect(page.locator("#headline")).to_have_text("Opening soon")
    expect(page.locator("#status")).to_contain_text("The line opens in")
    expect(page.get_by_role("button", name="Enter the line")).to_be_hidden()
    screenshot(page, "countdown")

    # The pre-queue opens: the page says how the order is decided, and lets the visitor in.
    expect(page.get_by_role("button", name="Enter the line")).to_be_visible(timeout=SLOW)
    expect(page.locator("#status")).to_contain_text("Everyone who joins before then has the same chance")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#headline")).to_have_text("You are in the pre-queue", timeout=SLOW)
    expect(page.locator("#status")).to_contain_text("Joining earlier in the pre-queue gives no advantage")
    request_id = json.loads(page.evaluate("localStorage.getItem('vwr:place:draw-sale')"))["request_id"]
    expect(page.locator("#sale-handle")).to_have_text(hashlib.sha256(request_id.encode()).hexdigest())
    screenshot(page, "prequeue")
    polls_before_draw = sum("/queue_num?" in url for url in asked)

    # The draw: the page asks a moment after its time and shows the drawn place.
    expect(page.locator("#my-number")).to_have_text("1", timeout=60_000)
    expect(page.locator("#sale-check")).to_be_hidden()
    screenshot(page, "drawn")
    # Rare polling: a handful of questions over the pre-queue's ten seconds, not one a poll interval.
    assert polls_before_draw <= 4, asked
    assert errors == []


def test_a_full_line_says_so_and_offers_the_events_other_page(
    context: BrowserContext, runtime: dict, operator: Operator, registered: list[str], screenshot
) -> None:
    event_id = f"full-{secrets.token_hex(4)}"
    fields = {"event_id": event_id, "max_waiting": 1, "overflow_url": "https://example.com/waitlist"}
    operator.call("POST", "/events", fields, status=201)
    registered.append(event_id)
    first = requests.post(
        runtime["public_api"] + "/assign_queue_num", json={"event_id": event_id}, timeout=10
    )
    assert first.status_code == 200, first.text
    params = {"event_id": event_id, "request_id": first.json()["api_request_id"]}
    deadline = time.monotonic() + 30
    while requests.get(runtime["public_api"] + "/queue_num", params=params, timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the first visitor was never numbered"
        time.sleep(0.2)

    page = context.new_page()
    page.goto(f"{runtime['waiting_room']}?poll={POLL_MS}&event_id={event_id}")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#status")).to_contain_text("The line is full right now", timeout=SLOW)
    link = page.get_by_role("link", name="Go to the event's other options")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "https://example.com/waitlist")
    assert operator.counters(event_id)["full_refused_counter"] == 1
    screenshot(page)
