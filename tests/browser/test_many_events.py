"""One deployment, many events, in the two browser apps against the real local runtime.

The runtime's own event is A; each test registers the events it needs (POST /events) and deletes
them afterwards, so the other tests of the shared runtime still see one event.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import Operator

POLL_MS = 200
SLOW = 30_000

pytestmark = pytest.mark.e2e


def _new_event_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def cleanup(operator: Operator) -> Iterator[list[str]]:
    """Event ids the test may register: whichever are still registered afterwards are deleted."""
    event_ids: list[str] = []
    yield event_ids
    registered = operator.events()
    for event_id in event_ids:
        if event_id in registered:
            operator.call("DELETE", f"/events/{event_id}")


@pytest.fixture
def event_b(operator: Operator, cleanup: list[str]) -> str:
    """A second event, registered for the test with the deployment's defaults."""
    event_id = _new_event_id("b")
    cleanup.append(event_id)
    operator.call("POST", "/events", {"event_id": event_id, "name": "Event B"}, status=201)
    return event_id


def _page(context: BrowserContext, runtime: dict, event_id: str | None) -> tuple[Page, list[str]]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    query = f"?poll={POLL_MS}" + (f"&event_id={event_id}" if event_id else "")
    page.goto(runtime["waiting_room"] + query)
    expect(page.locator("#headline")).to_have_text("Join the line")
    return page, errors


def _enter(page: Page) -> int:
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    return int(page.locator("#my-number").inner_text())


def test_the_page_enters_the_line_of_the_event_in_its_address(
    context, runtime, operator, event_b, screenshot
):
    event_a = runtime["event_id"]
    before_a, before_b = operator.counters(event_a), operator.counters(event_b)

    page, errors = _page(context, runtime, event_b)
    expect(page.locator("#event-name")).to_have_text("Event B")
    number = _enter(page)

    assert number == before_b["queue_counter"] + 1
    assert operator.counters(event_b)["queue_counter"] == before_b["queue_counter"] + 1
    assert operator.counters(event_a)["queue_counter"] == before_a["queue_counter"]
    keys = page.evaluate("Object.keys(localStorage)")
    assert keys == [f"vwr:place:{event_b}"]

    # B's serving counter lets the visitor in; A's does not move.
    operator.increment(number - before_b["serving_counter"], event_b)
    expect(page.locator("#checkout")).to_be_visible(timeout=SLOW)
    assert operator.counters(event_a)["serving_counter"] == before_a["serving_counter"]
    screenshot(page)
    assert errors == []


def test_two_tabs_on_two_events_keep_two_places(context, runtime, operator, event_b, screenshot):
    event_a = runtime["event_id"]
    tab_a, errors_a = _page(context, runtime, event_a)
    tab_b, errors_b = _page(context, runtime, event_b)
    number_a = _enter(tab_a)
    number_b = _enter(tab_b)
    # B's entry (a storage event in tab A) leaves tab A on its own place.
    expect(tab_a.locator("#status")).to_contain_text(f"You are number {number_a}")
    expect(tab_a.locator("#my-number")).to_have_text(str(number_a))

    for tab, number in ((tab_a, number_a), (tab_b, number_b)):
        tab.reload()
        expect(tab.locator("#my-number")).to_have_text(str(number), timeout=SLOW)
    stored = tab_a.evaluate(
        "Object.fromEntries(Object.entries(localStorage).map(([k, v]) => [k, JSON.parse(v).queue_number]))"
    )
    assert stored == {f"vwr:place:{event_a}": number_a, f"vwr:place:{event_b}": number_b}
    screenshot(tab_b)
    assert errors_a == [] and errors_b == []


def _panel(context: BrowserContext, url: str) -> tuple[Page, list[str]]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    expect(page.locator("#connection")).to_have_text("Live", timeout=SLOW)
    return page, errors


