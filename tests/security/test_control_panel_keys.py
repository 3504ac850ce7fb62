"""Issue 12, item 4 in Chromium: a page reached under another name gets no keys, and says why.

DNS rebinding as a browser lives it: Chromium resolves `attacker.example` to 127.0.0.1 (its
host-resolver rules), so the control panel loads from `vwr local` under the attacker's name. The
page must show the endpoints and tell the operator to paste the printed keys, with no key filled
in; opened as 127.0.0.1 it connects with the keys at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from local.testing import Runtime, running_runtime
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with running_runtime(("--event-id", "sec-panel"), log_dir=tmp_path_factory.mktemp("vwr")) as started:
        yield started


@pytest.fixture(scope="module")
def rebinding_browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP attacker.example 127.0.0.1"],
        )
        yield chromium
        chromium.close()


def test_the_panel_under_a_rebound_name_asks_for_the_keys(runtime: Runtime, rebinding_browser) -> None:
    port = urlsplit(runtime.control_panel).port
    page = rebinding_browser.new_page()
    try:
        page.goto(f"http://attacker.example:{port}/control-panel/")
        error = page.locator("#settings-error")
        error.wait_for(state="visible", timeout=10_000)
        assert "paste the keys" in error.inner_text()
        assert page.input_value("input[name=secret_access_key]") == ""
        assert page.input_value("input[name=access_key_id]") == ""
        assert page.input_value("input[name=private_api]") == runtime.private_api

        page.goto(runtime.control_panel)
        expect(page.locator("input[name=secret_access_key]")).not_to_have_value("")
        assert page.input_value("input[name=secret_access_key]") == runtime.secret_access_key
        assert page.locator("#settings-error").is_hidden()
    finally:
        page.close()
