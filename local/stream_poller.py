"""Lambda's event source mapping on a table's DynamoDB stream, as the core stack wires it for the
outbox function (lambdas.catalog.OUTBOX, StreamTrigger).

moto keeps a stream but invokes nothing, so the local runtime reads it itself and invokes the
very function the stack deploys, with the records in Lambda's event shape. What the mapping does,
and so this poller:
- it reads every shard of the stream from its oldest record (TRIM_HORIZON), in order;
- only records that pass the table's filters (its events' `filter_pattern`) reach the function;
- a record the function reports as failed (a partial batch response), or every record of a batch
  whose invocation raised, is read again from there: at least once, an event may come twice,
  never not at all; after `retry_attempts` failed tries a record is given up, as the mapping
  sends it to its failure queue (logged here, and kept in `given_up`).
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from typing import Any

from lambdas.catalog import OutboxEvent, StreamTrigger

logger = logging.getLogger("vwr.local.streams")

Invoke = Callable[[dict[str, Any]], Any]
# The mapping's settings where the caller names none (the wiring table's defaults).
MAPPING = StreamTrigger()


class StreamPoller:
    """Reads one table's stream and invokes the outbox function; `poll()` is one pass (the runtime
    makes one every STREAM_POLL_SECONDS, as a failed pass is tried again: from where it ended)."""

    def __init__(
        self,
        session: Any,
        *,
        table_name: str,
        outbox: tuple[OutboxEvent, ...],
        invoke: Invoke,
        trigger: StreamTrigger = MAPPING,
        region: str = "us-east-1",
        config: Any = None,
    ) -> None:
        self._streams = session.client("dynamodbstreams", config=config)
        self._stream_arn = session.client("dynamodb", config=config).describe_table(TableName=table_name)[
            "Table"
        ]["LatestStreamArn"]
        self._outbox = outbox
        self._invoke = invoke
        self._trigger = trigger
        self._region = region
        self._iterators: dict[str, str | None] = {}  # shard id -> where to read next (None: closed)
        self._failures: dict[str, int] = {}  # sequence number -> failed tries
        self.given_up: list[dict[str, Any]] = []
        # One pass at a time: a test's own poll() may meet the runtime's timer.
        self._lock = threading.Lock()

    def poll(self) -> int:
        """Reads every shard up to its end; returns how many records the function took."""
        with self._lock:
            shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
            taken = 0
            for shard in shards:
                shard_id = shard["ShardId"]
                if shard_id not in self._iterators:
                    self._iterators[shard_id] = self._iterator(shard_id, "TRIM_HORIZON")
                taken += self._drain(shard_id)
            return taken

    def _iterator(self, shard_id: str, kind: str, sequence_number: str | None = None) -> str:
        at = {"SequenceNumber": sequence_number} if sequence_number else {}
        return self._streams.get_shard_iterator(
            StreamArn=self._stream_arn, ShardId=shard_id, ShardIteratorType=kind, **at
        )["ShardIterator"]

    def _drain(self, shard_id: str) -> int:
        taken = 0
        while (iterator := self._iterators[shard_id]) is not None:
            answer = self._streams.get_records(ShardIterator=iterator, Limit=self._trigger.batch_size)
            records = [self._lambda_record(r) for r in answer.get("Records", [])]
            wanted = [r for r in records if any(event.matches(r) for event in self._outbox)]
            failed_at = self._deliver(wanted) if wanted else None
            if failed_at is not None:
                # Read again from the failed record (those before it were taken).
                self._iterators[shard_id] = self._iterator(shard_id, "AT_SEQUENCE_NUMBER", failed_at)
                return taken + sum(1 for r in wanted if int(_sequence(r)) < int(failed_at))
            taken += len(wanted)
            self._iterators[shard_id] = answer.get("NextShardIterator")
            if not records:
                break
        return taken

    def _deliver(self, records: list[dict[str, Any]]) -> str | None:
        """Invokes the function; returns the sequence number to read again from (None: all taken)."""
        try:
            answer = self._invoke({"Records": records}) or {}
            failures = [item["itemIdentifier"] for item in answer.get("batchItemFailures", [])]
        except Exception:
            logger.exception("the outbox function failed on a batch of %s", self._stream_arn)
            failures = [_sequence(records[0])]
        if not failures:
            return None
        first = min(failures, key=int)
        self._failures[first] = tries = self._failures.get(first, 0) + 1
        if tries <= self._trigger.retry_attempts:
            return first
        record = next(r for r in records if _sequence(r) == first)
        # Its sequence number, not its keys: a token record's key is a request id (a bearer secret).
        logger.error("outbox record given up after %d tries: sequence number %s", tries, first)
        self.given_up.append(record)
        later = [r for r in records if int(_sequence(r)) > int(first)]
        return self._deliver(later) if later else None

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A GetRecords record as Lambda hands it to a function (JSON values, its source named)."""
        images = dict(record["dynamodb"])
        created = images.get("ApproximateCreationDateTime")
        if isinstance(created, datetime.datetime):
            images["ApproximateCreationDateTime"] = created.timestamp()
        return {
            **record,
            "dynamodb": images,
            "eventSource": "aws:dynamodb",
            "eventSourceARN": self._stream_arn,
            "awsRegion": self._region,
        }


def _sequence(record: dict[str, Any]) -> str:
    return record["dynamodb"]["SequenceNumber"]
