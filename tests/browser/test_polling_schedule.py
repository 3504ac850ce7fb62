"""The page polls as the line moves, through a whole 10-minute wait driven by Playwright's clock.

The public API is played by the test (`page.route`), so the serving counter follows the page's
fake clock exactly and every request is counted: the local runtime's CDN cache runs on real time
and would not. The visitor is number 301; the line moves 5 places every 10 seconds from 1, so the
serving counter reaches them after 10 minutes.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, Route

from lambdas.catalog import LINE_CACHE_SECONDS, PAGE_CONTENT_TYPE
from stacks import cost

API = "https://api.waiting-room.test"
REQUEST_ID = "8a1f4c2e-5b7d-4e9a-9c3b-2d6f8e0a1b4c"
POSITION = 301
EPOCH_MS = 1_700_000_000_000  # the page's clock and the line's answers start here
STEP_EVERY_S, STEP = 10, 5
ASSIGNED_AFTER_S = 3  # the entry answers 202 until then (the ordering window and SQS)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Content-Type,Authorization"}


@dataclass
class FakeLine:
    now_s: float = 0.0
    requests: list[tuple[float, str]] = field(default_factory=list)
    assigned_seen_at: float | None = None

    def serving(self) -> int:
        return 1 + STEP * int(self.now_s // STEP_EVERY_S)

    def handle(self, route: Route) -> None:
        request = route.request
        path = urlparse(request.url).path
        self.requests.append((self.now_s, path))
        status, body = 200, {}
        if path == "/assign_queue_num":
            body = {"api_request_id": REQUEST_ID}
        elif path == "/queue_num":
            assert parse_qs(urlparse(request.url).query)["request_id"] == [REQUEST_ID]
            if self.now_s < ASSIGNED_AFTER_S:
                status, body = 202, {"message": "not yet"}
            else:
                self.assigned_seen_at = self.assigned_seen_at or self.now_s
                body = {"queue_number": POSITION, "entry_time": 0, "event_id": "Sample", "status": 1}
        elif path == "/serving_num":
            body = {"serving_counter": self.serving(), "waiting_num": 400}
        elif path == "/queue_pos_expiry":
            body = {"expires_in": 900}
        else:
            status, body = 404, {"error": "not part of this test"}
        route.fulfill(
            status=status, headers={**CORS, "Content-Type": "application/json"}, body=json.dumps(body)
        )


def enter(page: Page, static_server: str, query: str = "") -> None:
    """Opens the page on Playwright's clock, at EPOCH_MS, and enters the line."""
    page.clock.install(time=EPOCH_MS / 1000)  # Playwright for Python takes seconds
    page.goto(
        f"{static_server}/waiting_room_site/index.html?public_api={API}&store_api={API}&event_id=Sample{query}"
    )
    page.get_by_role("button", name="Enter the line").click()


def run_clock(
    page: Page, line: FakeLine, until_s: float, tick_s: float, *, until_offered: bool = True
) -> float | None:
    """Runs the page's clock to `until_s`; returns when check-out was offered (s), or None."""
    checkout = page.locator("#checkout")
    while line.now_s < until_s:
        page.clock.run_for(int(tick_s * 1000))
        line.now_s += tick_s
        # Let fetches answered during that tick reach the page before its clock moves on.
        page.wait_for_timeout(3)
        if until_offered and checkout.is_visible():
            return line.now_s
    return None


