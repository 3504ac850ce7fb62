"""`POST /assign_queue_num`: API Gateway's SQS service integration, done by the local gateway.

On AWS no function runs on the entry path: API Gateway refuses a content type it has no mapping
template for (415), validates the body against a model (400), puts
`{event_id, request_id, entered_at}` on the entry queue and answers with its own request id. The
queue worker assigns the position later. This module takes the same steps.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from lambdas.catalog import (
    ENTRY_CONTENT_TYPE,
    ENTRY_MESSAGE_FIELDS,
    ENTRY_POW_FIELD,
    ENTRY_REFUSED,
    EVENT_ID_PATTERN,
    POW_FIELDS,
    is_event_id,
)
from lambdas.waiting_room import json_input

# API Gateway's payload limit is 10 MB; the model allows two short fields, so anything large is junk.
MAX_BODY_BYTES = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def _maps(content_type: str | None) -> bool:
    """Whether the integration has a template for this content type. Without the header API
    Gateway takes application/json; media types compare without case or parameters (charset)."""
    media_type = (content_type or ENTRY_CONTENT_TYPE).split(";", 1)[0].strip().lower()
    return media_type == ENTRY_CONTENT_TYPE


class InvalidBody(ValueError):
    """The request model refused the body; the message says what failed."""


def _entry(body: bytes) -> tuple[str, Any]:
    """The body's event id and proof of work (None without one), checked as the request model
    checks them."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidBody(f"larger than {MAX_BODY_BYTES} bytes")
    try:
        document = json_input.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidBody("not JSON") from error
    if not isinstance(document, dict):
        raise InvalidBody("not a JSON object")
    if "event_id" not in document:
        raise InvalidBody("event_id is required")
    event_id = document["event_id"]
    if not isinstance(event_id, str):
        raise InvalidBody("event_id must be a string")
    if not is_event_id(event_id):
        raise InvalidBody(f"event_id must match {EVENT_ID_PATTERN}")
    pow_solution = document.get(ENTRY_POW_FIELD)
    if pow_solution is not None:
        if not isinstance(pow_solution, dict) or set(pow_solution) != set(POW_FIELDS):
            raise InvalidBody(f"{ENTRY_POW_FIELD} must be an object of exactly {', '.join(POW_FIELDS)}")
        for name, length in POW_FIELDS.items():
            value = pow_solution[name]
            if not isinstance(value, str) or not 1 <= len(value) <= length:
                raise InvalidBody(f"{ENTRY_POW_FIELD}.{name} must be a string of 1 to {length} characters")
    return event_id, pow_solution


def assign_queue_num(
    sqs: Any, queue_url: str, body: bytes, request_id: str, content_type: str | None
) -> Answer:
    """Validates, enqueues and answers as the integration does; `request_id` is the gateway's."""
    if not _maps(content_type):
        # API Gateway's 415, in the shape of the stack's DEFAULT_4XX gateway response.
        return Answer(415, {"error": "Unsupported Media Type"})
    try:
        event_id, pow_solution = _entry(body)
    except InvalidBody as problem:
        # The stack's BAD_REQUEST_BODY gateway response: "invalid request body: <what failed>".
        return Answer(400, {"error": f"invalid request body: {problem}"})
    entered_at = int(time.time() * 1000)
    message = dict(zip(ENTRY_MESSAGE_FIELDS, (event_id, request_id, entered_at), strict=True))
    message[ENTRY_POW_FIELD] = pow_solution
    try:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message, separators=(",", ":")))
    except Exception:
        # The stack's integration response for a refused message; the caller may simply retry.
        return Answer(500, {"error": ENTRY_REFUSED})
    return Answer(200, {"api_request_id": request_id})
