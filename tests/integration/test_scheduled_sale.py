"""Scheduled sales: the settings of a sale and what anyone may read of them (GET /event_info)."""

from __future__ import annotations

from lambdas import event_info, events
from lambdas.waiting_room import registry
from tests.integration.conftest import Core, call

SALE = {
    "name": "Summer concert",
    "mode": "queue",
    "prequeue_start": 1_900_000_000,
    "start_time": 1_900_000_600,
    "order_at_start": "draw",
    "max_waiting": 5000,
    "overflow_url": "https://example.com/sold-out",
}


def info(event_id: str) -> tuple[int, dict]:
    return call(event_info.handler, "GET", "/event_info", query={"event_id": event_id})


def test_a_sale_is_stored_and_its_public_facts_are_readable_by_anyone(core: Core) -> None:
    status, created = call(events.handler, "POST", "/events", body={"event_id": "summer", **SALE})
    assert status == 201, created
    assert {name: created[name] for name in SALE} == SALE
    assert info("summer") == (200, {"event_id": "summer", **SALE})
    # Nothing else of the event (token validity, inlet, proof of work...) is public.
    assert set(info("summer")[1]) == set(registry.PUBLIC_FIELDS)


def test_the_deployments_own_event_has_the_defaults(core: Core) -> None:
    assert info(core.event_id) == (
        200,
        {
            "event_id": core.event_id,
            "name": core.event_id,
            "mode": "queue",
            "prequeue_start": 0,
            "start_time": 0,
            "order_at_start": "arrival",
            "max_waiting": 0,
            "overflow_url": "",
        },
    )


def test_event_info_of_an_unknown_or_malformed_event_is_a_400(core: Core) -> None:
    for query in ({"event_id": "no-such-event"}, {"event_id": "../x"}, {}):
        status, body = call(event_info.handler, "GET", "/event_info", query=query)
        assert status == 400 and body["error"], (query, body)
