"""The names of an event's Redis keys and the bounds on the numbers they hold.

Its own module so that the scripts (counters.py) and the rebuild from DynamoDB (rebuild.py) both
read it without reading each other: counters.py calls the rebuild, the rebuild writes these keys.
"""

from __future__ import annotations

# How long a serving-counter increment remembers its idempotency key: longer than any retry.
IDEMPOTENCY_SECONDS = 24 * 3600

# Lua numbers in Redis are doubles: integers are exact only below 2**53, and a number that
# `redis.call` turns into a string above that is written "1e+17" (which no read parses). Counters
# the scripts compute stay at or below this, and one increment moves at most MAX_INCREMENT.
MAX_COUNTER = 2**53 - 1
MAX_INCREMENT = 1_000_000_000

COUNTER_NAMES = (
    "queue_counter",
    "serving_counter",
    "token_counter",
    "expired_queue_counter",
    "completed_counter",
    "abandoned_counter",
    "max_queue_position_expired",
    # Entries delivered after the ordering window had passed them: numbered at once, out of order.
    "late_entry_counter",
    # Entries refused because the line was full (max_waiting): they took no number.
    "full_refused_counter",
)


class Keys:
    """The Redis keys of one event."""

    def __init__(self, event_id: str) -> None:
        prefix = f"vwr:{{{event_id}}}:"
        for name in COUNTER_NAMES:
            setattr(self, name, prefix + name)
        self.generation = prefix + "generation"
        self.positions = prefix + "positions"  # request id -> "position:entered_at_ms"
        self.entries = prefix + "entries"  # position -> entered_at_ms (for the sweeper)
        self.pending = prefix + "pending"  # zset: request id -> entered_at_ms, not numbered yet
        self.ordered_through = prefix + "ordered_through"  # every entry up to this ms is numbered
        self.serving_history = prefix + "serving_history"  # zset: counter after increment -> "counter:ms"
        self.tokens_issued = prefix + "tokens_issued"  # bitmap by position
        self.token_claims = prefix + "token_claims"  # request id -> when its token was claimed (ms)
        self.closed_sessions = prefix + "closed_sessions"  # request id -> status it was counted as
        self.active_tokens = prefix + "active_tokens"  # zset: request id -> token expiry (s)
        self.increments = prefix + "increment:"  # + idempotency key -> counter it produced
        self.incarnation = prefix + "incarnation"  # present only in a copy that was built
        self.rebuild_lock = prefix + "rebuild_lock"  # held by the one caller rebuilding the state

    queue_counter: str
    serving_counter: str
    token_counter: str
    expired_queue_counter: str
    completed_counter: str
    abandoned_counter: str
    max_queue_position_expired: str
    late_entry_counter: str
    full_refused_counter: str

    def all(self) -> list[str]:
        return [
            *(getattr(self, name) for name in COUNTER_NAMES),
            self.positions,
            self.entries,
            self.pending,
            self.ordered_through,
            self.serving_history,
            self.tokens_issued,
            self.token_claims,
            self.closed_sessions,
            self.active_tokens,
        ]
