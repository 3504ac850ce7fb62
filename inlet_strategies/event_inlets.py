"""Each event's inlet, from the event registry's records (`GET /events`).

The deployment's own event (EVENT_ID) is configured by the inlet stack's parameters (the
environment) while its record says `inlet: "none"`, so single-event deployments behave as before;
once an operator gives it an inlet in the registry, the registry wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.catalog import is_event_id

NONE, PERIODIC, MAX_SIZE = "none", "periodic", "max_size"
INLETS = (NONE, PERIODIC, MAX_SIZE)
NUMBERS = ("increment_by", "start_time", "end_time", "capacity")


class MalformedRecord(ValueError):
    """A registry record the inlets cannot use; the text names the field."""


@dataclass(frozen=True)
class EventInlet:
    event_id: str
    inlet: str = NONE
    # Periodic: visitors let in per period, within [start_time, end_time) (epoch seconds, 0: open).
    increment_by: int = 0
    start_time: int = 0
    end_time: int = 0
    # MaxSize: most sessions active at once.
    capacity: int = 0


def from_record(record: Mapping[str, Any]) -> EventInlet:
    event_id = record.get("event_id")
    if not is_event_id(event_id):
        raise MalformedRecord("event_id is not an event id")
    inlet = record.get("inlet", NONE)
    if inlet not in INLETS:
        raise MalformedRecord(f"inlet must be one of {', '.join(INLETS)}")
    numbers = {name: record.get(name, 0) for name in NUMBERS}
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MalformedRecord(f"{name} must be a non-negative integer")
    return EventInlet(event_id, inlet, **numbers)


@dataclass(frozen=True)
class Registry:
    """The events' inlets by event id, and the records that could not be read (id -> reason)."""

    inlets: dict[str, EventInlet]
    unusable: dict[str, str]

    def of(self, inlet: str) -> list[EventInlet]:
        return [event for event in self.inlets.values() if event.inlet == inlet]


def resolve(records: Iterable[Mapping[str, Any]], own: EventInlet) -> Registry:
    """The inlets of the listed events; `own` is the own event as the inlet stack configures it."""
    inlets: dict[str, EventInlet] = {}
    unusable: dict[str, str] = {}
    for record in records:
        try:
            event = from_record(record)
        except MalformedRecord as error:
            unusable[str(record.get("event_id"))[:100]] = str(error)
            continue
        inlets[event.event_id] = own if event.event_id == own.event_id and event.inlet == NONE else event
    # The registry always lists the own event; should a record be missing, the stack's settings hold.
    if own.event_id not in unusable:
        inlets.setdefault(own.event_id, own)
    return Registry(inlets, unusable)
