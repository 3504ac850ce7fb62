"""The waiting room page's behaviour over time, against the real local runtime.

The operator's side is played by signed HTTP calls here (the control panel has its own tests):
the estimate appears once the line has moved, polling backs off on network failures and resumes,
and a served place counts down and expires.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from local.testing import running_runtime
from tests.browser.helpers import Operator

POLL_MS = 200
PHONE = {"width": 390, "height": 844}
SLOW = 30_000

pytestmark = pytest.mark.e2e


@pytest.fixture
def visitor(browser, runtime):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    yield page
    context.close()


def _open_and_enter(page: Page, ready: dict) -> int:
    page.goto(f"{ready['waiting_room']}?poll={POLL_MS}")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    return int(page.locator("#my-number").inner_text())


def test_the_estimate_appears_once_the_line_moves(visitor, runtime, operator, screenshot):
    operator.serve_up_to(operator.counters()["queue_counter"])  # nobody left waiting before us
    operator.enter_others(6)
    number = _open_and_enter(visitor, runtime)
    expect(visitor.locator("#estimate")).to_have_text("Cannot estimate yet")
    expect(visitor.locator("#estimate-note")).to_contain_text("watching how fast the line moves")

    # The line moves one place every half second while the page watches.
    for _ in range(4):
        operator.increment(1)
        time.sleep(0.5)
    expect(visitor.locator("#estimate")).to_have_text(re.compile(r"minute|second|hour"), timeout=SLOW)
    expect(visitor.locator("#estimate-note")).to_contain_text("how fast the line has moved")
    ahead = number - operator.counters()["serving_counter"] - 1
    expect(visitor.locator("#ahead")).to_have_text(str(ahead), timeout=SLOW)
    expect(visitor.locator("#progress")).to_be_visible()
    screenshot(visitor)
    operator.serve_up_to(number)
    expect(visitor.locator("#checkout")).to_be_visible(timeout=SLOW)

    # The operator takes one step back: the page waits again instead of offering a check-out.
    operator.increment(-1)
    expect(visitor.locator("#checkout")).to_be_hidden(timeout=SLOW)
    expect(visitor.locator("#status")).to_contain_text(f"You are number {number}. Nobody is ahead of you")
    assert visitor.js_errors == []


def test_polling_backs_off_on_network_errors_and_resumes(visitor, runtime, screenshot):
    number = _open_and_enter(visitor, runtime)
    expect(visitor.locator("#status")).to_contain_text(f"You are number {number}")

    # The network to the waiting room goes away (the pages themselves stay loaded).
    api = re.compile(r"/(serving_num|waiting_num|queue_num|queue_pos_expiry)\?")
    visitor.route(api, lambda route: route.abort("internetdisconnected"))
    status = visitor.locator("#status")
    expect(status).to_contain_text("Having trouble reaching the waiting room", timeout=SLOW)
    expect(status).to_contain_text("Your place is kept")
    expect(status).to_contain_text(re.compile(r"Trying again in \d+ seconds?"))
    expect(visitor.get_by_role("button", name="Try again now")).to_be_visible()
    failures = visitor.evaluate("window.waitingRoom.backoff.failures")
    screenshot(visitor, "offline")

    # Back online: the next attempt brings the page back by itself.
    visitor.unroute(api)
    expect(status).to_contain_text(f"You are number {number}", timeout=SLOW)
    expect(visitor.get_by_role("button", name="Try again now")).to_be_hidden()
    assert failures >= 1
    assert visitor.evaluate("window.waitingRoom.backoff.failures") == 0
    screenshot(visitor, "back")
    assert visitor.js_errors == []


def test_backoff_delays_grow_with_jitter(visitor, runtime, screenshot):
    visitor.goto(f"{runtime['waiting_room']}?poll={POLL_MS}")
    delays = visitor.evaluate(
        """async () => {
            const { Backoff } = await import('./js/backoff.js');
            const low = new Backoff({ baseMs: 1000, maxMs: 30000, random: () => 0 });
            const high = new Backoff({ baseMs: 1000, maxMs: 30000, random: () => 0.999 });
            const out = [];
            for (let i = 0; i < 7; i++) out.push([low.fail(), high.fail()]);
            return out;
        }"""
    )
    ceilings = [1000, 2000, 4000, 8000, 16000, 30000, 30000]
    for (low, high), ceiling in zip(delays, ceilings, strict=True):
        assert low == ceiling / 2
        assert ceiling / 2 < high <= ceiling
    screenshot(visitor)


@pytest.fixture(scope="module")
def short_expiry_runtime(tmp_path_factory):
    args = ("--event-id", "expiry-test", "--batch-window", "0.2", "--expiry-seconds", "12")
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-local-expiry")) as started:
        yield started.ready


def test_a_served_place_counts_down_and_expires(browser, short_expiry_runtime, screenshot):
    ready = short_expiry_runtime
    context = browser.new_context(viewport=PHONE, device_scale_factor=2)
    try:
        page = context.new_page()
        number = _open_and_enter(page, ready)
        Operator(ready).serve_up_to(number)
        expect(page.locator("#checkout")).to_be_visible(timeout=SLOW)
        expect(page.locator("#countdown")).to_have_text(re.compile(r"^0:[0-2]\d$"), timeout=SLOW)
        screenshot(page, "counting")
        # Nobody checks out: the place expires and the page says so, with the server's words.
        expect(page.get_by_role("button", name="Enter the line again")).to_be_visible(timeout=2 * SLOW)
        expect(page.locator("#headline")).to_have_text("Your turn has passed")
        expect(page.locator("#status")).to_contain_text("Your place can no longer be used")
        expect(page.locator("#problem-detail")).to_contain_text("The waiting room said:")
        expect(page.locator("#checkout")).to_be_hidden()
        assert page.evaluate("localStorage.length") == 0
        screenshot(page, "expired")
    finally:
        context.close()


def test_a_page_for_an_unknown_event_says_so_before_anyone_enters(visitor, runtime, screenshot):
    visitor.goto(f"{runtime['waiting_room']}?poll={POLL_MS}&event_id=no-such-event")
    expect(visitor.locator("#event-name")).to_have_text("no-such-event")
    # The page asks /event_info once on load: the waiting room does not know the event, so
    # nobody is offered an entry that would be refused anyway.
    expect(visitor.locator("#headline")).to_have_text("Something is wrong", timeout=SLOW)
    expect(visitor.locator("#status")).to_contain_text("This waiting room has no event “no-such-event”")
    expect(visitor.get_by_role("button", name="Enter the line")).to_be_hidden()
    expect(visitor.get_by_role("button", name="Enter the line again")).to_be_hidden()
    screenshot(visitor)
    assert visitor.js_errors == []
