"""The draw of a scheduled sale: running it at the sale's start, and publishing it.

`handler`: invoked just before `start_time` by the event's one-time schedule (`{"event_id": ...}`,
lambdas/waiting_room/draw_schedule.py), it waits for the start and draws; and every minute
by a sweep that runs any draw that is due and not done (a schedule that failed, a draw that died
half-way: each run resumes where the last stopped).
`public_handler`: GET /draw, the commitment before the draw and the seed after it.
`list_handler`: GET /draw_list, the drawn handles in order, one a line (text/plain).
"""

import time

from lambdas.waiting_room import draw, draw_schedule, registry
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import CORS_HEADERS, HttpError, api_handler, logger, query, query_int, response
from lambdas.waiting_room.tracing import traced


@traced
def handler(event, context):
    if isinstance(event, dict) and "event_id" in event:
        config = registry.lookup(str(event["event_id"]))
        due = [config] if config is not None else []
        if config is not None:
            _wait_for_start(config.start_time)
    else:
        now = time.time()
        due = [e for e in registry.list_events() if e.prequeue_start and e.start_time <= now]
    drawn = {}
    first_error: Exception | None = None
    for config in due:
        try:
            record = draw.run(config)
        except Exception as error:
            # One sale's failing draw must not hold up the others' on the same sweep; the next
            # sweep resumes it.
            logger.exception("the draw failed", extra={"event_id": config.event_id})
            first_error = first_error or error
            continue
        if record is not None:
            drawn[config.event_id] = record.state
    if drawn:
        logger.info("draws visited", extra={"draws": drawn})
    if first_error is not None:
        # The invocation still fails, so the function's Errors metric and alarm show it.
        raise first_error
    return {"draws": drawn}


def _wait_for_start(start_time: int) -> None:
    """A schedule fires within the minute before the start (Scheduler's precision): the draw
    starts on the second. One fired far earlier (the sale was moved later, and the move's new
    schedule failed) does not wait: the draw is not due, and the sweep or the new schedule runs it."""
    early = start_time - time.time()
    if 0 < early <= 2 * draw_schedule.precision_seconds() + 1:
        time.sleep(early)


@api_handler
def public_handler(event, context):
    return response(200, draw.public_state(registry.require_event(query(event))))


@api_handler
def list_handler(event, context):
    params = query(event)
    config = registry.require_event(params)
    record = draw.read(config.event_id, EventCounters(config.event_id).generation())
    if record is None or record.state != "done" or config.order_at_start != "draw":
        raise HttpError(404, "this event has no published draw (yet)")
    part = query_int(params, "part", default=-1, minimum=0, maximum=1_000_000)
    parts = range(record.chunks) if part < 0 else [part]
    if part >= record.chunks:
        raise HttpError(404, f"the list has {record.chunks} parts (0 to {record.chunks - 1})")
    if part < 0 and (record.count or 0) > draw.WHOLE_LIST_MAX:
        raise HttpError(413, f"the list is long: read it by parts (part=0 to {record.chunks - 1})")
    text = "\n".join(draw.list_part(record, p) for p in parts)
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain; charset=utf-8", **CORS_HEADERS},
        "body": text + "\n" if text else "",
    }
