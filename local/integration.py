"""`POST /assign_queue_num`: API Gateway's SQS service integration, done by the local gateway.

On AWS no function runs on the entry path: API Gateway refuses a content type it has no mapping
template for (415), validates the body against a model (400), evaluates the integration's request
template into SQS's SendMessage call and answers with its response template. The queue worker
assigns the position later. This module takes the same steps and evaluates the stack's own
templates (mapping_templates/) as API Gateway would (local/vtl.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import mapping_templates
from lambdas.catalog import (
    ASSIGN_QUEUE_NUM,
    ENTRY_CONTENT_TYPES,
    ENTRY_POW_FIELD,
    ENTRY_REFUSED,
    EVENT_ID_PATTERN,
    POW_FIELDS,
    is_event_id,
)
from lambdas.waiting_room import json_input
from local.vtl import evaluate


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def _maps(content_type: str | None) -> bool:
    """Whether the integration has a template for this content type. Without the header API
    Gateway takes application/json; media types compare without case or parameters (charset)."""
    media_type = (content_type or ENTRY_CONTENT_TYPES[0]).split(";", 1)[0].strip().lower()
    return media_type in ENTRY_CONTENT_TYPES


class InvalidBody(ValueError):
    """The request model refused the body; the message says what failed."""


def _validate(body: bytes) -> None:
    """Checks the body as the request model (stacks/constructs/entry_queue.py) checks it."""
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


def assign_queue_num(
    sqs: Any, queue_url: str, body: bytes, request_id: str, content_type: str | None, source_ip: str = ""
) -> Answer:
    """Validates, enqueues and answers as the integration does; `request_id` is the gateway's."""
    if not _maps(content_type):
        # API Gateway's 415, in the shape of the stack's DEFAULT_4XX gateway response.
        return Answer(415, {"error": "Unsupported Media Type"})
    try:
        _validate(body)
    except InvalidBody as problem:
        # The stack's BAD_REQUEST_BODY gateway response, given what the model refused.
        context = {"requestId": request_id, "error": {"validationErrorString": str(problem)}}
        return Answer(
            400,
            json.loads(evaluate(mapping_templates.INVALID_BODY, {"context": context})),
        )
    request = {
        "body": body.decode("utf-8"),
        "headers": {"Content-Type": content_type or ENTRY_CONTENT_TYPES[0]},
        "httpMethod": ASSIGN_QUEUE_NUM.method,
        "path": ASSIGN_QUEUE_NUM.path,
        "resourcePath": ASSIGN_QUEUE_NUM.path,
        "context": {
            "requestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": source_ip},
        },
    }
    # SQS's query API reads the form the request template writes.
    form = parse_qs(evaluate(mapping_templates.ENTRY_REQUEST, request), strict_parsing=True)
    if form.get("Action") != ["SendMessage"] or len(form.get("MessageBody", [])) != 1:
        raise ValueError(f"the entry template wrote no single SendMessage: {sorted(form)}")
    try:
        sqs.send_message(QueueUrl=queue_url, MessageBody=form["MessageBody"][0])
    except Exception:
        # The stack's integration response for a refused message; the caller may simply retry.
        return Answer(500, {"error": ENTRY_REFUSED})
    return Answer(200, json.loads(evaluate(mapping_templates.ENTRY_RESPONSE, request)))
