"""The ordering window fits the queue worker's trigger and timeout (the wiring table)."""

from __future__ import annotations

from lambdas import catalog
from lambdas.waiting_room.entries import MAX_ASKS


def test_the_window_outlasts_the_batching_window_and_fits_the_worker_timeout() -> None:
    worker = catalog.by_name("QueueWorker")
    trigger = next(t for t in worker.triggers if isinstance(t, catalog.QueueTrigger))
    window_s = catalog.ordering_window_ms() / 1000
    # Shorter than the batching window, every entry of a full window would arrive late.
    assert window_s > trigger.max_batching_window_seconds
    # The worker sleeps at most one window per ask, and still has time to write its records.
    assert MAX_ASKS * window_s < worker.timeout_seconds / 2
