"""Counts the AWS calls and Redis round trips the handlers make, per function.

The cost of a visitor is mostly the calls the handlers make (DESIGN.md section 6), and a count is
steadier than a stopwatch on a shared laptop. This module counts them in the process that runs
the handlers, with no change to handler code:

- AWS: a botocore `before-call` hook registered on every client created after `install()`
  (one count per API call, retries not included);
- Redis: one round trip per packed write on a connection (a pipeline, a MULTI/EXEC block or a Lua
  script each cost one), and one command per `execute_command` or per queued pipeline command.

Calls are charged to the function whose handler is running in the current thread or task (a
context variable); calls outside any handler (the gateway's SQS integration, the poller, SNS
delivery) are charged to `RUNTIME`. `install_import_hook()` wraps every handler of the wiring
table when its module is first imported, so a runtime that resolves handlers with importlib needs
nothing more. `serve()` exposes the counts as JSON for a load generator in another process.

Self-contained on purpose: it imports only the standard library, botocore, redis and the wiring
table, so the local runtime can adopt it without depending on the benchmarks.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib.abc
import importlib.machinery
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

RUNTIME = "(runtime)"

_scope: contextvars.ContextVar[str] = contextvars.ContextVar("vwr_stats_scope", default=RUNTIME)
_lock = threading.Lock()
_invocations: Counter[str] = Counter()
_aws: dict[str, Counter[str]] = {}
_redis_round_trips: Counter[str] = Counter()
_redis_commands: Counter[str] = Counter()
# CPU seconds spent by the handler's own thread (time.thread_time): the handler's share of the
# machine, without the moto or Redis server work it waits for.
_cpu_seconds: Counter[str] = Counter()
# Wall time the handlers waited for AWS calls: on a laptop, how much of a handler is moto.
_aws_wait_seconds: Counter[str] = Counter()
_installed = False


def _charge(table: Counter[str], amount: int = 1) -> None:
    with _lock:
        table[_scope.get()] += amount


def _count_aws(model: Any = None, context: Any = None, **_: Any) -> None:
    """botocore `before-call` handler: one count per API call, keyed `service.Operation`."""
    if model is None:
        return
    name = f"{model.service_model.service_name}.{model.name}"
    with _lock:
        _aws.setdefault(_scope.get(), Counter())[name] += 1
    if isinstance(context, dict):
        # The same request context reaches `after-call`: the call's wall time, retries included.
        context["vwr_stats_started"] = time.perf_counter()


def _time_aws(context: Any = None, **_: Any) -> None:
    """botocore `after-call` handler: how long the handler waited for the call."""
    started = context.get("vwr_stats_started") if isinstance(context, dict) else None
    if started is not None:
        _charge_seconds(_aws_wait_seconds, time.perf_counter() - started)


def _charge_seconds(table: Counter[str], seconds: float) -> None:
    with _lock:
        table[_scope.get()] += seconds


def _patch_botocore() -> None:
    import botocore.session

    original = botocore.session.Session.create_client

    @functools.wraps(original)
    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        # Registered per client rather than per session: handlers and Powertools make their own
        # sessions, and every client of every session goes through here.
        client.meta.events.register("before-call", _count_aws)
        client.meta.events.register("after-call", _time_aws)
        return client

    botocore.session.Session.create_client = create_client


def _patch_redis() -> None:
    from redis import client, connection

    send = connection.AbstractConnection.send_packed_command

    @functools.wraps(send)
    def send_packed_command(self: Any, command: Any, check_health: bool = True) -> Any:
        # One packed write is one round trip, whatever it carries.
        _charge(_redis_round_trips)
        return send(self, command, check_health)

    connection.AbstractConnection.send_packed_command = send_packed_command

    execute_command = client.Redis.execute_command

    @functools.wraps(execute_command)
    def counted_execute_command(self: Any, *args: Any, **options: Any) -> Any:
        _charge(_redis_commands)
        return execute_command(self, *args, **options)

    # Pipeline overrides execute_command (it only queues), so this counts direct commands only.
    client.Redis.execute_command = counted_execute_command

    execute = client.Pipeline.execute

    @functools.wraps(execute)
    def counted_execute(self: Any, raise_on_error: bool = True) -> Any:
        _charge(_redis_commands, len(self.command_stack))
        return execute(self, raise_on_error)

    client.Pipeline.execute = counted_execute


def install() -> None:
    """Starts counting (idempotent). Call it before the handlers create their clients."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    _patch_botocore()
    _patch_redis()


@contextlib.contextmanager
def scope(name: str) -> Iterator[None]:
    """Charges every call made inside the block (this thread or task) to `name`."""
    token = _scope.set(name)
    with _lock:
        _invocations[name] += 1
    started = time.thread_time()
    try:
        yield
    finally:
        _scope.reset(token)
        spent = time.thread_time() - started
        with _lock:
            _cpu_seconds[name] += spent


