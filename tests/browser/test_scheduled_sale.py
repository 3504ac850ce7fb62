"""Scheduled sales on the waiting room page, in Chromium against the real local runtime."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
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
