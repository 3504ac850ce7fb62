"""Rebuilding an event's Redis state from DynamoDB after Redis lost it.

Redis is a fast copy; DynamoDB is the truth. A Redis that restarted empty, or a replica promoted
without the last writes, is noticed in two ways: every script checks the incarnation marker
(lambdas/waiting_room/counters.py), and DynamoDB's conditional writes refuse a position that Redis
hands out a second time (the caller then removes the marker). The first caller to notice takes a
lock and rebuilds; the others answer 503 with `Retry-After` until the marker is back.

Which key is rebuilt from where (every key of `vwr:{<event_id>}:`; the generation first, since
every other read is of that generation; what is not rebuilt is said so):

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
| (pre-queued entries) | not in Redis: they wait in DynamoDB for the draw, which numbers them |
| `pending`, `ordered_through` | not rebuilt: entries not numbered yet are unacknowledged messages |
| `late_entry_counter`, `full_refused_counter` | not rebuilt (statistics): they count again from 0 |
| `increment:<key>` | the serving counter table: a move's `idempotency_key`, for what is left of its day |
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
from collections.abc import Iterable, Iterator
from typing import Any

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
from lambdas.waiting_room.redis_store import Redis
from lambdas.waiting_room.state_keys import IDEMPOTENCY_SECONDS, Keys

# Longer than any function that may rebuild runs (the sweeper's 60 s timeout), so two rebuilds
# never overlap; and short, since a caller that dies mid-way holds everyone at 503 until it ends.
LOCK_SECONDS = 60
# Fields written by one HSET or ZADD, and commands sent in one pipeline.
FIELDS_PER_COMMAND = 1000
PIPELINE_CHUNK = 50

# Compares and deletes, so a caller whose lock expired never releases another caller's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def rebuild_once(event_id: str, client: Redis) -> None:
    """Rebuilds the state unless it is there; raises `Rebuilding` if another caller holds the lock."""
    k = Keys(event_id)
    owner = uuid.uuid4().hex
    if not client.set(k.rebuild_lock, owner, nx=True, ex=LOCK_SECONDS):
        raise Rebuilding
    try:
        if client.exists(k.incarnation):
            return  # another caller finished while this one was taking the lock
        rebuild(event_id, client)
    finally:
        client.eval(_RELEASE, 1, k.rebuild_lock, owner)


def rebuild(event_id: str, client: Redis) -> dict[str, int]:
    """Writes the event's state from DynamoDB and, last, the incarnation marker; returns counts."""
    started = time.monotonic()
    k = Keys(event_id)
    generation = recorded_generation(event_id)

    positions: dict[str, str] = {}
    entries: dict[str, int] = {}
    for record in queue_records(event_id, generation):
        # Voided and refused entries hold no position; pre-queued ones none yet (the draw's).
        if not record.voided and not record.prequeued:
            positions[record.request_id] = f"{record.position}:{record.entered_at_ms}"
            entries[str(record.position)] = record.entered_at_ms

    issued = bytearray()
    claims: dict[str, int] = {}
    active: dict[str, int] = {}
    closed_sessions: dict[str, int] = {}
    closed = {SESSION_COMPLETED: 0, SESSION_ABANDONED: 0}
    for token in token_records(event_id, generation):
        _set_bit(issued, token.position)
        claims[token.request_id] = token.issued_at * 1000
        if token.session_status == SESSION_OPEN:
            active[token.request_id] = token.expires_at
        else:
            closed[token.session_status] += 1
            closed_sessions[token.request_id] = token.session_status

    serving, latest_ms, watermark, returned = 0, -1, 0, 0
    history: dict[str, int] = {}
    # idempotency key -> (counter its move produced, seconds it is still remembered)
    remembered: dict[str, tuple[int, int]] = {}
    now_ms = int(time.time() * 1000)
    for move in serving_records(event_id, generation):
        left_s = IDEMPOTENCY_SECONDS - (now_ms - move.issued_at_ms) // 1000
        if move.idempotency_key and left_s > 0:
            remembered[move.idempotency_key] = (move.serving_counter, left_s)
        if move.issued_at_ms >= latest_ms:
            serving, latest_ms = move.serving_counter, move.issued_at_ms
        if move.increment_by > 0:
            history[f"{move.serving_counter}:{move.issued_at_ms}"] = move.serving_counter
        if move.expiry_watermark is not None:
            watermark = max(watermark, move.expiry_watermark)
            returned += move.increment_by

    totals = {
        "queue_counter": max((int(p) for p in entries), default=0),
        "serving_counter": serving,
        "token_counter": len(claims),
        "completed_counter": closed[SESSION_COMPLETED],
        "abandoned_counter": closed[SESSION_ABANDONED],
        "max_queue_position_expired": watermark,
        "expired_queue_counter": returned,
    }
    commands: list[tuple[Any, ...]] = [("UNLINK", *k.all()), ("SET", k.generation, generation)]
    commands += _many("HSET", k.positions, positions.items())
    commands += _many("HSET", k.entries, entries.items())
    commands += _many("HSET", k.token_claims, claims.items())
    commands += _many("HSET", k.closed_sessions, closed_sessions.items())
    commands += _many("ZADD", k.active_tokens, ((score, member) for member, score in active.items()))
    commands += _many("ZADD", k.serving_history, ((score, member) for member, score in history.items()))
    if issued:
        commands.append(("SET", k.tokens_issued, bytes(issued)))
    commands += [("SET", getattr(k, name), value) for name, value in totals.items()]
    commands += [
        ("SET", k.increments + key, counter, "EX", left_s) for key, (counter, left_s) in remembered.items()
    ]
    commands.append(("SET", k.incarnation, int(time.time() * 1000)))
    _send(client, commands)
    seconds = time.monotonic() - started
    details = {"event_id": event_id, "generation": generation, "seconds": seconds, **totals}
    if positions or history or claims or remembered:
        logger.warning("redis state rebuilt from DynamoDB", extra=details)
    else:
        # Nothing was recorded: a first start from empty stores (or a loss before anything
        # happened), which loses nothing and asks nothing of an operator.
        logger.info("redis state initialized", extra=details)
    return {"generation": generation, **totals}


def _set_bit(bitmap: bytearray, offset: int) -> None:
    """SETBIT's layout: offset 0 is the most significant bit of the first byte."""
    index = offset >> 3
    if index >= len(bitmap):
        bitmap.extend(bytes(index + 1 - len(bitmap)))
    bitmap[index] |= 0x80 >> (offset & 7)


def _many(command: str, key: str, pairs: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, ...]]:
    """One command per FIELDS_PER_COMMAND pairs (HSET field value ..., ZADD score member ...)."""
    chunk: list[Any] = []
    for first, second in pairs:
        chunk += (first, second)
        if len(chunk) >= 2 * FIELDS_PER_COMMAND:
            yield (command, key, *chunk)
            chunk = []
    if chunk:
        yield (command, key, *chunk)


def _send(client: Redis, commands: list[tuple[Any, ...]]) -> None:
    """Sends the commands in order, a pipeline at a time; the marker is the last command."""
    for start in range(0, len(commands), PIPELINE_CHUNK):
        with client.pipeline(transaction=False) as pipe:
            for command in commands[start : start + PIPELINE_CHUNK]:
                pipe.execute_command(*command)
            pipe.execute()
