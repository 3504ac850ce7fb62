"""Scheduled sales on the waiting room page, in Chromium against the real local runtime."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import Operator

POLL_MS = 200
SLOW = 30_000
# Real seconds from creating the sale to its draw on the server: time to load the page and enter.
DRAW_IN_REAL_SECONDS = 9

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
    """The page's hour of pre-queue runs on Playwright's clock; the server keeps real time.

    The page learns the sale's times from `/event_info` as absolute times and compares them with
    its own clock, so its clock starts ten minutes before the pre-queue opens and is moved through
    the countdown and the hour of pre-queue. The server's pre-queue is already open (it opened an
    hour ago by its clock) and its draw runs a few real seconds from now: when the page enters,
    the server holds the entry for the draw, and when the page's clock passes the draw the server
    has drawn.
    """
    operator = Operator(sale_runtime)
    now = int(time.time())
    prequeue_start, start_time = now - 3600, now + DRAW_IN_REAL_SECONDS
    sale = {"event_id": "draw-sale", "name": "Drawn sale", "prequeue_start": prequeue_start,
            "start_time": start_time, "order_at_start": "draw"}  # fmt: skip
    operator.call("POST", "/events", sale, status=201)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # A number is seconds since the epoch to Playwright's Python clock.
    page.clock.install(time=prequeue_start - 600)
    page.add_init_script(ASKED_ON_THE_PAGES_CLOCK)
    page.goto(f"{sale_runtime['waiting_room']}?event_id=draw-sale")

    # Ten minutes before the pre-queue: a countdown, and no way in.
    expect(page.locator("#headline")).to_have_text("Opening soon")
    expect(page.locator("#status")).to_contain_text(re.compile(r"The line opens in (10|9) min"))
    expect(page.get_by_role("button", name="Enter the line")).to_be_hidden()
    screenshot(page, "countdown")
    page.clock.run_for(9 * 60_000)
    expect(page.locator("#status")).to_contain_text(re.compile(r"The line opens in (1 min 00 s|\d+ s)\."))
    expect(page.get_by_role("button", name="Enter the line")).to_be_hidden()
    # The countdown asks nothing: the page's configuration and the event's facts were read once, at load.
    assert sorted(path.rsplit("/", 1)[-1] for _, path in asked(page)) == ["config.json", "event_info"]

    # The pre-queue opens on the page's clock: it says how the order is decided, and lets the visitor in.
    page.clock.run_for(61_000)
    expect(page.get_by_role("button", name="Enter the line")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Everyone who joins before then has the same chance")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#headline")).to_have_text("You are in the pre-queue", timeout=SLOW)
    expect(page.locator("#status")).to_contain_text("Joining earlier in the pre-queue gives no advantage")
    expect(page.locator("#status")).to_contain_text(re.compile(r"The draw is in (1 h 00|59) min"))
    request_id = json.loads(page.evaluate("localStorage.getItem('vwr:place:draw-sale')"))["request_id"]
    expect(page.locator("#sale-handle")).to_have_text(hashlib.sha256(request_id.encode()).hexdigest())
    screenshot(page, "prequeue")

    # The hour of pre-queue on the page's clock, to ten seconds before the draw, quickly: the
    # server draws at its start in real time, and the page must not ask after that while its own
    # clock is still in the pre-queue. Jumps of 30 s fire a due poll once, and each answer reaches
    # the page before the next jump (a jump while a fetch is out would time the fetch out).
    draw_ms = start_time * 1000
    while page_ms(page) < draw_ms - 10_000:
        page.clock.fast_forward(min(30_000, draw_ms - 10_000 - page_ms(page)))
        page.wait_for_timeout(10)  # a poll's fetch starts after the timer's callback awaited
        while page.evaluate("window.fetching"):
            page.wait_for_timeout(5)
    expect(page.locator("#headline")).to_have_text("You are in the pre-queue")
    polls = [at for at, path in asked(page) if path.endswith("/queue_num")]
    # Rare polling: a handful of questions over the hour (half the time left, at most ten minutes
    # apart), not one every two seconds; and none before the visitor entered.
    assert 5 <= len(polls) <= 12, str([(at - draw_ms) / 1000 for at in polls])
    assert all(b - a >= 30_000 for a, b in itertools.pairwise(polls)), str(polls)
    assert min(polls) >= prequeue_start * 1000, asked(page)

    # The server draws at its start (real time); then the page's clock passes the draw, and the
    # page asks a moment after it and shows the drawn place.
    deadline = time.monotonic() + 60
    draw_url = sale_runtime["public_api"] + "/draw"
    while requests.get(draw_url, params={"event_id": "draw-sale"}, timeout=10).json()["state"] != "done":
        assert time.monotonic() < deadline, "the server never drew the sale"
        time.sleep(0.2)
    page.clock.run_for(10_000)
    for _ in range(60):  # the first ask after the draw may meet the CDN's copy of the last answer
        if page.locator("#my-number").text_content() == "1":
            break
        page.clock.run_for(1000)
        page.wait_for_timeout(200)
    expect(page.locator("#my-number")).to_have_text("1")
    first_after = min(at for at, path in asked(page) if path.endswith("/queue_num") and at >= draw_ms)
    assert first_after <= draw_ms + 3000, asked(page)  # within seconds of the draw's time
    expect(page.locator("#sale-check")).to_be_hidden()
    screenshot(page, "drawn")
    assert errors == []


# Every fetch the page makes, with the page's clock when it made it; and how many are out.
ASKED_ON_THE_PAGES_CLOCK = """
window.asked = [];
window.fetching = 0;
const fetchOfThePage = window.fetch.bind(window);
window.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input), window.location.href);
  window.asked.push([Date.now(), url.pathname]);
  window.fetching += 1;
  return fetchOfThePage(input, init).finally(() => { window.fetching -= 1; });
};
"""


def page_ms(page: Page) -> int:
    """The page's clock."""
    return int(page.evaluate("Date.now()"))


def asked(page: Page) -> list[tuple[int, str]]:
    """(the page's clock in ms, the path) of each fetch the page made."""
    return [(int(at), path) for at, path in page.evaluate("window.asked")]


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
