"""What `vwr local` can be told: ports, the event, the services, and deployment settings.

Deployment settings are the wiring table's `Setting`s; they are set by their own names
(`--set TOKEN_VALIDITY_SECONDS=60`) or by the few shortcuts the CLI offers for them, so no
environment variable name is spelled here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from lambdas.catalog import EVENT_ID_PATTERN, FUNCTIONS, QueueTrigger, Schedule, Setting, by_name, is_event_id

# The local defaults of settings a deployment would take from CDK context. Settings not listed
# here keep the defaults of the code that reads them.
LOCAL_SETTINGS: dict[Setting, str] = {
    Setting.TOKEN_VALIDITY_SECONDS: "3600",
    Setting.ENABLE_QUEUE_POSITION_EXPIRY: "true",
    Setting.QUEUE_POSITION_EXPIRY_SECONDS: "900",
    Setting.INCR_SERVING_ON_EXPIRY: "false",
    Setting.ENABLE_EVENTS: "true",
    Setting.INLET_INCREMENT_BY: "10",
    Setting.INLET_MAX_SIZE: "100",
    Setting.DENY_CLOSED_SESSIONS: "false",
    # The local schedules fire on the second (local/scheduler.py), not within Scheduler's minute.
    Setting.SCHEDULER_PRECISION_SECONDS: "1",
}


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def inlet_choices() -> dict[str, str]:
    """CLI name -> function name of each inlet strategy of the wiring table ("max-size" -> MaxSizeInlet)."""
    return {_kebab(f.name.removesuffix("Inlet")): f.name for f in FUNCTIONS if f.stack == "inlet"}


def is_true(value: str | None) -> bool:
    """A flag setting's truth, read as the handlers' settings read it."""
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Options:
    host: str = "127.0.0.1"
    # The host name in the URLs handed out (pages' config.json, token issuer); None: derived from host.
    url_host: str | None = None
    port: int = 8080
    event_id: str = "Sample"
    region: str = "us-east-1"
    # None: start a redis-server of our own.
    redis_url: str | None = None
    # Name prefix of the tables, queues, topics and secrets on the moto server.
    prefix: str = "vwr"
    # Deployment settings on top of LOCAL_SETTINGS.
    settings: dict[Setting, str] = field(default_factory=dict)
    # Which inlet strategy runs (a key of inlet_choices()); None: none, the operator moves the line.
    inlet: str | None = None
    # Period of every scheduled function, instead of the table's rate (tests make minutes seconds).
    schedule_seconds: float | None = None
    # Period of the inlet strategy's schedule alone; wins over schedule_seconds for it.
    inlet_period_seconds: float | None = None
    # Event source mapping of the entry queue: None keeps the wiring table's values.
    batch_size: int | None = None
    batching_window_seconds: float | None = None
    # Short, so that a failed entry comes back in seconds rather than the deployed minutes.
    visibility_timeout_seconds: int = 5
    pollers: int = 2
    # Batches in the queue's function at once (Lambda starts with five and adds more under load).
    queue_concurrency: int = 10
    # Invocations of one API function at the same time (1: one warm container, as Lambda's model).
    route_concurrency: int = 1
    # moto in a child process (a core of its own) rather than in threads of the runtime.
    moto_process: bool = False
    # The stack's WAF rate rule on entries (local/waf.py); off: every local client shares an address.
    waf: bool = False
    # A cap on every CDN TTL and on the authorizer's result cache (None: the wiring table's own).
    cache_seconds: float | None = None
    # The only credentials the private API accepts; they also sign the moto calls.
    access_key_id: str = field(default_factory=lambda: "AKIA" + secrets.token_hex(8).upper())
    secret_access_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))
    oidc_redirect_uris: tuple[str, ...] = ()
    oidc_client_secret: str = "local-client-secret"
    # `--protect`: the site the local edge gate stands in front of ("" = the sample shop); None: no gate.
    protect: str | None = None
    log_level: str = "WARNING"

    def problem(self) -> str | None:
        """What is wrong with these options, in words; None when nothing is."""
        if not is_event_id(self.event_id):
            # The deployed stack's EventId parameter refuses it too; the handlers would never match it.
            return f"--event-id {self.event_id!r} must match {EVENT_ID_PATTERN}"
        window = self.batching_window_seconds
        if window is None:
            window = next(
                (
                    t.max_batching_window_seconds
                    for f in FUNCTIONS
                    for t in f.triggers
                    if isinstance(t, QueueTrigger)
                ),
                0,
            )
        if self.visibility_timeout_seconds <= window:
            # Messages received first would come back while their batch is still being gathered.
            seconds = self.visibility_timeout_seconds
            return f"--visibility-timeout ({seconds} s) must exceed the batching window ({window} s)"
        return None

    def setting_values(self) -> dict[Setting, str]:
        return {**LOCAL_SETTINGS, **self.settings}

    @property
    def inlet_function(self) -> str | None:
        return inlet_choices()[self.inlet] if self.inlet else None

    def runs(self, function_name: str) -> bool:
        """Whether this run wires the function's triggers: the inlet strategies only when chosen;
        never the edge gate's store sync, whose store is CloudFront's (`--protect` feeds a local
        one with the same sync, local/edge.py)."""
        if by_name(function_name).stack == "edge":
            return False
        inlets = set(inlet_choices().values())
        return function_name not in inlets or function_name == self.inlet_function

    def period_of(self, function_name: str, schedule: Schedule) -> float:
        if function_name == self.inlet_function and self.inlet_period_seconds:
            return self.inlet_period_seconds
        return self.schedule_seconds or schedule.rate_minutes * 60.0
