"""EventBridge Pipes from a table's DynamoDB stream to the event bus, as the core stack wires them.

moto accepts a pipe but runs none, so the local runtime reads the stream itself. Each record that
matches an outbox event of `lambdas.catalog.OUTBOX` (its filter) goes on the bus shaped by the
same event's input template, as the pipe would put it. What a pipe does, and so this poller:
- it reads every shard of the stream from its oldest record (TRIM_HORIZON), in order;
- a shard's position moves on only once the bus accepted every event of the records read, so a
  failed put is tried again (at least once: an event may come twice, never not at all).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from lambdas.catalog import EVENT_SOURCE, OutboxEvent

logger = logging.getLogger("vwr.local.streams")

# The PutEvents limit on entries per call.
PUT_LIMIT = 10


class StreamPoller:
    """Reads one table's stream and puts its outbox events on the bus; `poll()` is one pass."""

    def __init__(
        self,
        session: Any,
        *,
        table_name: str,
        outbox: tuple[OutboxEvent, ...],
        bus: str,
        interval_seconds: float = 0.25,
        config: Any = None,
    ) -> None:
        self._streams = session.client("dynamodbstreams", config=config)
        self._events = session.client("events", config=config)
        self._stream_arn = session.client("dynamodb", config=config).describe_table(TableName=table_name)[
            "Table"
        ]["LatestStreamArn"]
        self._outbox = outbox
        self._bus = bus
        self._interval = interval_seconds
        self._iterators: dict[str, str | None] = {}  # shard id -> where to read next (None: closed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """Reads every shard up to its end; returns how many events went on the bus."""
        with self._lock:
            shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
            put = 0
            for shard in shards:
                shard_id = shard["ShardId"]
                if shard_id not in self._iterators:
                    self._iterators[shard_id] = self._streams.get_shard_iterator(
                        StreamArn=self._stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                put += self._drain(shard_id)
            return put

    def _drain(self, shard_id: str) -> int:
        put = 0
        while (iterator := self._iterators[shard_id]) is not None:
            answer = self._streams.get_records(ShardIterator=iterator)
            records = answer.get("Records", [])
            entries = [entry for record in records for entry in self._entries(record)]
            self._put(entries)
            put += len(entries)
            self._iterators[shard_id] = answer.get("NextShardIterator")
            if not records:
                break
        return put

    def _entries(self, record: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {
                "Source": EVENT_SOURCE,
                "DetailType": event.detail_type,
                "Detail": json.dumps(event.detail(record)),
                "EventBusName": self._bus,
            }
            for event in self._outbox
            if event.matches(record)
        ]

    def _put(self, entries: list[dict[str, str]]) -> None:
        """Raises unless the bus took every entry: the shard's position then stays where it was."""
        for start in range(0, len(entries), PUT_LIMIT):
            answer = self._events.put_events(Entries=entries[start : start + PUT_LIMIT])
            if answer.get("FailedEntryCount"):
                raise RuntimeError(f"the bus refused {answer['FailedEntryCount']} event(s)")

    # -- as a background worker of the local runtime -----------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="vwr-streams", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        self._stopping.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.poll()
            except Exception:
                # The endpoint hiccuped: the next pass reads again from where the last put succeeded.
                logger.exception("reading the stream %s failed", self._stream_arn)
