"""Links made for the retired solution's pages keep working: its query-string names
(REFERENCE.md) configure the waiting room page and the control panel, in Chromium.

The pages are served as plain files (no config.json), as a page copied to any bucket would be; the
API behind them is the local runtime. A deployed configuration and the operator's own entries win
over the link: it only fills what they leave empty.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

SLOW = 30_000
EVENT = "retired-link"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def second_event(runtime) -> str:
    """An event other than the deployment's own, so the link's `eventId` is what chose it."""
    from tests.browser.helpers import Operator

    operator = Operator(runtime)
    existing = {e["event_id"] for e in operator.call("GET", "/events", params={"limit": "100"})["events"]}
    if EVENT not in existing:
        operator.call("POST", "/events", {"event_id": EVENT}, status=201)
    operator.session.close()
    return EVENT


def test_the_waiting_room_page_reads_the_retired_query_string(
    page: Page, runtime, static_server, second_event
):
    query = {
        "eventId": second_event,
        "publicApiUrl": runtime["public_api"],
        "commerceApiUrl": runtime["store_api"],
        "poll": "200",
    }
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{static_server}/waiting_room_site/index.html?{urlencode(query)}")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    config = page.evaluate("({...window.waitingRoom.config})")
    assert (config["eventId"], config["publicApi"], config["storeApi"]) == (
        second_event,
        runtime["public_api"],
        runtime["store_api"],
    )
    assert any(
        url.startswith(runtime["public_api"] + "/queue_num?") and f"event_id={second_event}" in url
        for url in asked
    )
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_configured_waiting_room_page_keeps_its_own_api(page: Page, runtime, second_event):
    """With a config.json (the runtime serves one), the address cannot move the page's API."""
    query = {
        "eventId": second_event,
        "publicApiUrl": "https://elsewhere.example/api",
        "commerceApiUrl": "https://elsewhere.example/store",
    }
    page.goto(f"{runtime['waiting_room']}?{urlencode(query)}")
    expect(page.get_by_role("button", name="Enter the line")).to_be_visible(timeout=SLOW)
    config = page.evaluate("({...window.waitingRoom.config})")
    assert config["publicApi"] == runtime["public_api"] and config["storeApi"] == runtime["store_api"]
    assert config["eventId"] == second_event  # the event is the link's to name, under either name


def test_the_control_panel_reads_the_retired_query_string_where_nothing_else_says(
    page: Page, runtime, static_server, second_event
):
    query = {
        "eventId": second_event,
        "publicApiUrl": runtime["public_api"],
        "privateApiUrl": runtime["private_api"],
        "regionName": runtime["region"],
        "poll": "300",
    }
    page.goto(f"{static_server}/control_panel/index.html?{urlencode(query)}")
    form = (
        page.locator("#settings-form")
        if page.locator("#settings-form").count()
        else page.locator("form").first
    )
    for field, value in (
        ("public_api", runtime["public_api"]),
        ("private_api", runtime["private_api"]),
        ("region", runtime["region"]),
    ):
        expect(page.locator(f"input[name={field}]")).to_have_value(value)
    # The keys are the operator's to type: no link carries them.
    page.locator("input[name=access_key_id]").fill(runtime["access_key_id"])
    page.locator("input[name=secret_access_key]").fill(runtime["secret_access_key"])
    form.get_by_role("button", name="Connect").click()
    expect(page.locator("#connection")).to_have_text("Live", timeout=SLOW)
    expect(page.locator("#event-select")).to_have_value(second_event, timeout=SLOW)

    # What the operator connected with (kept for the tab) wins over a link's on the next visit.
    page.goto(
        f"{static_server}/control_panel/index.html?{urlencode({**query, 'publicApiUrl': 'https://elsewhere.example/api'})}"
    )
    expect(page.locator("input[name=public_api]")).to_have_value(runtime["public_api"])
