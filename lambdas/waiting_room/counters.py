"""The event's live state in Redis, changed only by atomic Lua scripts.

Every key of an event shares the hash tag `{event_id}` so one event lives in one cluster slot and
the scripts run on ElastiCache Serverless and cluster mode alike.

Why scripts: each visitor-facing operation reads and writes several keys, and doing it in one
script makes it atomic (no lost or doubled position, no token for a position the sweeper has just
expired) and costs one round trip.

The `generation` key holds the time (epoch ms) of the last reset. An entry made before it takes
no position, and DynamoDB records of older generations are void.

Positions follow arrival, not delivery: SQS standard queues and concurrent workers hand entries
over out of order, so an entry first waits in a sorted set scored by its arrival time (stamped by
API Gateway) until it is older than the ordering window, by Redis's clock; then it is numbered
with every other ripe entry, oldest first, whichever worker's call finds it ripe. An entry
delivered after entries that arrived later than it have been numbered is late: it is numbered at
once and counted.

The `incarnation` key marks a copy of the state that was built: by the first initialization, a
reset or a rebuild from DynamoDB (lambdas/waiting_room/rebuild.py). Every script checks it first,
inside the same round trip, so the normal path pays nothing for it. A Redis that restarted empty
(or a failover to a replica that never saw it) has no marker: the script refuses with
`STATE_LOST`, and the caller rebuilds the state, or answers 503 while another caller does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from redis.commands.core import Script
from redis.exceptions import ResponseError

from lambdas.waiting_room.rebuild import rebuild_once
from lambdas.waiting_room.redis_store import Redis, connection
from lambdas.waiting_room.state_keys import (
    COUNTER_NAMES,
    IDEMPOTENCY_SECONDS,
    MAX_COUNTER,
    Keys,
)

# When position `pos` stops being redeemable: its grace window starts at the later of its entry
# and the first increment that made the serving counter reach it. Shared by the scripts below so
# the sweeper and token issuance can never disagree.
_EXPIRES_AT = """
local function expires_at(history_key, pos, entered, now, period)
  local first = redis.call('ZRANGEBYSCORE', history_key, pos, '+inf', 'LIMIT', 0, 1)[1]
  local served_at = now
  if first then served_at = tonumber(string.match(first, ':(%d+)$')) end
  return math.max(entered, served_at) + period
