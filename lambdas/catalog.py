"""The wiring table: every function of the product and how it is reached.

Both runtimes read this table and nothing else to know what exists. The CDK stacks turn an entry
into a Lambda function, its trigger, its least-privilege grants and its CDN cache policy; the local
runtime turns the same entry into an HTTP route, an SQS poller, a timer or an SNS subscription.
Adding a function is one entry here plus its module.

This module imports nothing of the project so that `stacks/` can read it without loading handler
code (and handler dependencies) into the CDK app.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Api = Literal["public", "private", "store", "oidc"]
Stack = Literal["core", "authorizer", "sample", "inlet", "openid", "edge"]
Access = Literal["read", "write", "read_write", "send", "publish"]


class Resource(StrEnum):
    """A shared resource a function may use; the value is the environment variable naming it."""

    QUEUE_POSITIONS_TABLE = "QUEUE_POSITIONS_TABLE"
    TOKENS_TABLE = "TOKENS_TABLE"
    SERVING_COUNTER_TABLE = "SERVING_COUNTER_TABLE"
    # The event registry: which events the deployment serves, and their settings.
    EVENTS_TABLE = "EVENTS_TABLE"
    OIDC_CODES_TABLE = "OIDC_CODES_TABLE"
    ENTRY_QUEUE = "ENTRY_QUEUE_URL"
    # The entry queue's dead-letter queue: "read" is its depth, "read_write" also takes entries off it.
    ENTRY_DEAD_LETTERS = "ENTRY_DLQ_URL"
    EVENT_BUS = "EVENT_BUS_NAME"
    JWT_KEYS_SECRET = "JWT_SECRET_ID"
    # The edge gate's HMAC keys ({"kid", "secret", "previous"?}), current and previous.
    EDGE_KEYS_SECRET = "EDGE_KEYS_SECRET_ID"
    # The edge gate's CloudFront KeyValueStore (its ARN).
    EDGE_STORE = "EDGE_KVS_ARN"
    # The signing key's public half (a JWK) in an SSM parameter, for functions that only verify.
    JWT_PUBLIC_KEY = "JWT_PUBLIC_KEY_PARAMETER"
    REDIS_AUTH_SECRET = "REDIS_AUTH_SECRET_ID"
    # The secret the proof-of-work challenges' HMAC keys are derived from (one key per event).
    POW_KEY_SECRET = "POW_KEY_SECRET_ID"
    OIDC_CLIENT_SECRET = "OIDC_CLIENT_SECRET_ID"
    PRIVATE_API = "PRIVATE_API_URL"
    CLOUDWATCH_ALARMS = "CLOUDWATCH_ALARM_NAME"
    # The EventBridge Scheduler group of the draws' one-time schedules (its name); a function that
    # writes them also gets DRAW_TARGET_VARIABLE and DRAW_SCHEDULE_ROLE_VARIABLE.
    DRAW_SCHEDULES = "DRAW_SCHEDULE_GROUP"


# What a draw's schedule invokes (the Draw function's ARN) and the role it invokes it as.
DRAW_TARGET_VARIABLE = "DRAW_FUNCTION_ARN"
DRAW_SCHEDULE_ROLE_VARIABLE = "DRAW_SCHEDULE_ROLE_ARN"


class Setting(StrEnum):
    """A deployment parameter a function reads; the value is its environment variable."""

    EVENT_ID = "EVENT_ID"
    REDIS_URL = "REDIS_URL"
    # "true" where Redis speaks only cluster mode (ElastiCache Serverless): the cluster client.
    REDIS_CLUSTER = "REDIS_CLUSTER"
    PUBLIC_API_URL = "PUBLIC_API_URL"
    TOKEN_VALIDITY_SECONDS = "TOKEN_VALIDITY_SECONDS"
    ENABLE_QUEUE_POSITION_EXPIRY = "ENABLE_QUEUE_POSITION_EXPIRY"
    QUEUE_POSITION_EXPIRY_SECONDS = "QUEUE_POSITION_EXPIRY_SECONDS"
    INCR_SERVING_ON_EXPIRY = "INCR_SERVING_ON_EXPIRY"
    ENABLE_EVENTS = "ENABLE_EVENTS"
    ISSUER = "ISSUER"
    INLET_INCREMENT_BY = "INLET_INCREMENT_BY"
    INLET_START_TIME = "INLET_START_TIME"
    INLET_END_TIME = "INLET_END_TIME"
    INLET_MAX_SIZE = "INLET_MAX_SIZE"
    OIDC_PAGE_URL = "OIDC_PAGE_URL"
    # The region SigV4 signs private API calls for (the core's); empty: the function's own.
    CORE_API_REGION = "CORE_API_REGION"
    # "true": the authorizer also refuses tokens whose session was closed with /update_session.
    DENY_CLOSED_SESSIONS = "DENY_CLOSED_SESSIONS"
    # The OpenID adapter's own issuer (its API's base URL), not the core's ISSUER.
    OIDC_ISSUER = "OIDC_ISSUER"
    # Overrides the queue trigger's ordering window (milliseconds), e.g. `vwr local --set`.
    ORDERING_WINDOW_MS = "ORDERING_WINDOW_MS"
    # Leading zero bits of the proof of work an entry needs (lambdas/waiting_room/proof_of_work.py);
    # 0: none, as the retired solution's clients expect.
    POW_DIFFICULTY = "POW_DIFFICULTY"
    # The edge gate's own settings (lambdas/waiting_room/edge_store.py `gate_config`), as JSON.
    EDGE_GATE = "EDGE_GATE_CONFIG"
    # Seconds to which the scheduler fires a one-time schedule: 60 on AWS (EventBridge Scheduler),
    # 1 locally (lambdas/waiting_room/draw_schedule.py).
    SCHEDULER_PRECISION_SECONDS = "SCHEDULER_PRECISION_SECONDS"


# A reset must be visible at the CDN within this many seconds: no cached public answer may still
# describe the generation before it (API.md, "reset").
RESET_VISIBLE_WITHIN_SECONDS = 5

# The edge gate's store sync (lambdas/edge_sync.py): a scheduled run checks this often, this many
# times, so a change reaches the store within the interval however the minute's runs fall.
EDGE_SYNC_INTERVAL_SECONDS = 10
EDGE_SYNC_ROUNDS = 6

# The dead-letter redrive's wait for a first message (lambdas/waiting_room/dead_letters.py): a short
# long-poll, since an empty short poll may miss messages SQS keeps on hosts it did not sample. An
# idle run lasts about this long, which the cost model bills.
DEAD_LETTER_POLL_SECONDS = 1

# The Draw function's sweep: each draw runs at its sale's start from a one-time schedule; this rule
# runs any draw that is due and not done (a schedule that was not written, fired early or failed),
# so such a sale starts at most this late. Each minute: a slower sweep saved about $0.12 a month
# and made every failed schedule a sale's start up to that much later.
DRAW_SWEEP_MINUTES = 1

# How many events one deployment may register, and so the most one page of GET /events holds.
# The scheduled jobs visit every event each minute; they stay well inside their limits at this size.
MAX_EVENTS = 1000


@dataclass(frozen=True)
class CachePolicy:
    """How the CDN (CloudFront, or the local gateway) caches a GET route.

    Only 200 answers are cached; a 202 ("not yet") must reach the origin again.

    An answer that describes the event's state (counters, positions) is kept at most
    `RESET_VISIBLE_WITHIN_SECONDS`, so a reset reaches every viewer within that bound by expiry
    alone. The two other ways were weighed and refused: a CloudFront invalidation (what the retired
    solution did) has no completion bound (typically tens of seconds to minutes) and needs the
    distribution's id in a function the distribution itself depends on; a cache key that changes
    with the generation needs the viewer to send the generation, which the retired page does not.
    Only `/queue_num`'s 200 lost its long TTL by this, and the page asks for it once per visit.
    """

    ttl_seconds: int
    query_keys: tuple[str, ...]
    # False only for answers that a reset cannot change (the public key).
    describes_generation: bool = True


# The methods a browser may call across origins: every route's, and the preflight's own. The
# handlers' CORS headers and the stacks' preflight answers both read it.
CORS_METHODS = ("GET", "POST", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Route:
    api: Api
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    # A `{name}` segment is a path parameter (API Gateway's syntax).
    path: str
    cache: CachePolicy | None = None
    # The store API's routes sit behind the waiting room's authorizer.
    authorized: bool = False
    # A public read that every waiting visitor polls and the CDN answers from its cache, shared by
    # all of them: also served by a second distribution without the web ACL (WAF prices every
    # request it inspects; the origin sees one request per cache period whatever the traffic).
    shared_read: bool = False

    @property
    def arn_path(self) -> str:
        """The path as an execute-api ARN names it: a path parameter matches any one value."""
        return re.sub(r"\{[^/]+\}", "*", self.path)


@dataclass(frozen=True)
class QueueTrigger:
    """Lambda event source mapping on the entry queue, with partial batch responses."""

    batch_size: int = 100
    max_batching_window_seconds: int = 1
    max_receive_count: int = 5
    visibility_timeout_seconds: int = 180
    # Positions follow arrival time within this window: an entry is numbered once it is this old,
    # after every entry that arrived before it. It must outlast the batching window plus SQS's
    # own delay, or entries arrive late (numbered at once, counted as late_entry_counter).
    ordering_window_ms: int = 2000


@dataclass(frozen=True)
class StreamTrigger:
    """Lambda event source mappings on the streams of the tables that carry outbox events (OUTBOX),
    one per table, each filtered to its events so that other changes never invoke the function.

    A failed record is retried on its own (partial batch responses), its batch halved on each
    error until the record stands alone, at most `retry_attempts` times and while it is younger
    than `max_record_age_seconds`; then the mapping sends its position to the failure queue, so a
    record that could not be delivered is known, never silently dropped.
    """

    batch_size: int = 100
    # 0: invoked as soon as records arrive (an event is late by Lambda's poll, about a second).
    max_batching_window_seconds: int = 0
    retry_attempts: int = 10
    # A day: what the stream keeps, so only retries, never age, end a record's chances.
    max_record_age_seconds: int = 86_400


@dataclass(frozen=True)
class Schedule:
    rate_minutes: int = 1
    # A Setting that must be "true" for the rule to be enabled; None: always enabled.
    enabled_by: Setting | None = None


@dataclass(frozen=True)
class TopicTrigger:
    """An SNS topic of the function's own stack that invokes it."""

    topic: str


