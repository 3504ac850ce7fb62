"""What the queue worker does with entries of an event whose settings can refuse or hold them.

A scheduled sale (`prequeue_start`): an entry made before the pre-queue opened is refused
(`not_open`); one made in the pre-queue is held unnumbered for the draw (lambdas/waiting_room/
draw.py); one made after `start_time`, or too late for the sealed draw, waits until the draw is
done, then is numbered in arrival order. A line that can be full (`max_waiting`): an entry that
finds that many waiting is refused (`full`) and counted. A refused entry's record lets
`/queue_num` say why, instead of 202 forever.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lambdas.waiting_room import draw
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.entries import Entry
from lambdas.waiting_room.records import QueueRecord, write_queue_records
from lambdas.waiting_room.registry import EventConfig


@dataclass
class Sorted:
    """The batch's entries of one event, by what happens to them now."""

    number: list[Entry] = field(default_factory=list)
    # Wait for the draw to be done (re-enqueued with a delay).
    wait: list[Entry] = field(default_factory=list)


def _refuse(entries: list[Entry], reason: str, generation: int) -> set[str]:
    """Records the refusals; returns the message ids whose record could not be written."""
    result = write_queue_records(
        [
            QueueRecord(e.request_id, e.event_id, 0, e.entered_at_ms, generation, voided=True, refusal=reason)
            for e in entries
        ]
    )
    return {e.message_id for e in entries if e.request_id in result.unwritten}


def sort_scheduled(event: EventConfig, entries: list[Entry]) -> tuple[Sorted, set[str]]:
    """A scheduled sale's entries: refused, held, to wait or to number now; and the message ids
    that failed (to be redelivered)."""
    sorted_ = Sorted()
    if not event.prequeue_start or not entries:
        sorted_.number = entries
        return sorted_, set()
    generation = EventCounters(event.event_id).generation()
    opens_ms, starts_ms = event.prequeue_start * 1000, event.start_time * 1000
    # Made before the last reset: the numbering voids them, as it does for every event.
    sorted_.number = [e for e in entries if e.entered_at_ms < generation]
    entries = [e for e in entries if e.entered_at_ms >= generation]
    early = [e for e in entries if e.entered_at_ms < opens_ms]
    failed = _refuse(early, "not_open", generation) if early else set()
    in_window = [e for e in entries if opens_ms <= e.entered_at_ms < starts_ms]
    later = [e for e in entries if e.entered_at_ms >= starts_ms]
    if in_window:
        held = draw.hold(
            event,
            generation,
            [
                QueueRecord(e.request_id, e.event_id, 0, e.entered_at_ms, generation, prequeued=True)
                for e in in_window
            ],
        )
        too_late = {record.request_id for record in held}
        later += [e for e in in_window if e.request_id in too_late]
    if later:
        # Even with nobody in the pre-queue, the draw is what lets later entries in.
        if draw.ensure(event, generation).state == "done":
            sorted_.number += later
        else:
            sorted_.wait = later
    return sorted_, failed


def cap_line(event: EventConfig, entries: list[Entry]) -> tuple[list[Entry], set[str]]:
    """The entries that fit in a line of at most `max_waiting` people, the earliest first; the
    others are refused (`full`) and counted. Returns those to number and the message ids that
    failed. Workers running at once read the same count, so a line may overshoot by a batch.

    An entry that already holds a position (a redelivered message) is never refused.
    """
    if not event.max_waiting or not entries:
        return entries, set()
    counters = EventCounters(event.event_id)
    room = max(0, event.max_waiting - counters.waiting())
    if len(entries) <= room:
        return entries, set()
    held = counters.numbered([e.request_id for e in entries])
    fresh = sorted((e for e in entries if e.request_id not in held), key=lambda e: e.entered_at_ms)
    refused = fresh[room:]
    if not refused:
        return entries, set()
    failed = _refuse(refused, "full", counters.generation())
    counters.count_full_refusals(len(refused) - len(failed))
    turned_away = {e.message_id for e in refused}
    return [e for e in entries if e.message_id not in turned_away], failed
