"""Two speed fixes to moto's SQS backend, and one thread-safety fix to its DynamoDB backend.

moto 5 computes every attribute of a queue (the approximate message counts among them, a walk over
all messages) for each message it sends and for each message it hands out, to read one setting;
and it reads the clock through timezone-aware datetime arithmetic, once or twice per message per
walk. With a backlog of a thousand entries a ReceiveMessage took half a second, so a burst of
visitors slowed the very poller that was meant to drain it. The fixes:

- the retention-period check reads the queue's retention period directly (same comparison);
- the SQS module's clock helpers are the plain epoch clock (same values: seconds and milliseconds
  since 1970, UTC).

moto's TransactWriteItems deep-copies every table it touches (to undo a failed transaction)
while other request threads may be writing to it; the copy then fails with "dictionary changed size
during iteration" and moto answers 500. DynamoDB does not, so the writes of moto's DynamoDB backend
take one lock here: one write at a time, as moto's own undo assumes. It also copies a table once
per item of the transaction, not once per table: with the queue worker's transactions of 100 items
a burst's cost grew with the square of the visitors (2,000 visitors stalled the runtime, with moto
at 10 GB), so here each table is copied once per transaction (the same undo).

Each patch is applied only if moto still has what it replaces, so a moto upgrade that changes
these internals falls back to moto's own code rather than breaking.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from datetime import datetime
from typing import Any

logger = logging.getLogger("vwr.local.moto")

_applied = False


def _unix_time(dt: datetime | None = None) -> float:
    if dt is None:
        return time.time()
    # moto's own arithmetic, for the rare caller with a naive UTC datetime.
    delta = dt - datetime(1970, 1, 1)
    return delta.days * 86400 + delta.seconds + delta.microseconds / 1e6


def _unix_time_millis(dt: datetime | None = None) -> float:
    return _unix_time(dt) * 1000.0


def speed_up_sqs() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    try:
        from moto.sqs import models
    except ImportError:  # pragma: no cover - moto without SQS
        return
    if hasattr(models, "unix_time") and hasattr(models, "unix_time_millis"):
        models.unix_time = _unix_time
        models.unix_time_millis = _unix_time_millis
    backend = getattr(models, "SQSBackend", None)
    if backend is not None and hasattr(backend, "is_message_valid_based_on_retention_period"):

        def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
            retention = int(self.get_queue(queue_name).message_retention_period)
            return retention + message.sent_timestamp / 1000 > time.time()

        backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    else:  # pragma: no cover - a moto whose internals moved
        logger.warning("moto's SQS internals changed: running without the local speed fixes")


_dynamodb_locked = False


class _CopyEachTableOnce:
    """Stands in for the `copy` module inside one TransactWriteItems call: the undo copy of a
    table is made the first time it is asked for, and handed out again for the table's other items
    (moto keeps one copy per table anyway)."""

    def __init__(self) -> None:
        self._copies: dict[int, Any] = {}

    def deepcopy(self, value: Any) -> Any:
        if id(value) not in self._copies:
            self._copies[id(value)] = copy.deepcopy(value)
        return self._copies[id(value)]


def serialize_dynamodb_writes() -> None:
    global _dynamodb_locked
    if _dynamodb_locked:
        return
    _dynamodb_locked = True
    try:
        from moto.dynamodb import models
        from moto.dynamodb.models import DynamoDBBackend
    except ImportError:  # pragma: no cover - moto without DynamoDB
        return
    # Transactions copy each table once only where moto still copies through its `copy` import.
    copy_once = getattr(models, "copy", None) is copy
    if not copy_once:  # pragma: no cover - a moto whose internals moved
        logger.warning("moto's DynamoDB transactions copy tables their own way: left as they are")
    lock = threading.RLock()
    for name in ("transact_write_items", "put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name, None)
        if original is None:  # pragma: no cover - a moto whose internals moved
            logger.warning("moto's DynamoDB backend has no %s: its writes are not serialized", name)
            continue
        swaps_copy = copy_once and name == "transact_write_items"

        def locked(
            self: Any, *args: Any, __original: Any = original, __swap: bool = swaps_copy, **kwargs: Any
        ) -> Any:
            with lock:
                if not __swap:
                    return __original(self, *args, **kwargs)
                models.copy = _CopyEachTableOnce()
                try:
                    return __original(self, *args, **kwargs)
                finally:
                    models.copy = copy

        setattr(DynamoDBBackend, name, locked)
