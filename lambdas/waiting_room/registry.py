"""The event registry: which events this deployment serves, and each one's settings.

One deployment serves many events. Each event keeps its own counters, positions and tokens (every
Redis key and record is already namespaced by its event id); what the registry adds is whether an
event exists, and the settings that may differ between events (token validity, position expiry,
proof of work, inlet). The deployment's own event (its `EventId` parameter) always exists: with no
record, it takes the deployment's settings, so a single-event deployment needs no record at all.

Every route looks its event up, so a lookup is cached per container for as long as any public
answer may be stale after a change (`RESET_VISIBLE_WITHIN_SECONDS`), misses included: the hot path
pays one DynamoDB read per event per container every 5 s, whatever the number of visitors. An
idle event costs nothing: one item, and no Redis key until someone enters.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from lambdas.catalog import MAX_EVENTS, POW_MAX_DIFFICULTY, RESET_VISIBLE_WITHIN_SECONDS
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.http import HttpError, require_event_id, require_int
from lambdas.waiting_room.settings import settings

# Events one GET /events answers unless asked for fewer or more (at most MAX_EVENTS).
PAGE_SIZE = 100
# Events a container remembers (lookups and misses), least recently used dropped first.
CACHE_SIZE = 1024
MAX_SECONDS = 7 * 24 * 3600
MAX_TIME = 2**53 - 1

Inlet = Literal["none", "periodic", "max_size"]
INLETS: tuple[Inlet, ...] = ("none", "periodic", "max_size")
# What the edge gate does for a visitor without a pass: queue them, let everyone through, or close.
Mode = Literal["queue", "open", "closed"]
MODES: tuple[Mode, ...] = ("queue", "open", "closed")
# How the pre-queue is numbered at start_time: by arrival, or by the published draw (draw.py).
Order = Literal["arrival", "draw"]
ORDERS: tuple[Order, ...] = ("arrival", "draw")
# Text settings that take one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {"inlet": INLETS, "mode": MODES, "order_at_start": ORDERS}
MAX_URL_LENGTH = 2048


@dataclass(frozen=True)
class EventConfig:
    """One event's settings, as the private API shows them (`as_json`)."""

    event_id: str
    name: str
    token_validity_seconds: int
    enable_queue_position_expiry: bool
    queue_position_expiry_seconds: int
    incr_serving_on_expiry: bool
    pow_difficulty: int
    inlet: Inlet = "none"
    # Periodic: visitors let in per minute, within start_time .. end_time (epoch s, 0 = open).
    increment_by: int = 0
    start_time: int = 0
    end_time: int = 0
    # MaxSize: most sessions active at once.
    capacity: int = 0
    mode: Mode = "queue"
    # A scheduled sale: from prequeue_start (epoch s, 0 = none) until start_time, entries wait
    # unnumbered; at start_time they are numbered in `order_at_start`, later ones behind them.
    prequeue_start: int = 0
    order_at_start: Order = "arrival"
    # A line that can be full: an entry that finds this many waiting is refused (0: no cap),
    # and the page offers overflow_url (https, or empty).
    max_waiting: int = 0
    overflow_url: str = ""
    # Read-only: the deployment's own event; when the record was made and changed; its version.
    default: bool = False
    created_at: int = 0
    updated_at: int = 0
    version: int = 0

    @property
    def expiry_ms(self) -> int | None:
        """How long a served position may wait for its token; None: it never expires."""
        return self.queue_position_expiry_seconds * 1000 if self.enable_queue_position_expiry else None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def public_json(self) -> dict[str, Any]:
        """What GET /event_info shows anyone (PUBLIC_FIELDS)."""
        return {name: getattr(self, name) for name in PUBLIC_FIELDS}


