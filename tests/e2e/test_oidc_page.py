"""The hosted page in a real browser: /authorize -> wait in line -> served -> back to the client.

Debian's Chromium (driven by Playwright) plays the visitor; the relying party's callback is
intercepted in the browser, and Authlib redeems the code it received, as a site's back end would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import expect

from local.testing import Runtime, running_runtime

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(180)]

REDIRECT_URI = "https://rp.example/callback"
SECRET = "page-test-secret"


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    # The runtime's OIDC_PAGE_URL is this page: {base}/waiting-room/openid/.
    with running_runtime(["--oidc-redirect-uri", REDIRECT_URI, "--oidc-client-secret", SECRET]) as started:
        yield started


def serve_everyone(runtime: Runtime) -> int:
    """The operator moves the serving counter up to the queue counter; returns the queue counter."""
    counters = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    queue, serving = counters.json()["queue_counter"], counters.json()["serving_counter"]
    if queue > serving:
        moved = runtime.signed(
            "POST",
            runtime.private_api + "/increment_serving_counter",
            json_body={"event_id": runtime.event_id, "increment_by": queue - serving},
        )
        assert moved.status_code == 200
    return queue


def test_the_hosted_page_queues_the_visitor_and_returns_with_a_code(runtime: Runtime, browser) -> None:
    client = OAuth2Session(
        client_id=runtime.event_id,
        client_secret=SECRET,
        redirect_uri=REDIRECT_URI,
        scope="openid",
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    metadata = requests.get(runtime.oidc_api + "/.well-known/openid-configuration", timeout=10).json()
    url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    callbacks: list[str] = []

    def relying_party(route) -> None:
        callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>signed in</p>")

    page.route(re.compile(r"^https://rp\.example/.*"), relying_party)
    # Every URL the journey produces: each address the tab showed, every request's Referer, and
    # every request but the public API's polls (its contract takes the id as a query parameter,
    # GET /queue_num; those are the API's own calls, never an address shown or sent on).
    urls: list[str] = []
    request_ids: list[str] = []

    def record(request) -> None:
        urls.append(request.headers.get("referer", ""))
        if not request.url.startswith(runtime.public_api + "/"):
            urls.append(request.url)

    def entered(answer) -> None:
        if answer.url.endswith("/assign_queue_num") and answer.ok:
            request_ids.append(answer.json()["api_request_id"])

    page.on("request", record)
    page.on("response", entered)
    page.on("framenavigated", lambda frame: urls.append(frame.url))
    try:
        page.goto(url)
        page.wait_for_url(re.compile(r".*/waiting-room/openid/.*"))
        expect(page.locator("body")).to_have_attribute("data-phase", "waiting", timeout=30_000)
        assert page.locator("#position").inner_text().strip().isdigit()
        assert not callbacks  # not served yet: no code

        deadline = time.monotonic() + 60
        while not callbacks:
            serve_everyone(runtime)
            assert time.monotonic() < deadline, page.locator("#status").inner_text()
            page.wait_for_timeout(500)
        urls.extend(page.evaluate("() => [location.href, document.referrer]"))
    finally:
        context.close()
    assert errors == []
    # The request id (the visitor's bearer secret) is in no URL: not the page's way back to
    # /authorize, not a Referer, not an address in the tab's history.
    assert len(request_ids) == 1 and any("/authorize" in url for url in urls)
    assert [url for url in urls if request_ids[0] in url.lower()] == []

    callback = callbacks[0]
    assert callback.startswith(REDIRECT_URI + "?") and parse_qs(urlsplit(callback).query)["state"] == [state]
    token = client.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    info = client.get(metadata["userinfo_endpoint"], timeout=10)
    assert token["id_token"] and info.status_code == 200 and info.json()["event_id"] == runtime.event_id


def test_the_page_refuses_to_run_without_a_sign_in_request(runtime: Runtime, browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(runtime.waiting_room + "openid/?redirect_uri=https://attacker.example/")
        expect(page.locator("body")).to_have_attribute("data-phase", "error", timeout=10_000)
        assert "sign-in link" in page.locator("#status").inner_text()
    finally:
        context.close()