@dataclass(frozen=True)
class CustomResourceTrigger:
    """A CloudFormation custom resource (CDK Provider framework) backed by the function."""

    resource_type: str
    # `vwr local` runs it at start-up as the stack would at deployment (False: nothing local to do).
    runs_locally: bool = True


@dataclass(frozen=True)
class AuthorizerTrigger:
    """An API Gateway Lambda authorizer in front of the store API.

    TOKEN: API Gateway passes the `Authorization` header alone and answers 401 itself when the
    header is missing; REQUEST: it passes the whole request.
    """

    kind: Literal["TOKEN", "REQUEST"] = "TOKEN"
    # API Gateway keeps a decision this long per `Authorization` header (the identity source), so a
    # visitor's burst of calls costs one authorization. It is also how long a closed session or
    # a reset may go unnoticed by a token already admitted.
    result_cache_seconds: int = RESET_VISIBLE_WITHIN_SECONDS


Trigger = (
    Route | QueueTrigger | StreamTrigger | Schedule | TopicTrigger | CustomResourceTrigger | AuthorizerTrigger
)


@dataclass(frozen=True)
class Function:
    name: str
    handler: str
    stack: Stack
    triggers: tuple[Trigger, ...]
    uses: tuple[tuple[Resource, Access], ...] = ()
    settings: tuple[Setting, ...] = ()
    description: str = ""
    timeout_seconds: int = 10
    memory_mb: int = 512
    extra_permissions: tuple[str, ...] = field(default=())
    # The private routes the function calls ("POST /increment_serving_counter"): it may invoke
    # those and no other (the stacks grant execute-api:Invoke route by route).
    calls: tuple[str, ...] = ()

    @property
    def needs_redis(self) -> bool:
        """Functions that talk to Redis run inside the VPC; no other function does."""
        return Setting.REDIS_URL in self.settings

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(t for t in self.triggers if isinstance(t, Route))


# What CloudFrontWebAcl does to its one web ACL (the core stack scopes them to it).
WEB_ACL_PERMISSIONS = ("wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL")

_EXPIRY = (
    Setting.ENABLE_QUEUE_POSITION_EXPIRY,
    Setting.QUEUE_POSITION_EXPIRY_SECONDS,
)
# The deployment's parameters that an event takes where it sets nothing else
# (lambdas/waiting_room/registry.py): every function that looks an event up reads them.
_EVENT_DEFAULTS = (
    *_EXPIRY,
    Setting.INCR_SERVING_ON_EXPIRY,
    Setting.TOKEN_VALIDITY_SECONDS,
    Setting.POW_DIFFICULTY,
)
# Settings most core functions read.
_CORE = (Setting.EVENT_ID, Setting.REDIS_URL, Setting.REDIS_CLUSTER, *_EVENT_DEFAULTS)
_TOKEN = (Setting.ISSUER,)
# Functions that put events themselves (the metrics job); token, session and automatic increment
# events leave through their tables' streams instead (OUTBOX below).
_EVENTS = (Resource.EVENT_BUS, "write")