# Fields an operator sets: name -> (type, minimum, maximum); bounds apply to integers, lengths to text.
SETTABLE: dict[str, tuple[type, int, int]] = {
    "name": (str, 1, 100),
    "token_validity_seconds": (int, 60, MAX_SECONDS),
    "enable_queue_position_expiry": (bool, 0, 1),
    "queue_position_expiry_seconds": (int, 1, MAX_SECONDS),
    "incr_serving_on_expiry": (bool, 0, 1),
    "pow_difficulty": (int, 0, POW_MAX_DIFFICULTY),
    "inlet": (str, 0, 0),
    "increment_by": (int, 0, 1_000_000),
    "start_time": (int, 0, MAX_TIME),
    "end_time": (int, 0, MAX_TIME),
    "capacity": (int, 0, 1_000_000_000),
    "mode": (str, 0, 0),
    "prequeue_start": (int, 0, MAX_TIME),
    "order_at_start": (str, 0, 0),
    "max_waiting": (int, 0, 1_000_000_000),
    "overflow_url": (str, 0, MAX_URL_LENGTH),
}
# What anyone may read of an event (GET /event_info): what the page shows and needs before entry.
PUBLIC_FIELDS = (
    "event_id",
    "name",
    "mode",
    "prequeue_start",
    "start_time",
    "order_at_start",
    "max_waiting",
    "overflow_url",
)
READ_ONLY = ("event_id", "default", "created_at", "updated_at", "version")


def default_config(event_id: str) -> EventConfig:
    """An event as the deployment's parameters describe it."""
    config = settings()
    return EventConfig(
        event_id=event_id,
        name=event_id,
        token_validity_seconds=config.token_validity_seconds,
        enable_queue_position_expiry=config.expiry_enabled,
        queue_position_expiry_seconds=config.expiry_seconds,
        incr_serving_on_expiry=config.incr_serving_on_expiry,
        pow_difficulty=config.pow_difficulty,
        default=event_id == config.event_id,
    )


def settable_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    """The settable fields of a request body, checked; read-only ones are ignored (so an answer
    can be sent back as it came), anything else is refused."""
    unknown = sorted(set(body) - set(SETTABLE) - set(READ_ONLY))
    if unknown:
        raise HttpError(400, f"unknown field: {unknown[0]}")
    fields: dict[str, Any] = {}
    for name, (kind, minimum, maximum) in SETTABLE.items():
        if name not in body:
            continue
        value = body[name]
        if kind is bool:
            if not isinstance(value, bool):
                raise HttpError(400, f"{name} must be true or false")
        elif kind is int:
            require_int(body, name, minimum=minimum, maximum=maximum)
        elif name in CHOICES:
            if value not in CHOICES[name]:
                raise HttpError(400, f"{name} must be one of {', '.join(CHOICES[name])}")
        elif name == "overflow_url":
            if not isinstance(value, str) or len(value) > maximum or not _is_https_url(value.strip()):
                raise HttpError(400, f"{name} must be empty or an https URL (at most {maximum} characters)")
        elif not isinstance(value, str) or not minimum <= len(value.strip()) <= maximum:
            raise HttpError(400, f"{name} must be text of {minimum} to {maximum} characters")
        fields[name] = value.strip() if isinstance(value, str) else value
    return fields


def _is_https_url(value: str) -> bool:
    """Empty, or an absolute https URL with a host and no spaces or credentials (the page puts it
    in a link: no other scheme may reach an href)."""
    if not value:
        return True
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and "@" not in parts.netloc


