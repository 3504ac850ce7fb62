"""The three pages work under their content security policy, in Debian's Chromium, with no
violation reported; and the policy does refuse what it is there to refuse (an injected inline
script, a frame on another site), so a page that works here is one the policy really covers.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import BrowserContext, Page, expect

from local.testing import Runtime
from tests.browser.helpers import Operator
from tests.e2e.oidc_client import CLIENT_SECRET, REDIRECT_URI

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

SLOW = 30_000
# Runs before any script of the page; the listener is the page's own report of what CSP refused.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
"""


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    yield context
    context.close()


def _open(context: BrowserContext, url: str) -> tuple[Page, list[str]]:
    """The page, and every problem it reports: script errors and CSP refusals in its console."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(url)
    return page, problems


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.cspViolations")


def test_the_waiting_room_journey_runs_under_the_policy(context, runtime: Runtime) -> None:
    page, problems = _open(context, runtime.waiting_room + "?poll=200")
    page.get_by_role("button", name="Enter the line").click()
    expect(page.locator("#my-number")).to_have_text(re.compile(r"^\d+$"), timeout=SLOW)
    Operator(runtime.ready).serve_up_to(int(page.locator("#my-number").inner_text()))
    page.locator("#checkout").click(timeout=SLOW)
    expect(page.locator("#receipt-panel")).to_be_visible(timeout=SLOW)
    assert _violations(page) == [] and problems == []


def test_the_control_panel_runs_under_the_policy(context, runtime: Runtime) -> None:
    page, problems = _open(context, runtime.control_panel + "?poll=300")
    expect(page.locator("#connection")).to_have_text("Live", timeout=SLOW)
    expect(page.locator("#t-queue")).not_to_have_text("—", timeout=SLOW)
    assert _violations(page) == [] and problems == []


def test_the_openid_hosted_page_runs_under_the_policy(context, runtime: Runtime) -> None:
    client = OAuth2Session(
        client_id=runtime.event_id,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        scope="openid",
        code_challenge_method="S256",
    )
    metadata = requests.get(runtime.oidc_api + "/.well-known/openid-configuration", timeout=10).json()
    url, _ = client.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=generate_token(64)
    )
    callbacks: list[str] = []

    def relying_party(route) -> None:
        callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>signed in</p>")

    context.route(re.compile(r"^https://rp\.example/.*"), relying_party)
    page, problems = _open(context, url)
    expect(page.locator("body")).to_have_attribute("data-phase", "waiting", timeout=SLOW)
    assert _violations(page) == [] and problems == []
    deadline = time.monotonic() + 60
    operator = Operator(runtime.ready)
    while not callbacks:
        operator.serve_up_to(operator.counters()["queue_counter"])
        assert time.monotonic() < deadline, page.locator("#status").inner_text()
        page.wait_for_timeout(300)
    assert callbacks[0].startswith(REDIRECT_URI + "?")


def test_an_injected_inline_script_is_refused(context, runtime: Runtime) -> None:
    page, _ = _open(context, runtime.waiting_room)
    expect(page.locator("#headline")).to_have_text("Join the line")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true"; document.head.append(s); }"""
    )
    assert page.evaluate("window.injected") is None
    assert any(v.startswith("script-src") for v in _violations(page)), _violations(page)


def _framed_headline(context: BrowserContext, page_url: str) -> int:
    """How many of the page's headlines show inside a frame of another site (0 when refused),
    counted once the frame has finished loading: its own page, or the browser's refusal."""
    framer = "http://framer.example/"  # plain http, as the local page is: no mixed-content refusal
    frame_page = f"""<iframe src="{page_url}" onload="document.body.dataset.framed = 'loaded'"></iframe>"""
    context.route(framer, lambda route: route.fulfill(status=200, content_type="text/html", body=frame_page))
    page, _ = _open(context, framer)
    expect(page.locator("body")).to_have_attribute("data-framed", "loaded", timeout=SLOW)
    [frame] = page.main_frame.child_frames
    return frame.locator("#headline").count()


def test_another_site_cannot_frame_the_page(context, browser, runtime: Runtime) -> None:
    assert _framed_headline(context, runtime.waiting_room) == 0
    # The control: the same page with its two anti-framing headers taken off shows in the frame.
    unprotected = browser.new_context()

    def strip(route) -> None:
        answer = route.fetch()
        headers = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() not in ("content-security-policy", "x-frame-options")
        }
        route.fulfill(response=answer, headers=headers)

    unprotected.route(runtime.waiting_room, strip)
    try:
        assert _framed_headline(unprotected, runtime.waiting_room) == 1
    finally:
        unprotected.close()