def test_the_panel_creates_switches_to_changes_and_deletes_an_event(
    context, runtime, operator, cleanup, screenshot
):
    event_a = runtime["event_id"]
    event_c = _new_event_id("c")
    cleanup.append(event_c)
    panel, errors = _panel(context, f"{runtime['control_panel']}?poll=300")
    select = panel.locator("#event-select")
    expect(select).to_have_value(event_a)
    assert event_a in panel.locator("#event-select option").all_inner_texts()[0]
    expect(panel.get_by_role("button", name="Delete…")).to_be_disabled()  # the deployment's own
    serving_a = operator.counters(event_a)["serving_counter"]

    # Create: the form starts from the deployment's own settings.
    panel.get_by_role("button", name="New event…").click()
    dialog = panel.get_by_role("dialog", name="New event")
    expect(dialog.get_by_label("Event id")).to_be_focused()
    dialog.get_by_label("Event id").fill(event_c)
    dialog.get_by_label("Name").fill("Concert C")
    screenshot(panel, "1-new")
    dialog.get_by_role("button", name="Create the event").click()
    expect(dialog).to_be_hidden()
    expect(panel.locator("#log")).to_contain_text(f"Event {event_c} created.")
    expect(select).to_have_value(event_c)
    expect(panel).to_have_url(re.compile(rf"[?&]event_id={event_c}(&|$)"))
    expect(panel.locator("#t-queue")).to_have_text("0", timeout=SLOW)
    assert event_c in operator.events()

    # The levers act on the chosen event only.
    panel.locator("#increment-by").fill("3")
    panel.get_by_role("button", name="Increment", exact=True).click()
    expect(panel.locator("#t-serving")).to_have_text("3", timeout=SLOW)
    assert operator.counters(event_c)["serving_counter"] == 3
    assert operator.counters(event_a)["serving_counter"] == serving_a

    # A reload (or a shared link) keeps the event.
    panel.reload()
    expect(select).to_have_value(event_c, timeout=SLOW)
    expect(panel.locator("#t-serving")).to_have_text("3", timeout=SLOW)

    # Change: another inlet and its setting; the registry raises the version.
    version = operator.events()[event_c]["version"]
    panel.get_by_role("button", name="Change…").click()
    dialog = panel.get_by_role("dialog", name=f"Change event {event_c}")
    expect(dialog.get_by_label("Event id")).to_have_attribute("readonly", "")
    dialog.get_by_label("Inlet").select_option("max_size")
    dialog.get_by_label("Capacity").fill("7")
    dialog.get_by_role("button", name="Save the changes").click()
    expect(dialog).to_be_hidden()
    expect(panel.locator("#event-summary")).to_contain_text("Max size inlet: up to 7 sessions at once")
    changed = operator.events()[event_c]
    assert (changed["inlet"], changed["capacity"], changed["name"]) == ("max_size", 7, "Concert C")
    assert changed["version"] > version

    # The API's refusal is shown in its own words: the id exists.
    panel.get_by_role("button", name="New event…").click()
    dialog = panel.get_by_role("dialog", name="New event")
    dialog.get_by_label("Event id").fill(event_c)
    dialog.get_by_role("button", name="Create the event").click()
    expect(panel.locator("#event-error")).to_contain_text("private API /events answered 409: ")
    panel.keyboard.press("Escape")

    # Delete, after a confirmation; the panel goes back to the deployment's own event.
    panel.get_by_role("button", name="Delete…").click()
    confirm = panel.get_by_role("dialog", name="Delete this event?")
    expect(confirm).to_contain_text(event_c)
    screenshot(panel, "2-delete")
    confirm.get_by_role("button", name="Delete the event").click()
    expect(panel.locator("#log")).to_contain_text(f"Event {event_c} deleted.")
    expect(select).to_have_value(event_a)
    expect(panel.locator(f"#event-select option[value='{event_c}']")).to_have_count(0)
    assert event_c not in operator.events()
    assert errors == []


def test_the_panel_says_when_the_address_names_no_registered_event(context, runtime, screenshot):
    panel, errors = _panel(context, f"{runtime['control_panel']}?poll=300&event_id=no-such-event")
    expect(panel.locator("#log")).to_contain_text(
        f"There is no event no-such-event; showing {runtime['event_id']}."
    )
    expect(panel.locator("#event-select")).to_have_value(runtime["event_id"])
    expect(panel).to_have_url(re.compile(rf"event_id={runtime['event_id']}"))
    screenshot(panel)
    assert errors == []