def test_a_ten_minute_wait_costs_few_requests_and_check_out_comes_within_seconds(
    page: Page, static_server, screenshot
) -> None:
    line = FakeLine()
    page.route(f"{API}/**", line.handle)
    enter(page, static_server)
    assert run_clock(page, line, until_s=8, tick_s=1) is None
    # Before a rate is known the note is one whole sentence (it used to be two glued together).
    assert page.locator("#estimate-note").inner_text() == "This page is watching how fast the line moves."
    assert page.locator("#waiting-tile").is_visible()
    offered_at = run_clock(page, line, until_s=660, tick_s=1)

    served_at = STEP_EVERY_S * (POSITION - 1) / STEP  # 600 s
    assert offered_at is not None, f"check-out never offered; requests: {line.requests}"
    assert offered_at - served_at <= 5
    # While the entry answered 202 the page kept asking, at most 3 s apart (+1 s: this loop's step).
    assert line.assigned_seen_at is not None and line.assigned_seen_at <= ASSIGNED_AFTER_S + 4
    assert len(line.requests) <= 60, line.requests
    polls = [at for at, path in line.requests if path == "/serving_num"]
    # Rare far from the front (30 s apart, 10% jitter, 1 s steps here), often near it.
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert max(gaps) <= 35 and min(gaps) <= 3 and sum(gap >= 25 for gap in gaps) >= 10
    assert not [path for _, path in line.requests if path == "/waiting_num"]  # one poll, not two
    assert page.js_errors == []
    screenshot(page)


def test_the_page_polls_the_shared_reads_where_its_configuration_says(page: Page, static_server) -> None:
    """`reads_api` (the core's PublicReadsUrl: a distribution without the web ACL) gets the
    serving-counter polls; the entry, the position and everything else stay on `public_api`."""
    reads = "https://reads.waiting-room.test"
    line = FakeLine()
    hosts: list[tuple[str, str]] = []

    def via(base: str):
        def handle(route: Route) -> None:
            hosts.append((base, urlparse(route.request.url).path))
            line.handle(route)

        return handle

    page.route(f"{API}/**", via(API))
    page.route(f"{reads}/**", via(reads))
    enter(page, static_server, f"&reads_api={reads}")
    run_clock(page, line, until_s=60, tick_s=1, until_offered=False)
    polled = {base for base, path in hosts if path == "/serving_num"}
    others = {base for base, path in hosts if path != "/serving_num"}
    assert polled == {reads}, hosts
    assert others == {API} and {"/assign_queue_num", "/queue_num"} <= {p for _, p in hosts}, hosts
    assert page.js_errors == []


