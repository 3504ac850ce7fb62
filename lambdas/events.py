"""/events (private): the operator lists, creates, reads, changes and deletes the deployment's events.

GET /events pages through them by event id; POST /events registers one and starts its state;
GET, PATCH and DELETE /events/{event_id} read, change and unregister one (a PATCH with `version`
changes only what nobody changed since it was read; a DELETE voids the event's state). Each change
leaves an audit line, and then a scheduled sale's change writes its draw's one-time schedule
(lambdas/waiting_room/draw_schedule.py): a slow Scheduler cannot cost the saved change its audit
line. See lambdas/waiting_room/registry.py for the settings.
"""

from typing import Any

from lambdas.catalog import MAX_EVENTS, is_event_id
from lambdas.waiting_room import audit, draw_schedule, lifecycle, registry
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    json_body,
    logger,
    optional_int,
    query,
    query_int,
    require_event_id,
    response,
)


@api_handler
def handler(event, context):
    method = event.get("httpMethod")
    if event.get("resource") == "/events":
        if method == "GET":
            return _list(query(event))
        if method == "POST":
            return _create(event, json_body(event))
    else:
        event_id = _path_event_id(event)
        if method == "GET":
            return response(200, _existing(event_id).as_json())
        if method == "PATCH":
            return _change(event, event_id, json_body(event))
        if method == "DELETE":
            return _delete(event, event_id)
    raise HttpError(405, f"{method} is not a method of {event.get('resource')}")


def _list(params: dict[str, str]) -> dict[str, Any]:
    limit = query_int(params, "limit", default=registry.PAGE_SIZE, minimum=1, maximum=MAX_EVENTS)
    after = params.get("cursor")
    if after is not None and not is_event_id(after):
        raise HttpError(400, "cursor must be a next_cursor of an earlier answer")
    page, next_cursor = registry.page_of_events(limit, after)
    return response(200, {"events": [config.as_json() for config in page], "next_cursor": next_cursor})


def _create(event, body: dict[str, Any]) -> dict[str, Any]:
    event_id = require_event_id(body)
    created = registry.create(event_id, registry.settable_fields(body))
    lifecycle.new_generation(event_id)
    _audit(event, "create_event", event_id, None, created)
    _schedule_draw(None, created)
    return response(201, created.as_json())


def _change(event, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("event_id", event_id) != event_id:
        raise HttpError(400, "the body's event_id is not the path's: an event's id cannot change")
    version = optional_int(body, "version", minimum=0, maximum=2**53 - 1)
    before, changed = registry.update(event_id, registry.settable_fields(body), version=version)
    _audit(event, "update_event", event_id, before, changed)
    _schedule_draw(before, changed)
    return response(200, changed.as_json())


def _delete(event, event_id: str) -> dict[str, Any]:
    before = registry.delete(event_id)
    lifecycle.clear(event_id)
    _audit(event, "delete_event", event_id, before, None)
    _schedule_draw(before, None)
    return response(200, {"event_id": event_id})


def _schedule_draw(before: registry.EventConfig | None, after: registry.EventConfig | None) -> None:
    """The event is saved and audited whatever happens here: a schedule that cannot be written
    (the scheduler client gives up within seconds, lambdas/waiting_room/aws.py) is logged, and the
    Draw function's sweep runs the draw anyway (at most a minute late); saving the event again
    before its start writes the schedule again."""
    try:
        draw_schedule.sync(before, after)
    except Exception:
        event_id = (after or before).event_id  # type: ignore[union-attr]
        logger.exception("the draw's schedule was not written", extra={"event_id": event_id})


def _path_event_id(event) -> str:
    """The path's event id; one that no event can have is as absent as one that none has."""
    event_id = (event.get("pathParameters") or {}).get("event_id")
    if not is_event_id(event_id):
        raise HttpError(404, "no such event")
    return event_id


def _existing(event_id: str) -> registry.EventConfig:
    config = registry.read(event_id)
    if config is None:
        raise HttpError(404, f"no event {event_id}")
    return config


def _audit(event, action: str, event_id: str, before, after) -> None:
    audit.record(
        event,
        action,
        event_id=event_id,
        counter="settings",
        before=before.as_json() if before else None,
        after=after.as_json() if after else None,
    )