def scoped(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """`handler` wrapped so that its calls are charged to `name`."""
    if getattr(handler, "__vwr_stats_scope__", None):
        return handler

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with scope(name):
            return handler(*args, **kwargs)

    wrapper.__vwr_stats_scope__ = name  # type: ignore[attr-defined]
    return wrapper


def _handlers_by_module() -> dict[str, list[tuple[str, str]]]:
    from lambdas.catalog import FUNCTIONS

    modules: dict[str, list[tuple[str, str]]] = {}
    for function in FUNCTIONS:
        module, _, attribute = function.handler.rpartition(".")
        modules.setdefault(module, []).append((attribute, function.name))
    return modules


def wrap_module(module: ModuleType) -> None:
    """Wraps the handlers the wiring table names in `module` (already imported)."""
    for attribute, name in _handlers_by_module().get(module.__name__, []):
        handler = getattr(module, attribute, None)
        if callable(handler):
            setattr(module, attribute, scoped(name, handler))


class _WrappingLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        wrap_module(module)


class _HandlerFinder(importlib.abc.MetaPathFinder):
    """Finds handler modules as usual, then wraps their handlers right after they execute."""

    def __init__(self, modules: set[str]) -> None:
        self._modules = modules

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _WrappingLoader(spec.loader)
        return spec


def install_import_hook() -> None:
    """Counts, and charges each handler's calls to its function, whenever the runtime imports it."""
    install()
    modules = _handlers_by_module()
    for name in modules:
        if name in sys.modules:
            wrap_module(sys.modules[name])
    if not any(isinstance(finder, _HandlerFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _HandlerFinder(set(modules)))


def snapshot() -> dict[str, Any]:
    """Every count so far.

    `{"functions": {name: {"invocations", "aws": {"service.Operation": n}, "redis_round_trips",
    "redis_commands", "cpu_ms", "aws_wait_ms"}}}`.
    """
    with _lock:
        names = set(_invocations) | set(_aws) | set(_redis_round_trips) | set(_redis_commands)
        names |= set(_aws_wait_seconds)
        return {
            # The whole process (gateway, moto, pollers, handlers): what the runtime costs in all.
            "process_cpu_s": time.process_time(),
            "functions": {
                name: {
                    "invocations": _invocations[name],
                    "aws": dict(_aws.get(name, {})),
                    "redis_round_trips": _redis_round_trips[name],
                    "redis_commands": _redis_commands[name],
                    "cpu_ms": round(_cpu_seconds[name] * 1000, 3),
                    "aws_wait_ms": round(_aws_wait_seconds[name] * 1000, 3),
                }
                for name in sorted(names)
            },
        }


def reset() -> None:
    with _lock:
        _invocations.clear()
        _aws.clear()
        _redis_round_trips.clear()
        _redis_commands.clear()
        _cpu_seconds.clear()
        _aws_wait_seconds.clear()


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The counts of `after` minus those of `before` (two snapshots), zero rows dropped."""
    result: dict[str, Any] = {}
    old = before.get("functions", {})
    for name, now in after.get("functions", {}).items():
        then = old.get(name, {})
        aws = Counter(now.get("aws", {}))
        aws.subtract(then.get("aws", {}))
        row = {
            "invocations": now.get("invocations", 0) - then.get("invocations", 0),
            "aws": {op: n for op, n in aws.items() if n},
            "redis_round_trips": now.get("redis_round_trips", 0) - then.get("redis_round_trips", 0),
            "redis_commands": now.get("redis_commands", 0) - then.get("redis_commands", 0),
            "cpu_ms": now.get("cpu_ms", 0.0) - then.get("cpu_ms", 0.0),
            "aws_wait_ms": now.get("aws_wait_ms", 0.0) - then.get("aws_wait_ms", 0.0),
        }
        if row["invocations"] or row["aws"] or row["redis_round_trips"] or row["redis_commands"]:
            result[name] = row
    cpu = after.get("process_cpu_s", 0.0) - before.get("process_cpu_s", 0.0)
    return {"process_cpu_s": cpu, "functions": result}


class _StatsHandler(BaseHTTPRequestHandler):
    def _reply(self, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._reply(snapshot())

    def do_POST(self) -> None:
        # POST resets, so a load run can start from zero after warming up.
        reset()
        self._reply(snapshot())

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve(host: str = "127.0.0.1", port: int = 0) -> tuple[str, ThreadingHTTPServer]:
    """Serves `snapshot()` (GET) and `reset()` (POST) on a daemon thread; returns its URL."""
    server = ThreadingHTTPServer((host, port), _StatsHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="vwr-stats", daemon=True).start()
    return f"http://{host}:{server.server_address[1]}/__stats", server
