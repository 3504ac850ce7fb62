"""Which event the pages act on, without a runtime: the page's copy of the event id pattern agrees
with catalog.EVENT_ID_PATTERN, an invalid `?event_id=` is said in words, and the control panel's
event form turns fields into the registry's JSON and back."""

from __future__ import annotations

import random
import string

from playwright.sync_api import expect

from lambdas.catalog import EVENT_ID_MAX_LENGTH, MAX_EVENTS, is_event_id

ALPHABET = string.ascii_letters + string.digits + "-_ .%/\n\u00e9\u0000"
FIXED = ["a", "Z", "0", "a-b_c", "-a", "_a", "", "a" * EVENT_ID_MAX_LENGTH, "a" * (EVENT_ID_MAX_LENGTH + 1)]
FIXED += ["a b", "a\n", "\u00e9t\u00e9", "a.b", "a/b", "Sample", "browser-test", "9-", "x%41"]


def test_the_page_and_the_catalog_accept_the_same_event_ids(module_page) -> None:
    rng = random.Random(14)
    candidates = FIXED + ["".join(rng.choices(ALPHABET, k=rng.randint(0, 70))) for _ in range(400)]
    # Mostly the pattern's own characters, so that many random ids are valid too.
    candidates += [
        "".join(rng.choices(string.ascii_letters + "-_", k=rng.randint(1, 66))) for _ in range(200)
    ]
    got = module_page.evaluate(
        """async (ids) => {
            const m = await import('/waiting_room_site/js/event.js');
            return ids.map((id) => m.EVENT_ID_PATTERN.test(id));
        }""",
        candidates,
    )
    expected = [is_event_id(candidate) for candidate in candidates]
    assert got == expected
    assert 100 < sum(expected) < len(expected) - 100  # both answers are well represented


def test_the_address_names_the_event_else_the_configuration_does(module_page) -> None:
    got = module_page.evaluate(
        """async () => {
            const m = await import('/waiting_room_site/js/event.js');
            const queries = ['', '?event_id=B-2', '?poll=200&event_id=a%20b', '?event_id='];
            return queries.map((q) => m.chooseEvent(q, 'A'));
        }"""
    )
    assert got[0] == {"eventId": "A", "problem": ""}
    assert got[1] == {"eventId": "B-2", "problem": ""}
    assert got[2]["eventId"] == "" and "“a b”, which cannot exist" in got[2]["problem"]
    assert got[3]["eventId"] == "" and "cannot exist" in got[3]["problem"]


def test_an_invalid_event_id_in_the_address_is_said_in_words(page, static_server, screenshot) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{static_server}/waiting_room_site/index.html?event_id=%3Cb%3Ebad%3C/b%3E")
    expect(page.locator("#status")).to_contain_text(
        "The link names the event “<b>bad</b>”, which cannot exist"
    )
    expect(page.locator("#headline")).to_have_text("Something is wrong")
    expect(page.get_by_role("button", name="Enter the line")).to_be_hidden()
    expect(page.get_by_role("button", name="Enter the line again")).to_be_hidden()
    assert page.locator("#status b").count() == 0  # shown as text, never as markup
    screenshot(page)
    assert errors == []


