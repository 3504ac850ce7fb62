"""`POST /assign_queue_num`: API Gateway's SQS service integration, done by the local gateway.

On AWS no function runs on the entry path: API Gateway validates the body against a model, puts
`{event_id, request_id, entered_at}` on the entry queue and answers with its own request id. The
queue worker assigns the position later. This module does the same three steps.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from lambdas.catalog import ENTRY_MESSAGE_FIELDS
from lambdas.waiting_room import json_input

# API Gateway's payload limit is 10 MB; the model allows one short field, so anything large is junk.
MAX_BODY_BYTES = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def _validated_event_id(body: bytes) -> str | None:
    """The request model: a JSON object whose `event_id` is a non-empty string."""
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        document = json_input.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(document, dict):
        return None
    event_id = document.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def assign_queue_num(sqs: Any, queue_url: str, body: bytes, request_id: str) -> Answer:
    """Validates, enqueues and answers as the integration does; `request_id` is the gateway's."""
    event_id = _validated_event_id(body)
    if event_id is None:
        return Answer(400, {"error": "Invalid request body: send a JSON object with a string event_id"})
    entered_at = int(time.time() * 1000)
    message = dict(zip(ENTRY_MESSAGE_FIELDS, (event_id, request_id, entered_at), strict=True))
    try:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message, separators=(",", ":")))
    except Exception:
        # API Gateway answers 500 when the integration fails; the caller may simply retry.
        return Answer(500, {"message": "Internal server error"})
    return Answer(200, {"api_request_id": request_id})
