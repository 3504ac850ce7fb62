"""/events (private): the operator lists, creates, changes and deletes the deployment's events.

GET lists them all; POST registers one and starts its state; PUT changes the settings of one
(with `version`, only if nobody changed it since it was read); DELETE unregisters one and drops its
state. Each change leaves an audit line. See lambdas/waiting_room/registry.py for the settings.
"""

from lambdas.waiting_room import audit, lifecycle, registry
from lambdas.waiting_room.http import (
    HttpError,
    api_handler,
    json_body,
    optional_int,
    query,
    require_event_id,
    response,
)


@api_handler
def handler(event, context):
    method = event.get("httpMethod")
    if method == "GET":
        return response(200, {"events": [config.as_json() for config in registry.list_events()]})
    if method == "DELETE":
        event_id = require_event_id(query(event))
        before = registry.lookup(event_id)
        registry.delete(event_id)
        lifecycle.clear(event_id)
        _audit(event, "delete_event", event_id, before, None)
        return response(200, {"deleted": event_id})
    body = json_body(event)
    event_id = require_event_id(body)
    fields = registry.settable_fields(body)
    if method == "POST":
        created = registry.create(event_id, fields)
        lifecycle.new_generation(event_id)
        _audit(event, "create_event", event_id, None, created)
        return response(201, {"event": created.as_json()})
    if method == "PUT":
        before = registry.lookup(event_id)
        version = optional_int(body, "version", minimum=0, maximum=2**53 - 1)
        changed = registry.update(event_id, fields, version=version)
        _audit(event, "update_event", event_id, before, changed)
        return response(200, {"event": changed.as_json()})
    raise HttpError(405, f"{method} is not a method of /events")


def _audit(event, action: str, event_id: str, before, after) -> None:
    audit.record(
        event,
        action,
        event_id=event_id,
        counter="settings",
        before=before.as_json() if before else None,
        after=after.as_json() if after else None,
    )
