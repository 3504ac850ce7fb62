"""Rebuilding an event's Redis state from DynamoDB after Redis lost it.

Redis is a fast copy; DynamoDB is the truth. A Redis that restarted empty, or a replica promoted
without the last writes, is noticed in two ways: every script checks the incarnation marker
(lambdas/waiting_room/counters.py), and DynamoDB's conditional writes refuse a position that Redis
hands out a second time (the caller then removes the marker). The first caller to notice takes a
lock and rebuilds; the others answer 503 with `Retry-After` until the marker is back.

Which key is rebuilt from where (every key of `vwr:{<event_id>}:`; the generation first, since
every other read is of that generation):

| key | rebuilt from |
|---|---|
| `generation` | queue positions table, item `generation#<event_id>` (written by every reset) |
| `positions` (request id -> position:entered) | queue positions table, index `by_event_position` |
| `entries` (position -> entered) | the same records |
| `queue_counter` | the highest position among them |
| `tokens_issued` (bitmap by position) | tokens table, index `by_event_expiry` |
| `token_claims` (request id -> claimed at) | the token records' `issued_at` |
| `token_counter` | the number of token records |
| `active_tokens` (request id -> expiry) | the token records whose session is open |
| `closed_sessions`, `completed_counter`, `abandoned_counter` | the token records' `session_status` |
| `serving_counter` | serving counter table: the generation's latest move |
| `serving_history` | the same table: every move up, with its time |
| `max_queue_position_expired` | the same table: the sweeper's latest `expiry_watermark` (0 if none) |
| `expired_queue_counter` | the sweeper's moves summed (positions it gave back to serving) |
| `increment:<key>` | not rebuilt: a retried increment after a loss applies again |
| `incarnation` | written last, when everything above is in place |

Without `IncrSvcOnQueuePositionExpiry` the sweeper leaves no trail: its watermark restarts at 0
and it counts the expired positions again, which changes only `expired_queue_counter`.

The rebuild reads every record of the generation: its time grows with the number of positions
(benchmarks/test_rebuild.py). The lock outlives any Lambda timeout; a caller that dies mid-way
leaves no marker, so the next caller after the lock expires starts again.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING

from lambdas.waiting_room.http import Rebuilding, logger
from lambdas.waiting_room.records import (
    SESSION_ABANDONED,
    SESSION_COMPLETED,
    SESSION_OPEN,
    queue_records,
    recorded_generation,
    serving_records,
    token_records,
)

if TYPE_CHECKING:
    from lambdas.waiting_room.counters import EventCounters

# Longer than a rebuild of a large event takes, so two never overlap.
LOCK_SECONDS = 300
# Redis commands sent in one pipeline.
PIPELINE_CHUNK = 5000

# Compares and deletes, so a caller whose lock expired never releases another caller's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def rebuild_once(counters: EventCounters) -> None:
    """Rebuilds the state unless it is there; raises `Rebuilding` if another caller holds the lock."""
    k, client = counters.keys, counters.redis
    owner = uuid.uuid4().hex
    if not client.set(k.rebuild_lock, owner, nx=True, ex=LOCK_SECONDS):
        raise Rebuilding
    try:
        if client.exists(k.incarnation):
            return  # another caller finished while this one was taking the lock
        rebuild(counters)
    finally:
        client.eval(_RELEASE, 1, k.rebuild_lock, owner)


def rebuild(counters: EventCounters) -> dict[str, int]:
    """Writes the event's state from DynamoDB and, last, the incarnation marker; returns counts."""
    started = time.monotonic()
    k, event_id = counters.keys, counters.event_id
    generation = recorded_generation(event_id)
    commands: list[tuple[str, ...]] = [("UNLINK", key) for key in k.all()]
    commands.append(("SET", k.generation, str(generation)))

    queue_counter = 0
    for record in queue_records(event_id, generation):
        if record.voided:
            continue
        queue_counter = max(queue_counter, record.position)
        commands.append(("HSET", k.positions, record.request_id, f"{record.position}:{record.entered_at_ms}"))
        commands.append(("HSET", k.entries, str(record.position), str(record.entered_at_ms)))

    tokens, closed = 0, {SESSION_COMPLETED: 0, SESSION_ABANDONED: 0}
    for token in token_records(event_id, generation):
        tokens += 1
        commands.append(("SETBIT", k.tokens_issued, str(token.position), "1"))
        commands.append(("HSET", k.token_claims, token.request_id, str(token.issued_at * 1000)))
        if token.session_status == SESSION_OPEN:
            commands.append(("ZADD", k.active_tokens, str(token.expires_at), token.request_id))
        else:
            closed[token.session_status] += 1
            commands.append(("HSET", k.closed_sessions, token.request_id, str(token.session_status)))

    serving, latest_ms, watermark, returned = 0, -1, 0, 0
    for move in serving_records(event_id, generation):
        if move.issued_at_ms >= latest_ms:
            serving, latest_ms = move.serving_counter, move.issued_at_ms
        if move.increment_by > 0:
            member = f"{move.serving_counter}:{move.issued_at_ms}"
            commands.append(("ZADD", k.serving_history, str(move.serving_counter), member))
        if move.expiry_watermark is not None:
            watermark = max(watermark, move.expiry_watermark)
            returned += move.increment_by

    totals = {
        "queue_counter": queue_counter,
        "serving_counter": serving,
        "token_counter": tokens,
        "completed_counter": closed[SESSION_COMPLETED],
        "abandoned_counter": closed[SESSION_ABANDONED],
        "max_queue_position_expired": watermark,
        "expired_queue_counter": returned,
    }
    commands += [("SET", getattr(k, name), str(value)) for name, value in totals.items()]
    commands.append(("SET", k.incarnation, str(int(time.time() * 1000))))
    _send(counters, commands)
    logger.warning(
        "redis state rebuilt from DynamoDB",
        extra={
            "event_id": event_id,
            "generation": generation,
            "seconds": time.monotonic() - started,
            **totals,
        },
    )
    return {"generation": generation, **totals}


def _send(counters: EventCounters, commands: list[tuple[str, ...]]) -> None:
    """Sends the commands in order, a pipeline at a time; the marker is the last command."""
    for start in range(0, len(commands), PIPELINE_CHUNK):
        with counters.redis.pipeline(transaction=False) as pipe:
            for command in commands[start : start + PIPELINE_CHUNK]:
                pipe.execute_command(*command)
            pipe.execute()