@dataclass
class CachedLine(FakeLine):
    """The line as the page sees it through the CDN: `/serving_num`'s answer says when the counter
    moved and when it was made, and a cache keeps it `LINE_CACHE_SECONDS` (made at the first poll
    after the last one expired, as one edge cache in front of everyone would)."""

    kind: str = "periodic"
    cached: tuple[float, dict] | None = None
    posts: list[tuple[str, str | None]] = field(default_factory=list)

    def serving_at(self, at_s: float) -> int:
        # Periodic: 30 places once a minute; MaxSize: one place every 2 s (a session closes). Both
        # reach the visitor, number 301, at 600 s.
        if self.kind == "periodic":
            return 1 + 30 * int(at_s // 60)
        return 1 + int(at_s // 2)

    def moved_at_ms(self, at_s: float) -> list[int]:
        every = 60 if self.kind == "periodic" else 2
        last = int(at_s // every) * every
        return [EPOCH_MS + 1000 * (last - k * every) for k in (2, 1, 0)]

    def answer(self) -> dict:
        if self.cached is None or self.now_s >= self.cached[0] + LINE_CACHE_SECONDS:
            body = {
                "serving_counter": self.serving_at(self.now_s),
                "waiting_num": 400,
                "moved_at_ms": self.moved_at_ms(self.now_s),
                "answered_at_ms": EPOCH_MS + int(1000 * self.now_s),
            }
            self.cached = (self.now_s, body)
        return self.cached[1]

    def handle(self, route: Route) -> None:
        if route.request.method == "POST":
            self.posts.append((urlparse(route.request.url).path, route.request.headers.get("content-type")))
        if urlparse(route.request.url).path == "/serving_num" and route.request.method == "GET":
            self.requests.append((self.now_s, "/serving_num"))
            route.fulfill(
                status=200,
                headers={**CORS, "Content-Type": "application/json"},
                body=json.dumps(self.answer()),
            )
            return
        super().handle(route)


def wait_in_line(page: Page, static_server: str, line: CachedLine, tick_s: float = 0.5) -> float | None:
    """Enters, and runs the page's clock until check-out is offered; returns when (s), or None.
    Then lets the page's one request after that (the served place's expiry) reach the line."""
    page.route(f"{API}/**", line.handle)
    enter(page, static_server)
    offered_at = run_clock(page, line, until_s=660, tick_s=tick_s)
    for _ in range(100):  # at most 2 s of real time; it usually takes a few milliseconds
        if offered_at is None or any(path == "/queue_pos_expiry" for _, path in line.requests):
            break
        page.wait_for_timeout(20)
    return offered_at


def test_a_line_that_steps_once_a_minute_is_asked_just_after_each_step(
    page: Page, static_server, screenshot
) -> None:
    """Periodic: the page asks once per step instead of every 30 s far from the front and every
    2 s near it, and still sees the step that serves it within 5 s."""
    line = CachedLine(kind="periodic")
    every: list[str] = []
    page.on("request", lambda request: every.append(request.url))
    offered_at = wait_in_line(page, static_server, line)
    polls = [at for at, path in line.requests if path == "/serving_num"]
    files = [url for url in every if not url.startswith(API)]
    print(
        f"\nperiodic: {len(line.requests)} API requests ({len(polls)} /serving_num), "
        f"{len(files)} of the page's own files; check-out offered "
        f"{offered_at and offered_at - 600} s after the step"
    )
    assert offered_at is not None, f"check-out never offered; requests: {line.requests}"
    assert offered_at - 600 <= 5
    # One poll a minute once the period is known (the first answer tells it), a few seconds after
    # each step: 11 or 12 for the 10 minutes, where the schedule alone makes about 50.
    assert len(polls) <= 14, polls
    # Once a minute after the first answer (when exactly within the minute: tests/unit/
    # test_cost_model.py; this test's answers come a tick or two after the page asks).
    assert all(55 <= b - a <= 65 for a, b in itertools.pairwise(polls[1:])), str(polls)
    # What the cost model counts besides the polls is what the page sent. (Chromium sends no
    # preflight for a request that page.route answers; the POSTs' text/plain makes them "simple"
    # requests that need none from a real API either: tests/browser/test_simple_requests.py.)
    assert len(files) == cost.PAGE_FILES_PER_VISIT, files
    assert line.posts == [("/assign_queue_num", PAGE_CONTENT_TYPE)]
    paths = {"/event_info", "/pow_challenge", "/assign_queue_num", "/queue_num", "/serving_num"}
    assert {path for _, path in line.requests} == {*paths, "/queue_pos_expiry"}
    assert page.js_errors == []
    screenshot(page)


def test_a_line_that_moves_continuously_is_polled_as_the_schedule_says(page: Page, static_server) -> None:
    """MaxSize: the counter moves every 2 s, so there is no step to wait for: rare far from the
    front, every 2 s near it, as before."""
    line = CachedLine(kind="maxsize")
    every: list[str] = []
    page.on("request", lambda request: every.append(request.url))
    offered_at = wait_in_line(page, static_server, line)
    polls = [at for at, path in line.requests if path == "/serving_num"]
    print(
        f"\nmaxsize: {len(line.requests)} API requests ({len(polls)} /serving_num), "
        f"{len(every) - len(line.requests)} of the page's own files; "
        f"check-out offered {offered_at and offered_at - 600} s after the counter reached the visitor"
    )
    assert offered_at is not None, f"check-out never offered; requests: {line.requests}"
    assert offered_at - 600 <= 5
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert max(gaps) <= 35 and sum(gap >= 25 for gap in gaps) >= 10 and sum(gap <= 3 for gap in gaps) >= 5
    assert page.js_errors == []