def _with_state(*uses: tuple[Resource, Access]) -> tuple[tuple[Resource, Access], ...]:
    """The uses of a function that works on an event's Redis state: its own, plus the registry
    that says which events exist, the Redis password, and the tables a rebuild of the state reads
    back (lambdas/waiting_room/rebuild.py), since whichever function first finds the state lost
    rebuilds it."""
    merged: dict[Resource, Access] = {
        Resource.EVENTS_TABLE: "read",
        Resource.REDIS_AUTH_SECRET: "read",
        **dict(uses),
    }
    for table in REBUILD_READS:
        merged[table] = "read" if merged.get(table, "read") == "read" else "read_write"
    return tuple(merged.items())


REBUILD_READS = (Resource.QUEUE_POSITIONS_TABLE, Resource.TOKENS_TABLE, Resource.SERVING_COUNTER_TABLE)
_ISSUES_TOKENS = _with_state(
    (Resource.TOKENS_TABLE, "read_write"),
    (Resource.JWT_KEYS_SECRET, "read"),
)

SHORT = CachePolicy(ttl_seconds=RESET_VISIBLE_WITHIN_SECONDS, query_keys=("event_id",))
PER_VISITOR_SHORT = CachePolicy(
    ttl_seconds=RESET_VISIBLE_WITHIN_SECONDS, query_keys=("event_id", "request_id")
)
LONG = CachePolicy(ttl_seconds=3600, query_keys=("event_id",), describes_generation=False)
# The counters the page polls are kept shorter than SHORT: a page that asks just after a step is
# due must get an answer made after it, and a cached answer is at most this old. What it costs does
# not grow with visitors: each CDN cache asks the origin once per TTL whoever polls, so at 2 s
# instead of 5 s a cache sends 1,800 requests an hour instead of 720 (13 regional caches: 14,040
# more requests an hour, about $0.05 of API Gateway and Lambda).
LINE_CACHE_SECONDS = 2
LINE = CachePolicy(ttl_seconds=LINE_CACHE_SECONDS, query_keys=("event_id",))
# The queue worker's mapping on the entry queue. An entry is numbered no sooner than it is one
# ordering window old, and at most one batching window later than that: before then `/queue_num`
# can only answer 202.
ENTRY_QUEUE_TRIGGER = QueueTrigger()
ENTRY_NUMBERED_WITHIN_MS = (
    ENTRY_QUEUE_TRIGGER.ordering_window_ms + 1000 * ENTRY_QUEUE_TRIGGER.max_batching_window_seconds
)


