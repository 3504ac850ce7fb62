"""Scheduled each minute: the counters as a `waiting_room_metrics` event and as CloudWatch metrics.

Metrics go out in the embedded metric format through the function's log, which costs no API call.
"""

import time

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.waiting_room import events
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.settings import settings
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


@traced
@metrics.log_metrics
def handler(event, context):
    event_id = settings().event_id
    values = snapshot(event_id, int(time.time()))
    metrics.add_dimension(name="EventId", value=event_id)
    for name, value in values.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    retired = {name: values[ours] for name, ours in RETIRED_FIELDS.items()}
    events.emit("waiting_room_metrics", {"event_id": event_id, **values, **retired})
    return values
