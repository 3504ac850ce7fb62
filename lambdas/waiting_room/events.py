"""Events that scheduled jobs put on the deployment's EventBridge bus (source `custom.waitingroom`).

Token, session and automatic increment events are not put here: they leave through their tables'
streams (lambdas.catalog.OUTBOX), so no call after a write can lose them.
"""

from __future__ import annotations

import json
from typing import Any

from lambdas.catalog import EVENT_SOURCE
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.settings import settings

SOURCE = EVENT_SOURCE


def emit(detail_type: str, detail: dict[str, Any]) -> None:
    """Publishes one event. A failure is logged, not raised: the state change it reports is done."""
    bus = settings().event_bus_name
    if not bus:
        return
    try:
        result = client("events").put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail),
                    "EventBusName": bus,
                }
            ]
        )
        if result.get("FailedEntryCount"):
            logger.error(
                "event not accepted", extra={"detail_type": detail_type, "result": result["Entries"]}
            )
    except Exception:
        logger.exception("event not published", extra={"detail_type": detail_type})