@dataclass(frozen=True)
class PollSchedule:
    """How often the waiting room page polls `/serving_num`: as often as the line moves.

    Rare far from the front, often near it, in between from the serving rate the page measured:
    the wait it expects, times `fraction`, within [near_ms, far_ms]. A visitor whom one step of
    the counter could reach (within `near_places`, or within the largest step seen) is polled at
    near_ms. Before the page knows a rate it polls again after half the time it has watched, so a
    line that moves is measured within seconds and one that stands still is asked rarely.

    A line that moves in steps at a regular period (the Periodic inlet: once a minute) is asked
    just after each step is due instead (`step_aligned_ms`): a poll between two steps could only
    see what the last one saw. The answer says when the counter moved (`moved_at_ms`), so the page
    knows the period and when the next step is due; it asks `after_step_ms` later (the CDN may
    keep the answer before the step that long), and at near_ms while a due step is late, as before.
    A line that moves often or irregularly (MaxSize) is polled by `delay_ms` alone.

    Before that, the position: asked first once the entry queue has surely numbered the entry
    (`first_ask_ms`), then again on a short bounded back-off while it answers 202 (`assign_retry_ms`).

    `waiting_room_site/js/schedule.js` is the page's copy and `vwr load` visitors use this one;
    tests/browser/test_schedule_parity.py runs both over the same inputs. The cost model
    (stacks/cost.py) counts the polls of a wait with it.
    """

    near_ms: int = 2000
    far_ms: float = 30000
    fraction: float = 0.25
    near_places: int = 10
    # The CDN's cache of the answer, plus a margin for the request and the inlet's own lateness.
    after_step_ms: int = LINE_CACHE_SECONDS * 1000 + 500
    # Steps count as regular when every gap is within this share of the period.
    regularity: float = 0.2
    # The first ask for the position after entering: once the entry has surely been numbered (and a
    # margin), since every earlier ask is answered 202 and billed.
    first_ask_ms: int = ENTRY_NUMBERED_WITHIN_MS + 250

    def delay_ms(self, places: int, per_ms: float | None, largest_step: int, watched_ms: float) -> int:
        """Milliseconds to the next poll for a visitor `places` from being served.

        `per_ms` is the measured serving rate (None: not known yet), `largest_step` the largest
        single move of the counter seen, `watched_ms` how long the page has watched the counter.
        """
        if places <= max(self.near_places, largest_step):
            return self.near_ms
        delay = watched_ms / 2 if per_ms is None or per_ms <= 0 else self.fraction * places / per_ms
        return int(min(self.far_ms, max(self.near_ms, delay)) + 0.5)

    def step_period_ms(self, moved_at_ms: list[float]) -> float | None:
        """The period of a line that moves in regular steps, from its last moves (page clock, oldest
        first); None for a line that moves irregularly, or more often than 4 near intervals."""
        if len(moved_at_ms) < 3:
            return None
        gaps = [b - a for a, b in itertools.pairwise(moved_at_ms)]
        period = (moved_at_ms[-1] - moved_at_ms[0]) / len(gaps)
        if period < 4 * self.near_ms or any(abs(gap - period) > self.regularity * period for gap in gaps):
            return None
        return period

    def step_aligned_ms(
        self, places: int, delay_ms: int, largest_step: int, moved_at_ms: list[float], now_ms: float
    ) -> int | None:
        """Milliseconds to a poll just after a step is due, for a line that moves in regular steps;
        None otherwise (poll after `delay_ms`, the schedule's delay).

        Near the front: just after the next step, then at near_ms while it is late. Farther: just
        after the last step due within `delay_ms`, or else the first one after it, at most two far
        intervals (and the step's margin) away: a step is seen as soon as before, with fewer polls.
        """
        period = self.step_period_ms(moved_at_ms)
        if period is None:
            return None
        first_due = moved_at_ms[-1] + period + self.after_step_ms
        if places <= max(self.near_places, largest_step):
            return int(first_due - now_ms + 0.5) if first_due > now_ms else self.near_ms
        due = first_due + max(0, (now_ms + delay_ms - first_due) // period) * period
        if due > now_ms + delay_ms:
            due = first_due  # the first due poll lies beyond the schedule's own delay
        elif due <= now_ms + self.near_ms:
            due += period
        return int(min(due - now_ms, 2 * self.far_ms + self.after_step_ms) + 0.5)

    def with_near(self, near_ms: int) -> PollSchedule:
        """The schedule with another near interval (the page's `poll` setting, for demos and tests
        on a runtime that numbers faster); far and the first ask scale with it."""
        return dataclasses.replace(
            self,
            near_ms=near_ms,
            far_ms=near_ms * (self.far_ms / self.near_ms),
            first_ask_ms=int(near_ms * (self.first_ask_ms / self.near_ms) + 0.5),
        )

    def assign_retry_ms(self, attempt: int) -> int:
        """Milliseconds before asking `/queue_num` after entering (`attempt` 0), and again after
        `attempt` answers of 202 (1, 2, ...)."""
        if attempt == 0:
            return self.first_ask_ms
        return int(min(1.5 * self.near_ms, 0.5 * self.near_ms * 1.5**attempt) + 0.5)


POLL_SCHEDULE = PollSchedule()


FUNCTIONS: tuple[Function, ...] = (
    # -- public API: the visitor's journey ---------------------------------------------------
    Function(
        name="QueueWorker",
        handler="lambdas.queue_worker.handler",
        stack="core",
        description="Assigns queue positions to a batch of entries (the async half of /assign_queue_num).",
        triggers=(ENTRY_QUEUE_TRIGGER,),
        uses=_with_state(
            # Entries re-enqueued with a delay while the state cannot be reached or is rebuilt.
            (Resource.QUEUE_POSITIONS_TABLE, "write"),
            (Resource.ENTRY_QUEUE, "send"),
            (Resource.POW_KEY_SECRET, "read"),
        ),
        settings=(*_CORE, Setting.ORDERING_WINDOW_MS),
        timeout_seconds=30,
    ),
    Function(
        name="QueueNum",
        handler="lambdas.queue_num.handler",
        stack="core",
        triggers=(Route("public", "GET", "/queue_num", PER_VISITOR_SHORT),),
        uses=_with_state((Resource.QUEUE_POSITIONS_TABLE, "read")),
        settings=_CORE,
    ),
    Function(
        name="EventInfo",
        handler="lambdas.event_info.handler",
        stack="core",
        description="An event's public facts: name, mode and the times of a scheduled sale.",
        triggers=(Route("public", "GET", "/event_info", SHORT),),
        uses=((Resource.EVENTS_TABLE, "read"),),
        settings=(Setting.EVENT_ID, *_EVENT_DEFAULTS),
    ),
    # A scheduled sale's draw (lambdas/waiting_room/draw.py): published, and checkable by anyone.
    Function(
        name="DrawRecord",
        handler="lambdas.draw.public_handler",
        stack="core",
        description="The draw's commitment before it runs, its seed and list's address after.",
        triggers=(Route("public", "GET", "/draw", SHORT),),
        # Whoever asks first after the pre-queue opens makes the record and its secret seed.
        uses=_with_state((Resource.QUEUE_POSITIONS_TABLE, "read_write")),
        settings=_CORE,
    ),
    Function(
        name="DrawList",
        handler="lambdas.draw.list_handler",
        stack="core",
        description="The drawn handles in order, one a line (text/plain).",
        triggers=(
            Route(
                "public",
                "GET",
                "/draw_list",
                CachePolicy(ttl_seconds=RESET_VISIBLE_WITHIN_SECONDS, query_keys=("event_id", "part")),
            ),
        ),
        uses=_with_state(),
        settings=_CORE,
    ),
    Function(
        name="PowChallenge",
        handler="lambdas.pow_challenge.handler",
        stack="core",
        description="A signed proof-of-work challenge for one entry (difficulty 0: none needed).",
        # Cached only while the answer is "no work needed": a challenge is sent with no-store.
        triggers=(Route("public", "GET", "/pow_challenge", SHORT),),
        uses=(
            (Resource.EVENTS_TABLE, "read"),
            (Resource.REDIS_AUTH_SECRET, "read"),
            (Resource.POW_KEY_SECRET, "read"),
        ),
        settings=_CORE,
    ),
    Function(
        name="ServingNum",
        handler="lambdas.serving_num.handler",
        stack="core",
        triggers=(Route("public", "GET", "/serving_num", LINE, shared_read=True),),
        uses=_with_state(),
        settings=_CORE,
    ),
    Function(
        name="WaitingNum",
        handler="lambdas.waiting_num.handler",
        stack="core",
        triggers=(Route("public", "GET", "/waiting_num", LINE, shared_read=True),),
        uses=_with_state(),
        settings=_CORE,
    ),
    Function(
        name="QueuePosExpiry",
        handler="lambdas.queue_pos_expiry.handler",
        stack="core",
        triggers=(Route("public", "GET", "/queue_pos_expiry", PER_VISITOR_SHORT),),
        uses=_with_state((Resource.QUEUE_POSITIONS_TABLE, "read"), (Resource.TOKENS_TABLE, "read")),
        settings=_CORE,
    ),
    Function(
        name="GenerateToken",
        handler="lambdas.generate_token.public_handler",
        stack="core",
        triggers=(Route("public", "POST", "/generate_token"),),
        uses=_ISSUES_TOKENS,
        settings=(*_CORE, *_TOKEN),
    ),
    # The served visitor's way back through the edge gate (edge_gate/gate.js), with its pass.
    Function(
        name="EdgePass",
        handler="lambdas.edge_pass.handler",
        stack="core",
        triggers=(Route("public", "POST", "/edge_pass"),),
        # Records the visitor's tokens as a token route does, but signs nothing: no signing key.
        uses=_with_state((Resource.TOKENS_TABLE, "read_write"), (Resource.EDGE_KEYS_SECRET, "read")),
        settings=(*_CORE, *_TOKEN),
    ),
    Function(
        name="PublicKey",
        handler="lambdas.public_key.handler",
        stack="core",
        triggers=(Route("public", "GET", "/public_key", LONG),),
        uses=((Resource.EVENTS_TABLE, "read"), (Resource.JWT_PUBLIC_KEY, "read")),
        settings=(Setting.EVENT_ID, *_EVENT_DEFAULTS),
    ),
    # What the protected site's authorizer checks besides the signature (lambdas/admission.py).
    Function(
        name="Generation",
        handler="lambdas.admission.generation_handler",
        stack="core",
        triggers=(Route("public", "GET", "/generation", SHORT),),
        uses=_with_state(),
        settings=_CORE,
    ),
    Function(
        name="SessionStatus",
        handler="lambdas.admission.session_handler",
        stack="core",
        triggers=(Route("public", "GET", "/session_status", PER_VISITOR_SHORT),),
        uses=_with_state(),
        settings=_CORE,
    ),
    # -- private API: inlet strategies and the operator ---------------------------------------
    Function(
        name="PrivateGenerateToken",
        handler="lambdas.generate_token.private_handler",
        stack="core",
        triggers=(Route("private", "POST", "/generate_token"),),
        uses=_ISSUES_TOKENS,
        settings=(*_CORE, *_TOKEN),
    ),
    Function(
        name="IncrementServingCounter",
        handler="lambdas.increment_serving_counter.handler",
        stack="core",
        triggers=(Route("private", "POST", "/increment_serving_counter"),),
        uses=_with_state((Resource.SERVING_COUNTER_TABLE, "write")),
        settings=_CORE,
    ),
    Function(
        name="UpdateSession",
        handler="lambdas.update_session.handler",
        stack="core",
        triggers=(Route("private", "POST", "/update_session"),),
        uses=_with_state((Resource.TOKENS_TABLE, "read_write")),
        settings=_CORE,
    ),
    Function(
        name="NumActiveTokens",
        handler="lambdas.num_active_tokens.handler",
        stack="core",
        triggers=(Route("private", "GET", "/num_active_tokens"),),
        uses=_with_state(),
        settings=_CORE,
    ),
    Function(
        name="ExpiredTokens",
        handler="lambdas.expired_tokens.handler",
        stack="core",
        triggers=(Route("private", "GET", "/expired_tokens"),),
        uses=_with_state((Resource.TOKENS_TABLE, "read")),
        settings=_CORE,
    ),
    Function(
        name="Counters",
        handler="lambdas.counters.handler",
        stack="core",
        triggers=(Route("private", "GET", "/counters"),),
        # The dead-letter queue's depth is shown beside the counters (the control panel's tile).
        uses=_with_state((Resource.ENTRY_DEAD_LETTERS, "read")),
        settings=_CORE,
    ),
    Function(
        name="ResetInitialState",
        handler="lambdas.reset_initial_state.handler",
        stack="core",
        triggers=(Route("private", "POST", "/reset_initial_state"),),
        # Records the new generation, which a rebuild of the state reads back.
        uses=_with_state((Resource.QUEUE_POSITIONS_TABLE, "read_write")),
        settings=_CORE,
    ),
    Function(
        name="Events",
        handler="lambdas.events.handler",
        stack="core",
        description="The event registry: lists, creates, changes and deletes the deployment's events.",
        triggers=(
            Route("private", "GET", "/events"),
            Route("private", "POST", "/events"),
            Route("private", "GET", "/events/{event_id}"),
            Route("private", "PATCH", "/events/{event_id}"),
            Route("private", "DELETE", "/events/{event_id}"),
        ),
        # A new event starts in a new generation, so that no record of a deleted namesake counts.
        # A scheduled sale's draw gets its one-time schedule (lambdas/waiting_room/draw_schedule.py).
        uses=_with_state(
            (Resource.EVENTS_TABLE, "read_write"),
            (Resource.QUEUE_POSITIONS_TABLE, "read_write"),
            (Resource.DRAW_SCHEDULES, "write"),
        ),
        settings=(*_CORE, Setting.SCHEDULER_PRECISION_SECONDS),
    ),
    # -- scheduled jobs ------------------------------------------------------------------------
    Function(
        name="ExpirySweeper",
        handler="lambdas.expiry_sweeper.handler",
        stack="core",
        description="Counts queue positions whose grace window passed unused.",
        triggers=(Schedule(rate_minutes=1, enabled_by=Setting.ENABLE_QUEUE_POSITION_EXPIRY),),
        # Its increments' events leave through the serving counter table's stream (OUTBOX).
        uses=_with_state((Resource.SERVING_COUNTER_TABLE, "write")),
        settings=_CORE,
        timeout_seconds=60,
    ),
    Function(
        name="Outbox",
        handler="lambdas.outbox.handler",
        stack="core",
        description="Puts the events that are record changes (tokens, sessions, increments) on the bus.",
        # Its stream reads and its failure queue are granted with the mappings (stacks/constructs/outbox.py).
        triggers=(StreamTrigger(),),
        uses=(_EVENTS,),
        timeout_seconds=30,
        memory_mb=256,
    ),
    Function(
        name="Draw",
        handler="lambdas.draw.handler",
        stack="core",
        description="Numbers a scheduled sale's pre-queue at its start, by arrival or by the published draw.",
        # Invoked at its sale's start by the sale's one-time schedule; and each minute by a sweep
        # that runs any draw that is due and not done (resumable: one that failed or died
        # half-way is finished by the next sweep).
        triggers=(Schedule(rate_minutes=DRAW_SWEEP_MINUTES),),
        uses=_with_state((Resource.QUEUE_POSITIONS_TABLE, "read_write")),
        settings=(*_CORE, Setting.SCHEDULER_PRECISION_SECONDS),
        # Numbering 1,000,000 entries (benchmarks/README.md) stays well inside Lambda's 15 minutes.
        timeout_seconds=900,
        memory_mb=1024,
    ),
    Function(
        name="DeadLetterRedrive",
        handler="lambdas.dead_letter_redrive.handler",
        stack="core",
        description="Sends dead-lettered entries back to the worker, at most three times; then refuses them.",
        triggers=(Schedule(rate_minutes=1),),
        # No Redis: the refusal is a DynamoDB record in the event's generation, which it reads there.
        uses=(
            (Resource.ENTRY_DEAD_LETTERS, "read_write"),
            (Resource.ENTRY_QUEUE, "send"),
            (Resource.QUEUE_POSITIONS_TABLE, "read_write"),
        ),
        timeout_seconds=60,
        memory_mb=256,
    ),
    Function(
        name="MetricsEvent",
        handler="lambdas.metrics_event.handler",
        stack="core",
        description="Publishes the counters each minute as an event and as CloudWatch metrics.",
        triggers=(Schedule(rate_minutes=1, enabled_by=Setting.ENABLE_EVENTS),),
        uses=_with_state(_EVENTS),
        settings=_CORE,
    ),
    # -- deployment-time custom resources ------------------------------------------------------
    Function(
        name="GenerateKeys",
        handler="lambdas.custom_resources.generate_keys_handler",
        stack="core",
        description="Generates the token signing key pair into Secrets Manager; answers its public JWK.",
        triggers=(CustomResourceTrigger("Custom::GenerateKeys"),),
        uses=((Resource.JWT_KEYS_SECRET, "write"),),
        timeout_seconds=60,
    ),
    Function(
        name="InitializeState",
        handler="lambdas.custom_resources.initialize_state_handler",
        stack="core",
        description="Creates the event's counters in Redis when the stack is created.",
        triggers=(CustomResourceTrigger("Custom::InitializeState"),),
        uses=_with_state(),
        settings=_CORE,
        timeout_seconds=60,
    ),
    Function(
        name="CloudFrontWebAcl",
        handler="lambdas.cloudfront_web_acl.handler",
        stack="core",
        description="Creates, updates and deletes the public distribution's web ACL in us-east-1.",
        # Locally, the gateway imitates the web ACL's entry rule itself (`vwr local --waf`).
        triggers=(CustomResourceTrigger("Custom::CloudFrontWebAcl", runs_locally=False),),
        extra_permissions=WEB_ACL_PERMISSIONS,
        # Deleting waits for CloudFront to let go of the web ACL (lambdas/cloudfront_web_acl.py).
        timeout_seconds=360,
    ),
    # -- the protected site ----------------------------------------------------------------------
    Function(
        name="Authorizer",
        handler="lambdas.authorizer.handler",
        stack="authorizer",
        description="API Gateway authorizer that admits requests carrying a waiting room access token.",
        triggers=(AuthorizerTrigger(),),
        settings=(Setting.EVENT_ID, Setting.PUBLIC_API_URL, Setting.ISSUER, Setting.DENY_CLOSED_SESSIONS),
    ),
    Function(
        name="Store",
        handler="lambdas.sample_store.handler",
        stack="sample",
        description="The sample's protected store API.",
        triggers=(
            # GET as the retired sample's page calls them; POST where our page sends an order.
            Route("store", "GET", "/checkout", authorized=True),
            Route("store", "POST", "/checkout", authorized=True),
            Route("store", "GET", "/search", authorized=True),
            Route("store", "GET", "/layaway", authorized=True),
            Route("store", "POST", "/layaway", authorized=True),
        ),
    ),
    # -- inlet strategies ------------------------------------------------------------------------
    Function(
        name="PeriodicInlet",
        handler="inlet_strategies.periodic.handler",
        stack="inlet",
        description="Each minute in its window: serving counter to min(serving, queue) + increment.",
        triggers=(Schedule(rate_minutes=1),),
        uses=((Resource.PRIVATE_API, "read"), (Resource.CLOUDWATCH_ALARMS, "read")),
        calls=("GET /events", "GET /counters", "POST /increment_serving_counter"),
        settings=(
            Setting.EVENT_ID,
            Setting.INLET_INCREMENT_BY,
            Setting.INLET_START_TIME,
            Setting.INLET_END_TIME,
            Setting.CORE_API_REGION,
        ),
        extra_permissions=("cloudwatch:DescribeAlarms",),
        # One tick serves every periodic event; below the rate, so that ticks never overlap.
        timeout_seconds=50,
    ),
    Function(
        name="MaxSizeInlet",
        handler="inlet_strategies.max_size.handler",
        stack="inlet",
        description="Closes the sessions an SNS message names and lets in as many visitors, within capacity.",
        triggers=(TopicTrigger("MaxSizeInletTopic"),),
        uses=((Resource.PRIVATE_API, "read"),),
        calls=(
            "GET /events",
            "POST /update_session",
            "GET /num_active_tokens",
            "POST /increment_serving_counter",
        ),
        settings=(Setting.EVENT_ID, Setting.INLET_MAX_SIZE, Setting.CORE_API_REGION),
        timeout_seconds=60,
    ),
    # -- OpenID Connect adapter ------------------------------------------------------------------
    # The adapter's issuer is its own base URL (OIDC_ISSUER; from the request where it is unset,
    # as in the local runtime), not the core's ISSUER. Its functions call the private API with the
    # signed client of `lambdas.waiting_room.private_api`, as the inlet strategies do.
    Function(
        name="OidcDiscovery",
        handler="lambdas.oidc.discovery_handler",
        stack="openid",
        triggers=(Route("oidc", "GET", "/.well-known/openid-configuration", LONG),),
        settings=(Setting.EVENT_ID, Setting.OIDC_ISSUER),
    ),
    Function(
        name="OidcJwks",
        handler="lambdas.oidc.jwks_handler",
        stack="openid",
        triggers=(Route("oidc", "GET", "/.well-known/jwks.json", LONG),),
        uses=((Resource.JWT_PUBLIC_KEY, "read"),),
        settings=(Setting.EVENT_ID,),
    ),
    Function(
        name="OidcAuthorize",
        handler="lambdas.oidc.authorize_handler",
        stack="openid",
        description="Sends the visitor to wait on the hosted page; issues a code once the core says served.",
        # GET: the relying party's link. POST: the hosted page coming back with the visitor's
        # request id in a form body, so the id appears in no URL (history, access logs, Referer).
        triggers=(Route("oidc", "GET", "/authorize"), Route("oidc", "POST", "/authorize")),
        uses=(
            (Resource.OIDC_CLIENT_SECRET, "read"),
            (Resource.OIDC_CODES_TABLE, "write"),
            (Resource.PRIVATE_API, "read"),
        ),
        # Any registered event is a client: one the list lacks is refused before any redirect. The
        # list (one page holds every event) rather than /events/{event_id}, whose grant needs a star.
        calls=("POST /generate_token", "GET /events"),
        settings=(Setting.EVENT_ID, Setting.OIDC_PAGE_URL, Setting.CORE_API_REGION, Setting.OIDC_ISSUER),
    ),
    Function(
        name="OidcToken",
        handler="lambdas.oidc.token_handler",
        stack="openid",
        description="Redeems a single-use code for the core's tokens (client_secret_basic or _post, PKCE).",
        triggers=(Route("oidc", "POST", "/token"),),
        uses=(
            (Resource.OIDC_CLIENT_SECRET, "read"),
            (Resource.OIDC_CODES_TABLE, "read_write"),
            (Resource.PRIVATE_API, "read"),
            # Signs the tokens again with the derived subject (and the client's nonce).
            (Resource.JWT_KEYS_SECRET, "read"),
        ),
        calls=("POST /generate_token",),
        settings=(Setting.EVENT_ID, Setting.CORE_API_REGION, Setting.OIDC_ISSUER),
    ),
    Function(
        name="OidcUserInfo",
        handler="lambdas.oidc.userinfo_handler",
        stack="openid",
        triggers=(Route("oidc", "GET", "/userInfo"),),
        uses=((Resource.JWT_PUBLIC_KEY, "read"),),
        settings=(Setting.EVENT_ID, Setting.OIDC_ISSUER),
    ),
    # Feeds the edge gate's KeyValueStore: the event's mode and generation, and the pass keys.
    Function(
        name="EdgeSync",
        handler="lambdas.edge_sync.handler",
        stack="edge",
        triggers=(Schedule(rate_minutes=1),),
        uses=((Resource.EDGE_KEYS_SECRET, "read"), (Resource.EDGE_STORE, "write")),
        settings=(Setting.PUBLIC_API_URL, Setting.EDGE_GATE),
        description="Keeps the edge gate's KeyValueStore in step with its event and keys",
        # Six checks ten seconds apart, then the next scheduled run takes over.
        timeout_seconds=75,
        memory_mb=256,
    ),
)


@dataclass(frozen=True)
class Key:
    name: str
    type: Literal["S", "N"] = "S"


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: Key
    sort_key: Key | None = None


@dataclass(frozen=True)
class Table:
    """A DynamoDB table: keys, secondary indexes and the TTL attribute every item carries."""

    partition_key: Key
    sort_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    # None: items stay until deleted (the registry's events).
    ttl_attribute: str | None = "expires_at"


TABLES: dict[Resource, Table] = {
    # request id -> event, position, entry time, generation (the reset it belongs to).
    # The index finds a generation's positions (and their highest) when Redis is rebuilt. The same
    # table keeps `position#<event>#<generation>#<position>` items (one holder per position) and
    # `generation#<event>` (the last reset), which carry no `event_generation` and so stay out of it.
    Resource.QUEUE_POSITIONS_TABLE: Table(
        Key("request_id"),
        indexes=(Index("by_event_position", Key("event_generation"), Key("queue_position", "N")),),
    ),
    # request id -> token claims and session status; the index pages expired tokens per event.
    Resource.TOKENS_TABLE: Table(
        Key("request_id"),
        indexes=(Index("by_event_expiry", Key("event_generation"), Key("token_expires_at", "N")),),
    ),
    # event id + serving counter after an increment -> when, by how much.
    Resource.SERVING_COUNTER_TABLE: Table(Key("event_id"), Key("serving_counter", "N")),
    # OpenID authorization codes: the live code of each place in line, single use, short-lived.
    Resource.OIDC_CODES_TABLE: Table(Key("place")),
    # event id -> its settings (lambdas/waiting_room/registry.py).
    Resource.EVENTS_TABLE: Table(Key("event_id"), ttl_attribute=None),
}

# -- events that leave through a table's stream (a transactional outbox) ------------------------
EVENT_SOURCE = "custom.waitingroom"
# Stream records come in DynamoDB's JSON; every record that is an event is a change of one item:
# INSERT a new item, MODIFY one that sets an attribute for the first time, WRITE any put that
# leaves the item carrying its mark (a new item, or one replacing an older generation's).
StreamChange = Literal["INSERT", "MODIFY", "WRITE"]


@dataclass(frozen=True)
class DetailField:
    """A detail field taken from the item after the change (the stream's new image)."""

    name: str
    attribute: str
    # "S": the attribute's string as is; "N": the attribute's number as a JSON integer.
    type: Literal["S", "N"] = "S"


@dataclass(frozen=True)
class OutboxEvent:
    """An event that is a record change: it leaves when the record is written, never after.

    The core stack filters its table's stream with `filter_pattern` (the outbox function's event
    source mapping) and the outbox function (lambdas/waiting_room/outbox.py) turns each record
    into the event; the local runtime's stream poller reads moto's stream with the same filter and
    invokes the same function. Delivery is at least once: `dedup_id` is the same for every delivery
    of one change (the detail type and the `dedup` attributes, which name the change).
    """

    detail_type: str
    table: Resource
    change: StreamChange
    fields: tuple[DetailField, ...]
    # The new image's attributes whose values name the change, for its `dedup_id`.
    dedup: tuple[str, ...]
    # MODIFY: the attribute the change sets for the first time (absent before it, present after).
    sets: str | None = None
    # INSERT, WRITE: the attribute (and its type) the new item carries when it is this event;
    # None: the first field's.
    marked_by: tuple[str, Literal["S", "N"]] | None = None

    def filter_pattern(self) -> dict[str, object]:
        """The Lambda filter a stream record passes when it is this event.

        Lambda filters a DynamoDB stream on its `dynamodb` key only, so the change is read from
        the keys and the images: an INSERT has no old image, a MODIFY has both, a REMOVE has no
        new image.
        """
        if self.change == "MODIFY":
            assert self.sets is not None, f"{self.detail_type}: a MODIFY event names what it sets"
            attribute, kind = self.sets, "S"
        else:
            attribute, kind = self.marked_by or (self.fields[0].attribute, self.fields[0].type)
        # The table's key: a record of another table never reads as this event.
        table = TABLES[self.table]
        keys = [key for key in (table.partition_key, table.sort_key) if key is not None]
        images: dict[str, object] = {
            "Keys": {key.name: {key.type: [{"exists": True}]} for key in keys},
            "NewImage": {attribute: {kind: [{"exists": True}]}},
        }
        if self.change != "WRITE":
            images["OldImage"] = {attribute: {kind: [{"exists": False}]}}
        return {"dynamodb": images}

    @functools.cached_property
    def _filtered_images(self) -> dict[str, Any]:
        # Built once per event kind, not once per record the outbox reads.
        return self.filter_pattern()["dynamodb"]  # type: ignore[return-value]

    def matches(self, record: dict[str, Any]) -> bool:
        """`filter_pattern` read in Python, for the outbox and the local runtime's stream poller."""
        images = record.get("dynamodb") or {}
        for image, attributes in self._filtered_images.items():
            item = images.get(image) or {}
            for attribute, types in attributes.items():
                [(kind, [rule])] = types.items()
                wanted, value = rule["exists"], item.get(attribute)
                if (isinstance(value, dict) and kind in value) != wanted:
                    return False
        return True


OUTBOX: tuple[OutboxEvent, ...] = (
    OutboxEvent(
        "token_generated",
        Resource.TOKENS_TABLE,
        "INSERT",
        fields=(DetailField("event_id", "event_id"), DetailField("request_id", "request_id")),
        dedup=("request_id",),
    ),
    # The status's name is on the record (`session_outcome`), written in the same update as the
    # status: the filter keys on it being set for the first time.
    OutboxEvent(
        "session_updated",
        Resource.TOKENS_TABLE,
        "MODIFY",
        fields=(
            DetailField("event_id", "event_id"),
            DetailField("request_id", "request_id"),
            DetailField("status", "session_outcome"),
        ),
        dedup=("request_id",),
        sets="session_outcome",
    ),
    # The serving counter's trail record of the expiry sweeper's move (an operator's carries no
    # `expiry_watermark`). Each move writes a record of its own (the key is the counter after it);
    # a reset starts the counter again, so the dedup names the generation too.
    OutboxEvent(
        "automatic_serving_counter_incr",
        Resource.SERVING_COUNTER_TABLE,
        "WRITE",
        fields=(
            DetailField("event_id", "event_id"),
            DetailField("previous_serving_counter_position", "previous_serving_counter", "N"),
            DetailField("increment_by", "increment_by", "N"),
            DetailField("current_serving_counter_position", "serving_counter", "N"),
        ),
        dedup=("event_id", "generation", "serving_counter"),
        marked_by=("expiry_watermark", "N"),
    ),
)
# `waiting_room_metrics` is not here: it is no record change but a reading of the counters, put
# by its job each minute (lambdas/waiting_room/events.py), where a lost one is replaced a minute on.


def outbox_of(table: Resource) -> tuple[OutboxEvent, ...]:
    """The events a table's stream carries; a table with none has no stream."""
    return tuple(event for event in OUTBOX if event.table == table)


# Secrets Manager secret values (JSON strings):
#   JWT_KEYS_SECRET:    {"kid": str, "private_key_pem": str}  written by the GenerateKeys custom resource
# SSM parameter (String):
#   JWT_PUBLIC_KEY:     the public JWK, from the GenerateKeys custom resource's `PublicJwk` answer
#   REDIS_AUTH_SECRET:  {"username": str?, "password": str}   or the bare password
#   POW_KEY_SECRET:     a random string (generated by Secrets Manager; the local runtime's by Python)
#   OIDC_CLIENT_SECRET: {"client_secret": str, "redirect_uris": [str, ...]}


# An event id: the CloudFormation parameter, the request model of /assign_queue_num, every handler
# and the local runtime accept exactly these strings. A letter or digit first (so an id never
# reads as an option or a hidden name), then letters, digits, `-` and `_`; at most 64 characters.
# Written so Python, CloudFormation's AllowedPattern and JSON Schema (ECMA 262) read it alike.
EVENT_ID_MAX_LENGTH = 64
EVENT_ID_PATTERN = f"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{EVENT_ID_MAX_LENGTH - 1}}}$"


def is_event_id(value: object) -> bool:
    # fullmatch: `$` alone would also let a trailing newline through.
    return isinstance(value, str) and re.fullmatch(EVENT_ID_PATTERN, value) is not None


# /assign_queue_num is not a function: API Gateway (and the local gateway) put the request on the
# entry queue directly, so the entry path has no Lambda. This is its contract.
ASSIGN_QUEUE_NUM = Route("public", "POST", "/assign_queue_num")
# The SQS message body the integration writes, read by lambdas.queue_worker.
ENTRY_MESSAGE_FIELDS = ("event_id", "request_id", "entered_at")
# The optional proof of work an entry posts and the message carries: `{challenge, nonce}`, each a
# string of at most this many characters (lambdas/waiting_room/proof_of_work.py).
ENTRY_POW_FIELD = "pow"
POW_FIELDS = {"challenge": 512, "nonce": 64}
POW_MAX_DIFFICULTY = 32
# The content types the entry integration maps, the same template and model for each (a request
# without Content-Type counts as the first); API Gateway answers any other with 415. The page posts
# its JSON as text/plain: a "simple" cross-origin request, which the browser sends without a CORS
# preflight (an OPTIONS request that API Gateway, CloudFront and the WAF would each bill).
ENTRY_CONTENT_TYPES = ("application/json", "text/plain")
# What the page's POSTs carry as Content-Type (PLAIN_JSON in waiting_room_site/js/api.js): exactly a
# mapped type, no charset parameter to match (the body is UTF-8, as API Gateway reads text); `vwr
# load` and `vwr verify-deploy` post the same way.
PAGE_CONTENT_TYPE = "text/plain"
# The entry's 500 when SQS refuses the message (throttled, misconfigured): the caller may retry.
ENTRY_REFUSED = "the queue did not accept the entry"


def ordering_window_ms() -> int:
    """The entry queue's ordering window, as the wiring table sets it."""
    worker = by_name("QueueWorker")
    return next(t for t in worker.triggers if isinstance(t, QueueTrigger)).ordering_window_ms


def by_name(name: str) -> Function:
    for function in FUNCTIONS:
        if function.name == name:
            return function
    raise KeyError(name)


def functions_of(stack: Stack) -> tuple[Function, ...]:
    return tuple(f for f in FUNCTIONS if f.stack == stack)


def routes_of(api: Api) -> list[tuple[Route, Function]]:
    return [(route, f) for f in FUNCTIONS for route in f.routes if route.api == api]


def private_calls(function: Function) -> tuple[Route, ...]:
    """The private routes `function.calls` names; a name of no private route raises KeyError."""
    private = {f"{route.method} {route.path}": route for route, _ in routes_of("private")}
    return tuple(private[name] for name in function.calls)


# -- The edge: headers of the pages, and the firewall in front of the entry route ----------------
# One definition for both runtimes: CloudFront's response headers policy (stacks/constructs/
# static_site.py) and the local gateway (local/sites.py) send the pages exactly these headers.

# No inline script or style anywhere: the pages load their modules and style sheets from their own
# origin, and the proof-of-work solver is a worker file beside them. `connect-src` adds the API
# origins each deployment names in its config.json.
PAGE_CSP_DIRECTIVES = (
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
)
FRAME_OPTIONS = "DENY"
# Request ids travel in query strings (`/queue_num?request_id=...`): no page may leak its address.
REFERRER_POLICY = "no-referrer"
HSTS_MAX_AGE_SECONDS = 2 * 365 * 24 * 3600


def content_security_policy(api_origins: tuple[str, ...]) -> str:
    """The pages' policy; `api_origins` are the `scheme://host[:port]` the page may call."""
    connect = " ".join(("'self'", *api_origins))
    return "; ".join((*PAGE_CSP_DIRECTIVES, f"connect-src {connect}"))


def page_headers(api_origins: tuple[str, ...], *, https: bool) -> dict[str, str]:
    """Every header CloudFront's policy adds to a page, as the local gateway sends them. HSTS only
    over HTTPS: browsers ignore it on plain HTTP (RFC 6797, 8.1), so a local http:// page omits it."""
    headers = {
        "Content-Security-Policy": content_security_policy(api_origins),
        "X-Frame-Options": FRAME_OPTIONS,
        "Referrer-Policy": REFERRER_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    if https:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains"
    return headers


# The firewall's rate rule on the entry route, per client IP, over AWS WAF's evaluation window.
# An honest visitor enters once (a reload re-uses its stored request id), so the limit counts
# visitors behind one address: a campus or carrier NAT with 300 people entering within 5 minutes
# still passes, while one client cannot take more than 300 positions per window. The proof of work
# (below) prices each of those positions; the rule stops the flood that ignores it.
ENTRY_RATE_LIMIT_PER_IP = 300
ENTRY_RATE_WINDOW_SECONDS = 300
# The answer a blocked entry gets, at CloudFront and locally alike.
RATE_LIMITED_STATUS = 429
RATE_LIMITED_ERROR = "too many requests from this address"
