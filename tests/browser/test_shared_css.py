"""The stylesheet both apps share (waiting_room_site/css/common.css, linked from the control panel's
folder) is served by `vwr local` to both sites with the same bytes, and styles both pages alike.
tests/infrastructure/test_static_site.py checks that the deployment uploads the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
SLOW = 30_000

pytestmark = pytest.mark.e2e

# What the shared rules give a tile that stands out, a card and the skip link, in light mode.
SHARED_LOOK = """() => {
    const style = (selector) => getComputedStyle(document.querySelector(selector));
    const tile = style('.tile.accent'), card = style('.card'), skip = style('.skip-link');
    return [tile.backgroundColor, tile.borderRadius, card.borderRadius, card.boxShadow, skip.color];
}"""


def test_both_sites_serve_the_same_shared_stylesheet(runtime) -> None:
    source = (ROOT / "waiting_room_site" / "css" / "common.css").read_bytes()
    for site in ("waiting_room", "control_panel"):
        answer = requests.get(runtime[site] + "css/common.css", timeout=10)
        assert answer.status_code == 200, site
        assert answer.headers["Content-Type"].startswith("text/css")
        assert answer.content == source, site


def test_the_shared_rules_style_both_pages_alike(browser, runtime) -> None:
    context = browser.new_context(color_scheme="light")
    try:
        page = context.new_page()
        page.goto(runtime["waiting_room"])
        expect(page.locator("#enter")).to_be_visible(timeout=SLOW)
        page.evaluate("document.getElementById('numbers').hidden = false")
        on_the_page = page.evaluate(SHARED_LOOK)
        page.goto(runtime["control_panel"])
        on_the_panel = page.evaluate(SHARED_LOOK)
    finally:
        context.close()
    assert on_the_page == on_the_panel
    assert on_the_page[0] == "rgb(67, 56, 202)"  # --accent: the shared colours reached both