def _checked(config: EventConfig) -> EventConfig:
    """Rules across fields, checked on the merged result.

    Two settings need what only the deployment's parameters build: the expiry sweeper's schedule
    (EnableQueuePositionExpiry) and the network path to EventBridge that the sweeper's
    `automatic_serving_counter_incr` takes (IncrSvcOnQueuePositionExpiry). An event may turn them
    off, not on where the deployment has them off.
    """
    deployment = settings()
    if config.enable_queue_position_expiry and not deployment.expiry_enabled:
        raise HttpError(400, "this deployment expires no positions (its EnableQueuePositionExpiry is false)")
    if config.incr_serving_on_expiry and not deployment.incr_serving_on_expiry:
        raise HttpError(
            400, "this deployment returns no expired positions (its IncrSvcOnQueuePositionExpiry is false)"
        )
    if config.end_time and config.end_time <= config.start_time:
        raise HttpError(400, "end_time must be after start_time (or 0: no end)")
    if config.prequeue_start and not config.prequeue_start < config.start_time:
        raise HttpError(400, "prequeue_start must be before start_time (the sale's start), or 0: none")
    if config.order_at_start == "draw" and not config.prequeue_start:
        raise HttpError(400, "order_at_start draw needs a pre-queue to draw from (prequeue_start)")
    if config.inlet == "periodic" and config.increment_by < 1:
        raise HttpError(400, "a periodic inlet needs increment_by of at least 1")
    if config.inlet == "max_size" and config.capacity < 1:
        raise HttpError(400, "a max_size inlet needs capacity of at least 1")
    return config


# -- the table ---------------------------------------------------------------------------------


def _table() -> str:
    return settings().events_table


def _item(config: EventConfig) -> dict[str, Any]:
    kept = {name: value for name, value in config.as_json().items() if name in SETTABLE}
    return {
        "event_id": {"S": config.event_id},
        "settings": {"S": json.dumps(kept, separators=(",", ":"))},
        "created_at": {"N": str(config.created_at)},
        "updated_at": {"N": str(config.updated_at)},
        "version": {"N": str(config.version)},
    }


def _from_item(item: Mapping[str, Any]) -> EventConfig:
    event_id = item["event_id"]["S"]
    stored = json.loads(item["settings"]["S"])
    return replace(
        default_config(event_id),
        **{name: value for name, value in stored.items() if name in SETTABLE},
        created_at=int(item["created_at"]["N"]),
        updated_at=int(item["updated_at"]["N"]),
        version=int(item["version"]["N"]),
    )


def read(event_id: str) -> EventConfig | None:
    """The event from the table (strongly consistent), or the deployment's own without a record."""
    if _table():
        answer = client("dynamodb").get_item(
            TableName=_table(), Key={"event_id": {"S": event_id}}, ConsistentRead=True
        )
        if "Item" in answer:
            return _from_item(answer["Item"])
    return default_config(event_id) if event_id == settings().event_id else None


# event id -> (monotonic time it is good until, the event or None)
_cache: OrderedDict[str, tuple[float, EventConfig | None]] = OrderedDict()


def forget() -> None:
    """Drops every cached lookup (a change made here is seen here at once; tests start clean)."""
    _cache.clear()


def lookup(event_id: str) -> EventConfig | None:
    """The event, or None where no such event exists; cached (see the module's docstring)."""
    now = time.monotonic()
    cached = _cache.get(event_id)
    if cached is not None and cached[0] > now:
        _cache.move_to_end(event_id)
        return cached[1]
    config = read(event_id)
    _cache[event_id] = (now + RESET_VISIBLE_WITHIN_SECONDS, config)
    _cache.move_to_end(event_id)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return config


def require_event(source: Mapping[str, Any]) -> EventConfig:
    """The event a request names in its `event_id` field; 400 when it names none that exists."""
    config = lookup(require_event_id(source))
    if config is None:
        raise HttpError(400, "unknown event_id")
    return config


def list_events() -> list[EventConfig]:
    """Every event, the deployment's own included, by event id."""
    found: dict[str, EventConfig] = {}
    if _table():
        for page in (
            client("dynamodb").get_paginator("scan").paginate(TableName=_table(), ConsistentRead=True)
        ):
            for item in page.get("Items", []):
                config = _from_item(item)
                found[config.event_id] = config
    own = settings().event_id
    if own and own not in found:
        found[own] = default_config(own)
    return [found[event_id] for event_id in sorted(found)]


