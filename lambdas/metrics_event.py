"""Scheduled each minute: each event's counters as a `waiting_room_metrics` event and CloudWatch metrics.

Metrics go out in the embedded metric format through the function's log, which costs no API call.
"""

import time

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.waiting_room import events
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.registry import EventConfig, list_events
from lambdas.waiting_room.tracing import traced

metrics = Metrics(namespace="WaitingRoom", service="waiting-room")

# The retired solution's field of the event -> ours. Both go out, so EventBridge rules written for
# the retired names still match; CloudWatch gets ours only (a metric twice would be billed twice).
RETIRED_FIELDS = {
    "num_active_tokens": "active_tokens",
    "total_num_tokens": "token_counter",
    "queue_counter": "queue_counter",
    "serving_number": "serving_counter",
    "completed_sessions": "completed_counter",
    "abandoned_sessions": "abandoned_counter",
}


def snapshot(event_id: str, now_s: int) -> dict[str, int]:
    counters = EventCounters(event_id)
    values = counters.counters()
    values["waiting_num"] = counters.waiting()
    values["active_tokens"] = counters.active_tokens(now_s=now_s)
    counters.prune_active_tokens(now_s=now_s)
    return values


# Per event, the values this container last sent: an event whose counters did not move is not
# sent again (the deployment's own event is, each minute, as the retired solution's rules expect).
_last_sent: dict[str, dict[str, int]] = {}


def publish(event: EventConfig, now_s: int) -> dict[str, int] | None:
    """Sends one event's counters; None where nothing changed since they were last sent."""
    values = snapshot(event.event_id, now_s)
    if not event.default and _last_sent.get(event.event_id) == values:
        return None
    metrics.add_dimension(name="EventId", value=event.event_id)
    for name, value in values.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    # One dimension set per flush: each event's metrics go out as their own record.
    metrics.flush_metrics()
    retired = {name: values[ours] for name, ours in RETIRED_FIELDS.items()}
    events.emit("waiting_room_metrics", {"event_id": event.event_id, **values, **retired})
    _last_sent[event.event_id] = values
    return values


@traced
def handler(event, context):
    now_s = int(time.time())
    sent = {registered.event_id: publish(registered, now_s) for registered in list_events()}
    return {"events": {event_id: values for event_id, values in sent.items() if values is not None}}
