"""The functions of the wiring table, imported by handler path and invoked in this process.

Each function behaves like one warm Lambda container: it handles one event at a time (different
functions run in parallel), and its module-level state lives as long as the runtime.

A handler is imported only after the runtime has put the handlers' environment in `os.environ`,
because handler modules (and the domain library) read their settings once, as they would in a
fresh Lambda container. A module that cannot be imported (not written yet, or broken) does not stop
the runtime: its triggers answer as a failing Lambda function would, and the reason is logged.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lambdas.catalog import Function, QueueTrigger
from local.events import ACCOUNT_ID

logger = logging.getLogger("vwr.local.functions")

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionUnavailable(RuntimeError):
    """The function's module could not be imported; the message says why."""


@dataclass
class LambdaContext:
    """The context object Lambda passes as the handler's second argument."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class Functions:
    """Every function of the wiring table, loaded once, invoked like Lambda would invoke it."""

    def __init__(
        self,
        functions: Iterable[Function],
        region: str,
        *,
        route_concurrency: int = 1,
        queue_concurrency: int = 1,
    ) -> None:
        self._functions = {f.name: f for f in functions}
        self._region = region
        self._handlers: dict[str, Handler] = {}
        self._unavailable: dict[str, str] = {}

        # One invocation at a time per function, as in one Lambda container: handler modules keep
        # per-container state (Powertools' batch processor, caches) that is not made for threads.
        # API functions may be allowed more (`route_concurrency`) for load tests: they are
        # request/response and keep only caches, like several warm containers sharing them.
        # A queue's function runs once per concurrent batch (`queue_concurrency`, the pollers), as
        # the event source mapping invokes several containers at once: the queue worker waits for
        # the ordering window, and one container at a time would hold every other batch back.
        def slots(function: Function) -> int:
            if function.routes:
                return route_concurrency
            if any(isinstance(t, QueueTrigger) for t in function.triggers):
                return queue_concurrency
            return 1

        self._slots = {
            name: threading.BoundedSemaphore(max(1, slots(f))) for name, f in self._functions.items()
        }

    def load(self) -> dict[str, str]:
        """Imports every handler; returns the functions that could not be loaded, with the reason."""
        for name, function in self._functions.items():
            module_name, _, attribute = function.handler.rpartition(".")
            try:
                self._handlers[name] = getattr(importlib.import_module(module_name), attribute)
            except Exception as error:  # any import-time failure leaves just this function down
                self._unavailable[name] = f"{function.handler}: {type(error).__name__}: {error}"
                logger.warning("function %s is unavailable (%s)", name, self._unavailable[name])
        return dict(self._unavailable)

    def invoke(self, name: str, event: dict[str, Any]) -> Any:
        """Runs the handler with a fresh context; its exceptions propagate, as Lambda reports them."""
        handler = self._handlers.get(name)
        if handler is None:
            raise FunctionUnavailable(self._unavailable.get(name, f"unknown function {name}"))
        function = self._functions[name]
        context = LambdaContext(
            function_name=name,
            memory_limit_in_mb=function.memory_mb,
            invoked_function_arn=f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{name}",
            timeout_seconds=function.timeout_seconds,
        )
        with self._slots[name]:
            return handler(event, context)