def page_of_events(limit: int, after: str | None = None) -> tuple[list[EventConfig], str | None]:
    """Up to `limit` events by event id, those after `after` only, and the cursor of the next page
    (None on the last). The cursor is the last id given: pages hold still while events come and go."""
    remaining = [config for config in list_events() if after is None or config.event_id > after]
    page = remaining[:limit]
    return page, page[-1].event_id if len(remaining) > limit else None


def _count() -> int:
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=_table(), Select="COUNT")
    return sum(page["Count"] for page in pages)


def _require_table() -> str:
    if not _table():
        raise HttpError(409, "this deployment has no event registry", "no_registry")
    return _table()


def _write(event_id: str, write: Callable[..., Any], refusal: HttpError, **request: Any) -> dict[str, Any]:
    """One conditional write of an event's record (`put_item`, `delete_item`), and DynamoDB's
    answer; a failed condition is `refusal`, and a change made here is seen here at once."""
    try:
        answer = write(TableName=_require_table(), **request)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        raise refusal from error
    _cache.pop(event_id, None)
    return answer


def create(event_id: str, fields: Mapping[str, Any], *, now_s: int | None = None) -> EventConfig:
    """Registers a new event; 409 `exists` for one that does (the deployment's own always does)."""
    exists = HttpError(409, f"event {event_id} exists", "exists")
    _require_table()
    if read(event_id) is not None:
        raise exists
    if _count() >= MAX_EVENTS:
        raise HttpError(409, f"this deployment has its limit of {MAX_EVENTS} events", "limit")
    now = int(time.time()) if now_s is None else now_s
    config = _checked(replace(default_config(event_id), **fields, created_at=now, updated_at=now, version=1))
    new = {"Item": _item(config), "ConditionExpression": "attribute_not_exists(event_id)"}
    _write(event_id, client("dynamodb").put_item, exists, **new)
    return config


def update(
    event_id: str, fields: Mapping[str, Any], *, version: int | None = None, now_s: int | None = None
) -> tuple[EventConfig, EventConfig]:
    """Changes an event's settings; with `version`, only if nobody changed it since (409 `version`).
    Returns the event before and after the change."""
    _require_table()
    current = read(event_id)
    if current is None:
        raise HttpError(404, f"no event {event_id}")
    if version is not None and version != current.version:
        raise HttpError(409, f"event {event_id} changed since version {version}: read it again", "version")
    now = int(time.time()) if now_s is None else now_s
    opened = current.prequeue_start and current.prequeue_start <= now
    if opened and fields.get("order_at_start", current.order_at_start) != current.order_at_start:
        # The pre-queue was promised an order (and, for a draw, a published commitment).
        raise HttpError(409, "order_at_start cannot change once the pre-queue has opened", "prequeue_open")
    changed = _checked(
        replace(
            current,
            **fields,
            created_at=current.created_at or now,
            updated_at=now,
            version=current.version + 1,
        )
    )
    # The deployment's own event has no record until its first change.
    condition = (
        {"ConditionExpression": "attribute_not_exists(event_id)"}
        if current.version == 0
        else {
            "ConditionExpression": "version = :seen",
            "ExpressionAttributeValues": {":seen": {"N": str(current.version)}},
        }
    )
    changed_meanwhile = HttpError(409, f"event {event_id} changed meanwhile: read it again", "version")
    _write(event_id, client("dynamodb").put_item, changed_meanwhile, Item=_item(changed), **condition)
    return current, changed


def delete(event_id: str) -> EventConfig:
    """Unregisters an event (its records expire with their TTL) and returns it as it was; the
    deployment's own stays."""
    _require_table()
    if event_id == settings().event_id:
        raise HttpError(409, "the deployment's own event cannot be deleted", "default")
    answer = _write(
        event_id,
        client("dynamodb").delete_item,
        HttpError(404, f"no event {event_id}"),
        Key={"event_id": {"S": event_id}},
        ConditionExpression="attribute_exists(event_id)",
        ReturnValues="ALL_OLD",
    )
    return _from_item(answer["Attributes"])