def test_the_event_form_sends_what_changed_and_shows_times_in_local_time(page, static_server) -> None:
    page.goto(f"{static_server}/control_panel/index.html")
    got = page.evaluate(
        """async () => {
            const m = await import('/control_panel/js/events.js');
            const form = document.getElementById('event-form');
            const event = {event_id: 'C', name: 'C', inlet: 'none', increment_by: 10, capacity: 50,
                token_validity_seconds: 3600, enable_queue_position_expiry: true,
                queue_position_expiry_seconds: 900, incr_serving_on_expiry: false, pow_difficulty: 0,
                start_time: 1900000000, end_time: 0, version: 4, default: false, mode: 'queue',
                prequeue_start: 0, order_at_start: 'arrival', max_waiting: 0, overflow_url: ''};
            m.fillForm(form, event);
            const shown = {id: form.elements.event_id.readOnly, start: form.elements.start_time.value,
                capacityHidden: form.elements.capacity.closest('label').hidden};
            form.elements.name.value = 'Concert C';
            form.elements.inlet.value = 'max_size';
            m.showInletFields(form);
            form.elements.capacity.value = '7';
            const read = m.readForm(form);
            form.elements.token_validity_seconds.value = '1.5';
            form.elements.overflow_url.value = 'http://example.com';
            const bad = m.readForm(form);
            form.elements.token_validity_seconds.value = '3600';
            form.elements.overflow_url.value = 'https://example.com/full';
            form.elements.prequeue_start.value = m.toLocalInput(1899999400);
            form.elements.order_at_start.value = 'draw';
            form.elements.max_waiting.value = '5000';
            form.elements.mode.value = 'closed';
            const sale = m.changes(event, m.readForm(form).values);
            return {shown, changes: m.changes(event, read.values), problems: bad.problems, sale,
                saleWords: m.describeEvent({...event, ...sale}),
                capacityShown: !form.elements.capacity.closest('label').hidden,
                roundTrip: m.fromLocalInput(m.toLocalInput(1900000021)),
                words: m.describeEvent({...event, inlet: 'max_size', capacity: 7})};
        }"""
    )
    assert got["shown"] == {"id": True, "start": got["shown"]["start"], "capacityHidden": True}
    assert got["shown"]["start"].startswith("2030-03-1")  # 1900000000 is 2030-03-17 UTC
    assert got["changes"] == {
        "version": 4,
        "name": "Concert C",
        "inlet": "max_size",
        "capacity": 7,
    }
    assert got["problems"] == [
        "Where a full line sends people: an address starting with https://, or empty",
        "Session token validity (seconds): a whole number",
    ]
    assert got["sale"] == {
        "version": 4,
        "name": "Concert C",
        "inlet": "max_size",
        "capacity": 7,
        "mode": "closed",
        "prequeue_start": 1899999400,
        "order_at_start": "draw",
        "max_waiting": 5000,
        "overflow_url": "https://example.com/full",
    }
    assert "pre-queue from" in got["saleWords"] and "numbered by a published draw" in got["saleWords"]
    assert "at most 5000 waiting, then https://example.com/full" in got["saleWords"]
    assert "the edge gate answers “closed”" in got["saleWords"]
    assert got["capacityShown"] is True
    assert got["roundTrip"] == 1900000021
    assert got["words"].startswith("Max size inlet: up to 7 sessions at once · sessions last 1 h")


def test_the_panel_reads_every_page_of_events_and_names_each_event_in_its_path(page, static_server) -> None:
    page.goto(f"{static_server}/control_panel/index.html")
    got = page.evaluate(
        """async () => {
            const {OperatorApi} = await import('/control_panel/js/api.js');
            const api = new OperatorApi({});
            const pages = {'': {events: [{event_id: 'a'}, {event_id: 'b'}], next_cursor: 'b'},
                           'b': {events: [{event_id: 'c'}], next_cursor: null}};
            const calls = [];
            api.private = async (method, path, options = {}) => {
                calls.push([method, path, options.params || null, options.body || null]);
                return path === '/events' ? pages[options.params.cursor || ''] : {};
            };
            const listed = (await api.listEvents()).map((event) => event.event_id);
            await api.updateEvent('a b', {name: 'x', version: 2});
            await api.deleteEvent('c');
            return {listed, calls};
        }"""
    )
    assert got["listed"] == ["a", "b", "c"]
    assert got["calls"] == [
        # One page holds every event a deployment may have (catalog.MAX_EVENTS).
        ["GET", "/events", {"limit": MAX_EVENTS}, None],
        ["GET", "/events", {"limit": MAX_EVENTS, "cursor": "b"}, None],
        ["PATCH", "/events/a%20b", None, {"name": "x", "version": 2}],
        ["DELETE", "/events/c", None, None],
    ]