end
local function num(value) return tonumber(value or '0') or 0 end
"""

LOST = "STATE_LOST"

# Every script but the reset's takes the incarnation marker as its last key and refuses to run
# on a copy of the state that was not built (a Redis that lost its data).
_GUARD = f"""
if redis.call('EXISTS', KEYS[#KEYS]) == 0 then return redis.error_reply('{LOST} no incarnation marker') end
"""

# KEYS: queue_counter, positions, entries, generation, pending, ordered_through, late_entry_counter
# ARGV: window_ms, request_id_1, entered_at_ms_1, request_id_2, entered_at_ms_2, ...
# Adds the entries to the pending set, numbers every pending entry older than now - window in
# arrival order (ties by request id), and returns {generation, wait_ms, {answer, ...}} with one
# answer per entry in the order of ARGV: "position:entered", "void" (made before the last reset) or
# "pending"; wait_ms is how long until the last pending one ripens (0: none pending).
# An arrival time in the future (a clock ahead of Redis's) counts as now, so every entry ripens
# within one window. "now" is Redis's TIME: one clock for every worker.
_ASSIGN = (
    _GUARD
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local generation = tonumber(redis.call('GET', KEYS[4]) or '0')
local through = tonumber(redis.call('GET', KEYS[6]) or '0')
local late = 0
for i = 2, #ARGV, 2 do
  local entered = tonumber(ARGV[i + 1])
  if entered >= generation and redis.call('HEXISTS', KEYS[2], ARGV[i]) == 0 then
    local score = math.min(entered, now)
    if redis.call('ZADD', KEYS[5], 'NX', score, ARGV[i]) == 1 and score <= through then late = late + 1 end
  end
end
if late > 0 then redis.call('INCRBY', KEYS[7], late) end
local cutoff = math.max(through, now - window)
local ripe = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', cutoff, 'WITHSCORES')
for i = 1, #ripe, 2 do
  local position = redis.call('INCR', KEYS[1])
  redis.call('HSET', KEYS[2], ripe[i], position .. ':' .. ripe[i + 1])
  redis.call('HSET', KEYS[3], position, ripe[i + 1])
end
if #ripe > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', cutoff) end
if cutoff > through then redis.call('SET', KEYS[6], cutoff) end
local out, wait = {}, 0
for i = 2, #ARGV, 2 do
  local value = redis.call('HGET', KEYS[2], ARGV[i])
  if value then
    out[#out + 1] = value
  elseif tonumber(ARGV[i + 1]) < generation then
    out[#out + 1] = 'void'
  else
    out[#out + 1] = 'pending'
    wait = math.max(wait, tonumber(redis.call('ZSCORE', KEYS[5], ARGV[i])) + window - now + 1)
  end
end
return {generation, wait, out}
"""
)

# KEYS: positions, serving_counter, max_queue_position_expired, serving_history, tokens_issued,
#       token_counter, generation, active_tokens, token_claims
# ARGV: request_id, now_ms, expiry_enabled (0/1), expiry_ms, claim (0/1), token_expires_at_s
# Returns {status, position, entered_ms, generation, expires_at_ms (-1: no expiry), serving,
#          claimed_at_ms (issued only; 0: not known)}
# status: unknown | waiting | expired | issued | available | claimed
_POSITION = (
    _GUARD
    + _EXPIRES_AT
    + """
local value = redis.call('HGET', KEYS[1], ARGV[1])
local generation = num(redis.call('GET', KEYS[7]))
if not value then return {'unknown', 0, 0, generation, -1, 0} end
local sep = string.find(value, ':')
local pos = tonumber(string.sub(value, 1, sep - 1))
local entered = tonumber(string.sub(value, sep + 1))
local now = tonumber(ARGV[2])
local serving = num(redis.call('GET', KEYS[2]))
if serving < pos then return {'waiting', pos, entered, generation, -1, serving} end
local deadline = -1
if ARGV[3] == '1' then deadline = expires_at(KEYS[4], pos, entered, now, tonumber(ARGV[4])) end
if redis.call('GETBIT', KEYS[5], pos) == 1 then
  local claimed_at = num(redis.call('HGET', KEYS[9], ARGV[1]))
  return {'issued', pos, entered, generation, deadline, serving, claimed_at}
end
if ARGV[3] == '1' then
  if pos <= num(redis.call('GET', KEYS[3])) or now > deadline then
    return {'expired', pos, entered, generation, deadline, serving}
  end
end
if ARGV[5] ~= '1' then return {'available', pos, entered, generation, deadline, serving} end
redis.call('SETBIT', KEYS[5], pos, 1)
redis.call('HSET', KEYS[9], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[6])
redis.call('ZADD', KEYS[8], ARGV[6], ARGV[1])
return {'claimed', pos, entered, generation, deadline, serving}
"""
)

# KEYS: serving_counter, queue_counter, max_queue_position_expired, expired_queue_counter,
#       entries, serving_history, tokens_issued, generation
# ARGV: now_ms, expiry_ms, max_steps, return_expired_to_serving (0/1)
# Walks from the watermark up to min(serving, queue): a position above the queue counter was never
# assigned, so the walk cannot wait for it.
# Returns {watermark, expired, serving_before, serving_after, generation}.
_SWEEP = (
    _GUARD
    + _EXPIRES_AT
    + """
local now, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local serving = num(redis.call('GET', KEYS[1]))
local watermark = num(redis.call('GET', KEYS[3]))
local limit = math.min(serving, num(redis.call('GET', KEYS[2])), watermark + tonumber(ARGV[3]))
local expired = 0
local pos = watermark
while pos < limit do
  local next_pos = pos + 1
  local entered = num(redis.call('HGET', KEYS[5], next_pos))
  if now <= expires_at(KEYS[6], next_pos, entered, now, period) then break end
  if redis.call('GETBIT', KEYS[7], next_pos) == 0 then expired = expired + 1 end
  pos = next_pos
end
if pos > watermark then redis.call('SET', KEYS[3], pos) end
local after = serving
if expired > 0 then
  redis.call('INCRBY', KEYS[4], expired)
  if ARGV[4] == '1' then
    after = redis.call('INCRBY', KEYS[1], expired)
    redis.call('ZADD', KEYS[6], after, string.format('%d:%d', after, now))
  end
end
return {pos, expired, serving, after, num(redis.call('GET', KEYS[8]))}
"""
)

# KEYS: serving_counter, serving_history, idempotency key, generation
# ARGV: increment_by, now_ms, use the idempotency key (0/1), its lifetime in seconds, MAX_COUNTER
# Returns {outcome, serving counter, generation}: 1 applied, 0 refused (would go below zero, counter
# unchanged), 2 already applied under this idempotency key (the counter it produced then),
# 3 refused (would go above MAX_COUNTER, counter unchanged).
# string.format('%d') writes the member exactly; `..` would write 15 digits and more as "1.2e+14".
_INCREMENT = (
    _GUARD
    + """
local generation = tonumber(redis.call('GET', KEYS[4]) or '0')
if ARGV[3] == '1' then
  local seen = redis.call('GET', KEYS[3])
  if seen then return {2, tonumber(seen), generation} end
end
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local new = current + tonumber(ARGV[1])
if new < 0 then return {0, current, generation} end
if new > tonumber(ARGV[5]) then return {3, current, generation} end
redis.call('SET', KEYS[1], new)
if tonumber(ARGV[1]) > 0 then redis.call('ZADD', KEYS[2], new, string.format('%d:%s', new, ARGV[2])) end
if ARGV[3] == '1' then redis.call('SET', KEYS[3], new, 'EX', ARGV[4]) end
return {1, new, generation}
"""
)

# KEYS: the generation key, the incarnation marker, then every other key of the event
# ARGV: now_ms, the generation last recorded in DynamoDB
# The generation strictly increases, even for two resets within one millisecond, and even when
# Redis lost the last one. A reset builds a whole new state, so it writes the marker.
_RESET = """
for i = 3, #KEYS do redis.call('UNLINK', KEYS[i]) end
local last = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(ARGV[2]))
local generation = math.max(last + 1, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], generation)
redis.call('SET', KEYS[2], ARGV[1])
return generation
"""

# KEYS: closed_sessions, completed_counter or abandoned_counter, active_tokens
# ARGV: request_id, status
# Counts a closed session once per request id, however often it is retried. Returns the counter
# after this call counted it, 0 if it was counted before.
_CLOSE_SESSION = (
    _GUARD
    + """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local counted = redis.call('INCR', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return counted
"""
)

# KEYS: queue_counter, positions, entries
# ARGV: first position - 1, request_id_1, entered_at_ms_1, request_id_2, entered_at_ms_2, ...
# Gives the entries the positions after the first, in ARGV's order (a drawn pre-queue), and raises
# the queue counter to the last of them. Writing the same entries again writes the same values, so
# a draw that resumes after a crash or a rebuild gives every entry the place it gave it before.
_PLACE = (
    _GUARD
    + """
local offset = tonumber(ARGV[1])
local position = offset
for i = 2, #ARGV, 2 do
  position = position + 1
  redis.call('HSET', KEYS[2], ARGV[i], string.format('%d:%s', position, ARGV[i + 1]))
  redis.call('HSET', KEYS[3], position, ARGV[i + 1])
end
if num(redis.call('GET', KEYS[1])) < position then redis.call('SET', KEYS[1], position) end
return position
"""
)

PositionStatus = Literal["unknown", "waiting", "expired", "issued", "available", "claimed"]


@dataclass(frozen=True)
class PositionState:
    status: PositionStatus
    position: int
    entered_at_ms: int
    generation: int
    # Epoch ms after which an unredeemed position is expired; None when expiry is off or unserved.
    expires_at_ms: int | None
    serving_counter: int
    # When the position's token was claimed (epoch ms), for an "issued" position; None if unknown.
    claimed_at_ms: int | None = None


@dataclass(frozen=True)
class Assignment:
    position: int
    entered_at_ms: int


@dataclass(frozen=True)
class Numbering:
    """The answer of `EventCounters.assign`."""

    generation: int
    # Milliseconds until the last pending entry ripens; 0 when none is pending.
    wait_ms: int
    # Per entry asked: its assignment, None (made before the last reset: no position) or "pending".
    assignments: list[Assignment | Literal["pending"] | None]


@dataclass(frozen=True)
class SweepResult:
    watermark: int
    expired: int
    serving_before: int
    serving_after: int
    generation: int = 0


ServingOutcome = Literal["applied", "refused", "repeated", "too_large"]


@dataclass(frozen=True)
class ServingMove:
    outcome: ServingOutcome
    serving_counter: int
    generation: int


@cache
def _scripts(client: Redis) -> tuple[Script, ...]:
    """The scripts, registered (and hashed) once per client rather than once per request."""
    return tuple(client.register_script(body) for body in (_ASSIGN, _POSITION, _SWEEP, _INCREMENT, _RESET))


@cache
def _close_session_script(client: Redis) -> Script:
    return client.register_script(_CLOSE_SESSION)


@cache
def _place_script(client: Redis) -> Script:
    return client.register_script(_EXPIRES_AT + _PLACE)


class EventCounters:
    """The operations on one event's Redis state. Each method is one round trip on the normal path.

    A method that finds the state lost rebuilds it (lambdas/waiting_room/rebuild.py) and runs once
    more; while another caller rebuilds, it raises `Rebuilding`.
    """

    def __init__(self, event_id: str, client: Redis | None = None) -> None:
        self.event_id = event_id
        self.keys = Keys(event_id)
        self.redis = client or connection()
        self._assign, self._position, self._sweep, self._increment, self._reset = _scripts(self.redis)

    def _run(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        """Runs a guarded script; a lost state is rebuilt first, then the script runs again."""
        keys = [*keys, self.keys.incarnation]
        try:
            return script(keys=keys, args=args)
        except ResponseError as error:
            if not str(error).startswith(LOST):
                raise
        self.recover()
        return script(keys=keys, args=args)

    def _read(self, read: Callable[[], list[Any]]) -> list[Any]:
        """Values read together with the marker (last): a missing marker means a lost state."""
        values = read()
        if values[-1] is None:
            self.recover()
            values = read()
        return values[:-1]

    def _ensure_built(self) -> None:
        """Off the normal path only: a read found nothing, which a lost state would also explain."""
        if not self.redis.exists(self.keys.incarnation):
            self.recover()

    def recover(self) -> None:
        """Rebuilds the state from DynamoDB; raises `Rebuilding` if another caller is doing it."""
        rebuild_once(self.event_id, self.redis)

    def invalidate(self) -> None:
        """Declares this copy of the state untrustworthy (DynamoDB contradicts it): the next
        script refuses and the state is rebuilt. For a failover that kept the marker but lost
        recent writes."""
        self.redis.delete(self.keys.incarnation)

    def assign(self, entries: list[tuple[str, int]], *, window_ms: int = 0) -> Numbering:
        """Numbers (request id, entered_at ms) pairs in arrival order, idempotent per request id.

        Entries younger than `window_ms` (by Redis's clock) stay pending: ask again after
        `Numbering.wait_ms`. With a window of 0 every entry is numbered at once.
        """
        if not entries:
            return Numbering(0, 0, [])
        k = self.keys
        argv = [window_ms, *(value for request_id, entered in entries for value in (request_id, entered))]
        generation, wait_ms, values = self._run(
            self._assign,
            [
                k.queue_counter,
                k.positions,
                k.entries,
                k.generation,
                k.pending,
                k.ordered_through,
                k.late_entry_counter,
            ],
            argv,
        )
        out: list[Assignment | Literal["pending"] | None] = []
        for value in values:
            if value == "void":
                out.append(None)
            elif value == "pending":
                out.append("pending")
            else:
                position, entered = value.split(":")
                out.append(Assignment(int(position), int(entered)))
        return Numbering(int(generation), int(wait_ms), out)

    def place(self, after: int, entries: list[tuple[str, int]]) -> int:
        """Numbers (request id, entered_at ms) pairs after position `after`, in the list's order,
        in one round trip; returns the last position. Idempotent: the draw's numbering."""
        k = self.keys
        argv = [after, *(value for request_id, entered in entries for value in (request_id, entered))]
        return int(self._run(_place_script(self.redis), [k.queue_counter, k.positions, k.entries], argv))

    def numbered(self, request_ids: list[str]) -> set[str]:
        """Those of the request ids that hold a position, in one read."""
        values = self.redis.hmget(self.keys.positions, request_ids) if request_ids else []
        return {
            request_id for request_id, value in zip(request_ids, values, strict=True) if value is not None
        }

    def count_full_refusals(self, refused: int) -> None:
        """Counts entries refused because the line was full (a statistic, not rebuilt)."""
        self.redis.incrby(self.keys.full_refused_counter, refused)

    def position(
        self,
        request_id: str,
        *,
        now_ms: int,
        expiry_ms: int | None,
        claim_until_s: int | None = None,
    ) -> PositionState:
        """The state of a request id's position; with `claim_until_s`, claims its token atomically.

        A claim succeeds once per position: it counts the token, marks the position redeemed and
        adds the request id to the active tokens (expiring at `claim_until_s`).
        """
        k = self.keys
        status, position, entered, generation, deadline, serving, *claimed = self._run(
            self._position,
            [
                k.positions,
                k.serving_counter,
                k.max_queue_position_expired,
                k.serving_history,
                k.tokens_issued,
                k.token_counter,
                k.generation,
                k.active_tokens,
                k.token_claims,
            ],
            [
                request_id,
                now_ms,
                0 if expiry_ms is None else 1,
                expiry_ms or 0,
                0 if claim_until_s is None else 1,
                claim_until_s or 0,
            ],
        )
        return PositionState(
            status=status,
            position=int(position),
            entered_at_ms=int(entered),
            generation=int(generation),
            expires_at_ms=None if int(deadline) < 0 else int(deadline),
            serving_counter=int(serving),
            claimed_at_ms=(int(claimed[0]) or None) if claimed else None,
        )

    def sweep(self, *, now_ms: int, expiry_ms: int, max_steps: int, return_to_serving: bool) -> SweepResult:
        k = self.keys
        watermark, expired, before, after, generation = self._run(
            self._sweep,
            [
                k.serving_counter,
                k.queue_counter,
                k.max_queue_position_expired,
                k.expired_queue_counter,
                k.entries,
                k.serving_history,
                k.tokens_issued,
                k.generation,
            ],
            [now_ms, expiry_ms, max_steps, int(return_to_serving)],
        )
        return SweepResult(int(watermark), int(expired), int(before), int(after), int(generation))

    def increment_serving(
        self, increment_by: int, *, now_ms: int, idempotency_key: str | None = None
    ) -> tuple[ServingOutcome, int]:
        move = self.move_serving(increment_by, now_ms=now_ms, idempotency_key=idempotency_key)
        return move.outcome, move.serving_counter

    def move_serving(
        self, increment_by: int, *, now_ms: int, idempotency_key: str | None = None
    ) -> ServingMove:
        """Moves the serving counter, unless that would take it below zero or above MAX_COUNTER.

        With an idempotency key, a repeated call (a client's retry after a lost answer) changes
        nothing and gets the counter its first call produced.
        """
        outcome, value, generation = self._run(
            self._increment,
            [
                self.keys.serving_counter,
                self.keys.serving_history,
                f"{self.keys.increments}{idempotency_key or ''}",
                self.keys.generation,
            ],
            [increment_by, now_ms, int(idempotency_key is not None), IDEMPOTENCY_SECONDS, MAX_COUNTER],
        )
        outcomes: tuple[ServingOutcome, ...] = ("refused", "applied", "repeated", "too_large")
        return ServingMove(outcomes[int(outcome)], int(value), int(generation))

    def reset(self, *, now_ms: int, recorded_generation: int = 0) -> int:
        """Zeroes every counter and voids every position; returns the new generation.

        `recorded_generation`: the last generation DynamoDB holds, so the new one is above it even
        when Redis lost the last reset.
        """
        k = self.keys
        return int(
            self._reset(keys=[k.generation, k.incarnation, *k.all()], args=[now_ms, recorded_generation])
        )

    def clear(self) -> None:
        """Removes the event's whole state (the event was deleted): nothing of it stays in Redis."""
        k = self.keys
        self.redis.delete(*k.all(), k.generation, k.incarnation)

    def initialize(self) -> None:
        """Builds the state where there is none: from DynamoDB, empty at the stack's creation."""
        self._ensure_built()

    def counters(self) -> dict[str, int]:
        keys = [*(getattr(self.keys, name) for name in COUNTER_NAMES), self.keys.incarnation]
        values = self._read(lambda: self.redis.mget(keys))
        return {name: int(value or 0) for name, value in zip(COUNTER_NAMES, values, strict=True)}

    def counter(self, name: str) -> int:
        """One counter of COUNTER_NAMES."""
        (value,) = self._read(lambda: self.redis.mget([getattr(self.keys, name), self.keys.incarnation]))
        return int(value or 0)

    def serving_counter(self) -> int:
        (value,) = self._read(lambda: self.redis.mget([self.keys.serving_counter, self.keys.incarnation]))
        return int(value or 0)

    def waiting(self) -> int:
        """Entered, not holding a token, not expired; never negative."""
        return self.line()[1]

    def line(self) -> tuple[int, int]:
        """The serving counter and the number waiting, in one read (what the page polls)."""
        k = self.keys
        keys = [k.serving_counter, k.queue_counter, k.token_counter, k.expired_queue_counter, k.incarnation]
        serving, queue, tokens, expired = self._read(lambda: self.redis.mget(keys))
        return int(serving or 0), max(0, int(queue or 0) - int(tokens or 0) - int(expired or 0))

    def recent_moves_ms(self, serving: int, count: int = 3) -> list[int]:
        """When the counter last moved up to `serving` or below it, oldest first (ms since the epoch):
        the page tells a line that moves in steps from these, and when its next step is due."""
        members = self.redis.zrevrangebyscore(self.keys.serving_history, serving, "-inf", start=0, num=count)
        return sorted(int(member.rsplit(":", 1)[1]) for member in members)

    def lookup(self, request_id: str) -> Assignment | None:
        value = self.redis.hget(self.keys.positions, request_id)
        if value is None:
            self._ensure_built()
            value = self.redis.hget(self.keys.positions, request_id)
            if value is None:
                return None
        position, entered = value.split(":")
        return Assignment(int(position), int(entered))

    def generation(self) -> int:
        (value,) = self._read(lambda: self.redis.mget([self.keys.generation, self.keys.incarnation]))
        return int(value or 0)

    def session_open(self, request_id: str, *, now_s: int) -> bool:
        """The request id holds an unexpired token of this generation whose session is not closed.

        One O(1) read: closing a session removes it from the active set, a reset removes the set.
        """
        expires_at = self.redis.zscore(self.keys.active_tokens, request_id)
        if expires_at is None:
            self._ensure_built()
            expires_at = self.redis.zscore(self.keys.active_tokens, request_id)
        return expires_at is not None and expires_at > now_s

    def active_tokens(self, *, now_s: int) -> int:
        """Unexpired tokens whose session is open: O(log n), no scan."""

        def read() -> list[Any]:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.zcount(self.keys.active_tokens, f"({now_s}", "+inf")
                pipe.get(self.keys.incarnation)
                return pipe.execute()

        (count,) = self._read(read)
        return int(count)

    def close_session(self, request_id: str, completed: bool) -> int | None:
        """Counts the session as completed or abandoned, once: the counter after this call counted
        it, or None if it was counted before.

        Idempotent so that a retry after DynamoDB recorded the close but Redis did not count it
        completes the count instead of doubling or losing it.
        """
        k = self.keys
        counted = self._run(
            _close_session_script(self.redis),
            [
                k.closed_sessions,
                k.completed_counter if completed else k.abandoned_counter,
                k.active_tokens,
            ],
            [request_id, 1 if completed else -1],
        )
        return int(counted) or None

    def prune_active_tokens(self, *, now_s: int) -> int:
        """Drops expired members so the active set stays the size of the live sessions."""
        return int(self.redis.zremrangebyscore(self.keys.active_tokens, "-inf", now_s))
