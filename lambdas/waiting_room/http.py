"""API Gateway proxy (REST, v1) requests and responses.

Every route answers JSON with CORS headers. Bad input raises `HttpError` with a 4xx; `api_handler`
turns it into `{"error": ...}`. Anything unexpected is logged and answered with a plain 500 that
carries no stack trace. No error answer may be kept by a cache: every 4xx and 5xx says
`Cache-Control: no-store` (CloudFront would otherwise keep it for its error caching TTL).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from lambdas.catalog import CORS_METHODS, is_event_id
from lambdas.waiting_room import json_input
from lambdas.waiting_room.tracing import traced


class Rebuilding(Exception):
    """Another caller is rebuilding the event's state from DynamoDB: try again in a moment."""


logger = Logger(service="waiting-room")

MAX_BODY_BYTES = 4096
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# A paged answer's body is what the retired clients read (a JSON array); the next page's cursor
# travels in this header, absent on the last page.
NEXT_CURSOR_HEADER = "X-Next-Cursor"
_DIGITS = re.compile(r"[0-9]{1,12}")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token",
    "Access-Control-Allow-Methods": ",".join(CORS_METHODS),
    # Without this a browser hides every response header but a handful from the page's script.
    "Access-Control-Expose-Headers": f"{NEXT_CURSOR_HEADER},Retry-After",
}


class HttpError(Exception):
    """A client-facing failure: a 4xx status (or 202 "not yet") and plain words.

    `reason` is a stable code for programs where one status has several causes (a 410 for a
    reset, an expired place or a closed session); people read `error`.
    """

    def __init__(
        self, status: int, message: str, reason: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        # More fields of the answer's body (a refusal's `opens_at`, a pre-queue's `draw_at`).
        self.details = dict(details or {})


# How long a client waits before asking again while the state is rebuilt or Redis is unreachable.
RETRY_AFTER_SECONDS = 2


def unavailable() -> dict[str, Any]:
    """503 with `Retry-After`: Redis lost its state and it is being rebuilt, or Redis is
    unreachable. Nothing was changed; the same request succeeds later."""
    return response(
        503,
        {"error": "the waiting room is restoring its state: try again shortly", "reason": "rebuilding"},
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


NO_STORE = {"Cache-Control": "no-store"}


def response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    all_headers = {"Content-Type": "application/json", **CORS_HEADERS, **(headers or {})}
    if status >= 400:
        all_headers.update(NO_STORE)
    return {"statusCode": status, "headers": all_headers, "body": json.dumps(body, separators=(",", ":"))}


def query(event: Mapping[str, Any]) -> dict[str, str]:
    return dict(event.get("queryStringParameters") or {})


def json_body(event: Mapping[str, Any]) -> dict[str, Any]:
    """The request body as a JSON object, or a 400/413 that says what is wrong with it."""
    raw = event.get("body")
    if raw is None or raw == "":
        raise HttpError(400, "request body is missing: send a JSON object")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise HttpError(400, "request body is not valid base64-encoded UTF-8") from error
    if len(raw.encode()) > MAX_BODY_BYTES:
        raise HttpError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json_input.loads(raw)
    except json_input.TooDeeplyNested as error:
        raise HttpError(400, f"request body nests deeper than {json_input.MAX_DEPTH} levels") from error
    except (json.JSONDecodeError, TypeError) as error:
        raise HttpError(400, "request body is not valid JSON") from error
    if not isinstance(body, dict):
        raise HttpError(400, "request body must be a JSON object")
    return body


def require_event_id(source: Mapping[str, Any]) -> str:
    """The `event_id` field, of the one pattern (whether the event exists is the registry's:
    `registry.require_event`)."""
    value = source.get("event_id")
    if not isinstance(value, str) or not value:
        raise HttpError(400, "event_id is required")
    if not is_event_id(value):
        raise HttpError(400, "unknown event_id")
    return value


def is_request_id(value: object) -> bool:
    """Request ids are UUIDs (API Gateway's request ids), matched in full."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def require_request_id(source: Mapping[str, Any]) -> str:
    value = source.get("request_id")
    if not isinstance(value, str) or not value:
        raise HttpError(400, "request_id is required")
    if not is_request_id(value):
        raise HttpError(400, "request_id must be a UUID")
    return value.lower()


def require_int(
    source: Mapping[str, Any], name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """An integer field; bools, floats and numeric strings are refused, not coerced."""
    value = source.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise HttpError(400, f"{name} must be an integer")
    if minimum is not None and value < minimum:
        raise HttpError(400, f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise HttpError(400, f"{name} must be at most {maximum}")
    return value


def query_int(params: Mapping[str, str], name: str, *, default: int, minimum: int, maximum: int) -> int:
    """A query parameter of ASCII digits, short and in range (`str.isdigit` would take "²")."""
    raw = params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise HttpError(400, f"{name} must be an integer from {minimum} to {maximum}")
    return int(raw)


def optional_int(source: Mapping[str, Any], name: str, *, minimum: int, maximum: int) -> int | None:
    if source.get(name) is None:
        return None
    return require_int(source, name, minimum=minimum, maximum=maximum)


def masked(request_id: str) -> str:
    """A request id is a bearer secret: logs carry only enough of it to correlate."""
    return request_id[:8] + "..."


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def api_handler(fn: Handler) -> Handler:
    """Wraps a proxy-integration handler: OPTIONS, HttpError -> JSON 4xx, anything else -> 500."""

    @traced
    @functools.wraps(fn)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if event.get("httpMethod") == "OPTIONS":
            return response(204, {})
        try:
            return fn(event, context)
        except HttpError as error:
            # 202 is "not yet", not a failure; neither it nor an error may be cached by the CDN.
            body = {"message" if error.status < 400 else "error": error.message}
            if error.reason:
                body["reason"] = error.reason
            body.update(error.details)
            if error.status == 503:
                return unavailable()
            return response(error.status, body, NO_STORE)
        except (Rebuilding, RedisConnectionError, RedisTimeoutError):
            return unavailable()
        except Exception:
            logger.exception("unhandled error", extra={"path": event.get("path")})
            return response(500, {"error": "internal error"})

    return wrapper
