"""Lambda's SQS event source mapping: batches in, partial batch responses out.

What the mapping does on AWS, and so here:
- it gathers up to `batch_size` messages (one ReceiveMessage returns at most 10, so it receives
  several times) for at most the batching window after the first message arrived;
- it invokes the function with the batch and deletes the messages that the response's
  `batchItemFailures` does not name; if the function raises, or names an id that was not in the
  batch, nothing is deleted;
- what is not deleted becomes visible again after the visibility timeout, and the queue's redrive
  policy moves a message to the dead-letter queue once it was received `maxReceiveCount` times
  (moto applies the redrive policy on receive, as SQS does).

Several pollers may run against one queue, and several batches may be in the function at once
(`max_in_flight`), like the mapping's concurrent invocations: a poller hands its batch over and goes
on receiving while the function works, so one slow batch (the queue worker waits for its ordering
window) does not hold back the messages behind it. A poller receives only while a slot is free, so
no message sits received but unprocessed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("vwr.local.sqs")

# The SQS limit on one ReceiveMessage.
RECEIVE_LIMIT = 10
# A short long-poll, so that stopping never waits long for an idle poller.
IDLE_WAIT_SECONDS = 1


@dataclass(frozen=True)
class Queue:
    """Where to poll and how: the knobs of an event source mapping."""

    url: str
    batch_size: int
    batching_window_seconds: float
    visibility_timeout_seconds: int


# Takes a batch, returns the messages to delete (those the function is done with).
Deliver = Callable[[list[dict[str, Any]]], Sequence[Mapping[str, Any]]]


def lambda_delivery(
    invoke: Callable[[dict[str, Any]], Any],
    build_event: Callable[..., dict[str, Any]],
    *,
    name: str = "function",
) -> Deliver:
    """The SQS event source mapping's contract: one event per batch, a partial batch response back."""

    def deliver(messages: list[dict[str, Any]]) -> Sequence[Mapping[str, Any]]:
        try:
            response = invoke(build_event(messages))
        except Exception:
            # The whole batch comes back after the visibility timeout.
            logger.exception("%s failed on a batch of %d", name, len(messages))
            return []
        return completed(messages, response)

    return deliver


def completed(messages: Sequence[Mapping[str, Any]], response: Any) -> list[Mapping[str, Any]]:
    """The messages a function reported done, read as the mapping reads a partial batch response."""
    if not isinstance(response, Mapping) or not response.get("batchItemFailures"):
        # No response, or no failures named: the whole batch succeeded.
        return list(messages)
    failures = response["batchItemFailures"]
    ids = {m["MessageId"] for m in messages}
    failed: set[str] = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not isinstance(item, str) or item not in ids:
            # An unreadable report fails the whole batch, as Lambda does.
            return []
        failed.add(item)
    return [m for m in messages if m["MessageId"] not in failed]


class SqsPoller:
    """Polls one queue until stopped, hands each batch to `deliver`, deletes what it reports done."""

    def __init__(
        self,
        sqs: Any,
        queue: Queue,
        deliver: Deliver,
        *,
        name: str,
        concurrency: int = 1,
        max_in_flight: int | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue = queue
        self._deliver_batch = deliver
        self._name = name
        self._concurrency = max(1, concurrency)
        self._slots = threading.BoundedSemaphore(max(1, max_in_flight or self._concurrency))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._deliveries: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self._concurrency):
            thread = threading.Thread(target=self._run, name=f"vwr-sqs-{self._name}-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def request_stop(self) -> None:
        """Asks every poller thread to finish its batch and stop; `stop()` then waits for them."""
        self._stopping.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in [*self._threads, *self._deliveries]:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=IDLE_WAIT_SECONDS):
                continue
            handed_over = False
            try:
                batch = self._gather()
                if batch:
                    delivery = threading.Thread(
                        target=self._deliver, args=(batch,), name=f"vwr-batch-{self._name}", daemon=True
                    )
                    self._deliveries = [t for t in self._deliveries if t.is_alive()] + [delivery]
                    delivery.start()
                    handed_over = True
            except Exception:
                if self._stopping.is_set():
                    return
                # The queue's endpoint hiccuped: wait a moment and poll again, as the mapping does.
                logger.exception("polling %s for %s failed", self._queue.url, self._name)
                self._stopping.wait(1.0)
            finally:
                if not handed_over:
                    self._slots.release()

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._delete(batch, self._deliver_batch(batch))
        except Exception:
            logger.exception("delivering a batch of %s to %s failed", self._queue.url, self._name)
        finally:
            self._slots.release()

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        answer = self._sqs.receive_message(
            QueueUrl=self._queue.url,
            MaxNumberOfMessages=min(RECEIVE_LIMIT, count),
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self._queue.visibility_timeout_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return answer.get("Messages", [])

    def _gather(self) -> list[dict[str, Any]]:
        size = self._queue.batch_size
        messages = self._receive(size, IDLE_WAIT_SECONDS)
        if not messages:
            return []
        deadline = time.monotonic() + self._queue.batching_window_seconds
        while len(messages) < size and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = self._receive(size - len(messages), 0)
            if more:
                messages += more
            else:
                self._stopping.wait(min(0.05, remaining))
        return messages

    def _delete(self, messages: list[dict[str, Any]], done: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(done), RECEIVE_LIMIT):
            chunk = done[start : start + RECEIVE_LIMIT]
            answer = self._sqs.delete_message_batch(
                QueueUrl=self._queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
            for failure in answer.get("Failed", []):
                logger.warning("could not delete a message: %s", failure.get("Message"))
        if len(done) < len(messages):
            logger.info(
                "%s: %d of %d messages will be retried", self._name, len(messages) - len(done), len(messages)
            )
