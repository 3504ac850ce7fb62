"""The apps' pure modules, run in Chromium without any API: estimate, receipt and chart helpers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


def _run(page, static_server, script: str, arg=None):
    return page.evaluate(script, arg)


def test_wait_ranges_in_words(module_page, static_server, screenshot):
    got = _run(
        module_page,
        static_server,
        """async () => {
            const m = await import('/waiting_room_site/js/estimate.js');
            const min = 60 * 1000;
            return [
                m.formatRange(20e3, 50e3), m.formatRange(2 * min, 5 * min), m.formatRange(40e3, 3 * min),
                m.formatRange(3 * min, 3.2 * min), m.formatRange(50 * min, 150 * min),
                m.formatClock(899), m.formatClock(3725), m.formatDuration(1000), m.formatDuration(61 * min),
            ];
        }""",
    )
    assert got == [
        "less than a minute",
        "2 to 5 minutes",
        "up to 3 minutes",
        "about 3 minutes",
        "50 minutes to 2 hours 30 minutes",
        "14:59",
        "1:02:05",
        "1 second",
        "1 hour 1 minute",
    ]
    module_page.locator("#out").evaluate("(el, items) => el.textContent = items.join(' | ')", got)
    screenshot(module_page)


def test_estimate_needs_observation_and_narrows_with_more_steps(module_page, static_server, screenshot):
    got = _run(
        module_page,
        static_server,
        """async () => {
            const m = await import('/waiting_room_site/js/estimate.js');
            const rate = new m.ServingRate({ minSpanMs: 10000 });
            const out = {};
            rate.add(100, 0);
            out.first = m.estimateWait(50, rate, 1000);
            rate.add(100, 12000);
            out.still = m.estimateWait(50, rate, 12000);
            rate.add(110, 20000);  // one step of 10 in 20 s: 0.5 per second
            out.oneStep = m.estimateWait(50, rate, 20000);
            for (let i = 1; i <= 15; i++) rate.add(110 + i, 20000 + i * 2000);
            out.manySteps = m.estimateWait(25, rate, 50000);
            out.served = m.estimateWait(0, rate, 50000);
            rate.add(3, 52000);  // the counters went back: a reset, start over
            out.afterReset = m.estimateWait(25, rate, 53000);
            return out;
        }""",
    )
    assert got["first"] == {"kind": "unknown", "reason": "This page is watching how fast the line moves."}
    assert got["still"] == {"kind": "unknown", "reason": "The line has not moved since this page opened."}
    one, many = got["oneStep"], got["manySteps"]
    assert one["kind"] == many["kind"] == "range"
    # 50 places at 0.5 per second: 100 s, given as a wide range after one step…
    assert one["lowMs"] == pytest.approx(50_000) and one["highMs"] == pytest.approx(200_000)
    # …and a narrower one after sixteen steps (25 places at 0.5 per second: 50 s).
    assert many["lowMs"] == pytest.approx(50_000 / 1.25) and many["highMs"] == pytest.approx(50_000 * 1.25)
    assert got["served"] == {"kind": "served"}
    assert got["afterReset"]["kind"] == "unknown"
    module_page.locator("#out").evaluate("(el, o) => el.textContent = JSON.stringify(o)", got)
    screenshot(module_page)


def test_receipt_is_readable(module_page, static_server, screenshot):
    receipt = {
        "receipt_id": "b1b35229",
        "items": [
            {"sku": "general-admission", "name": "General admission ticket", "price": 49.99, "quantity": 2},
            {"sku": "tour-tshirt", "name": "Tour t-shirt", "price": 25, "quantity": 1},
        ],
        "total": 124.98,
        "currency": "USD",
        "paid": True,
        "note": None,
        "shipping": {"method": "e-ticket", "address_line": "none"},
    }
    module_page.add_style_tag(url=f"{static_server}/waiting_room_site/css/common.css")
    module_page.add_style_tag(url=f"{static_server}/waiting_room_site/css/site.css")
    text = _run(
        module_page,
        static_server,
        """async (data) => {
            const m = await import('/waiting_room_site/js/receipt.js');
            const out = document.getElementById('out');
            out.className = 'card receipt';
            m.renderReceipt(out, data);
            return out.innerText;
        }""",
        receipt,
    )
    assert "Receipt id" in text and "Shipping" in text and "Address line" in text
    assert "$124.98" in text and "$49.99" in text
    assert "Yes" in text and "—" in text
    assert module_page.locator("#out table th").all_inner_texts() == ["Sku", "Name", "Price", "Quantity"]
    assert module_page.locator("#out details pre").text_content().startswith("{")
    screenshot(module_page)


def test_chart_axis_steps_are_whole_numbers(module_page, static_server, screenshot):
    got = _run(
        module_page,
        static_server,
        """async () => {
            const m = await import('/control_panel/js/chart.js');
            return [0, 3, 4, 5, 10, 17, 37, 100, 101, 999, 1234].map(m.niceCeiling);
        }""",
    )
    assert got == [4, 4, 4, 8, 20, 20, 40, 100, 200, 1000, 2000]
    assert all(top % 4 == 0 for top in got)
    module_page.locator("#out").evaluate("(el, v) => el.textContent = v.join(', ')", got)
    screenshot(module_page)


def test_pages_without_a_configuration_say_so(page, static_server, screenshot):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{static_server}/waiting_room_site/index.html")
    expect(page.locator("#status")).to_contain_text("This page is not configured")
    expect(page.get_by_role("button", name="Enter the line")).to_be_hidden()
    screenshot(page, "waiting-room")

    page.goto(f"{static_server}/control_panel/index.html")
    expect(page.locator("#connection")).to_have_text("Not connected")
    expect(page.locator("#settings")).to_have_attribute("open", "")
    expect(page.locator("#log")).to_contain_text("Fill in the connection to start.")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#settings-error")).to_contain_text("Missing or invalid: Public API URL")
    expect(page.locator("#increment")).to_be_disabled()
    screenshot(page, "control-panel")
    assert errors == []
