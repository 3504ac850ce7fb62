"""Where the simulator sends its visitors: endpoints given on the command line, or a local runtime.

With no endpoints the simulator starts `vwr local` itself, in a subprocess that first installs the
call counters of `local.stats` (see `benchmarks.counted_runtime`), so the report can say what each
visitor cost in AWS calls and Redis round trips.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

READY_TIMEOUT_SECONDS = 90.0


@dataclass(frozen=True)
class Endpoints:
    """What `vwr local` prints on its READY line, or the same facts about a deployment."""

    public_api: str
    private_api: str
    store_api: str
    event_id: str
    region: str = "us-east-1"
    aws_endpoint: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    max_size_topic_arn: str | None = None
    # Counts of AWS calls and Redis round trips (`local.stats`); only a counted local runtime has it.
    stats_api: str | None = None
    # A local runtime's Redis: the report reads each entry's arrival stamp there.
    redis_url: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Endpoints:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known and v not in ("", None)}
        missing = [
            name for name in ("public_api", "private_api", "store_api", "event_id") if name not in values
        ]
        if missing:
            raise ValueError(f"the runtime description lacks {', '.join(missing)}")
        for name in ("public_api", "private_api", "store_api"):
            values[name] = values[name].rstrip("/")
        return cls(**values)


def load_args() -> list[str]:
    """Runtime options that suit a load run, among those this runtime version offers."""
    from local.options import Options

    offered = {f.name for f in fields(Options)}
    # moto in a process of its own gets the second core instead of sharing the gateway's GIL.
    return ["--moto-process"] if "moto_process" in offered else []


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def local_runtime(
    extra_args: list[str] | None = None, *, log_path: Path | None = None
) -> Iterator[Endpoints]:
    """Starts a counted `vwr local` on free ports, yields its endpoints, stops it and its children.

    The runtime is its own process group leader, so one signal reaches redis-server and the moto
    server it started even if it dies before cleaning up.
    """
    command = [
        sys.executable,
        "-m",
        "benchmarks.counted_runtime",
        "local",
        "--port",
        "0",
        *load_args(),
        *(extra_args or []),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    # Line-buffered: the log is readable while the run goes on.
    log = log_path.open("w", buffering=1) if log_path else None
    try:
        yield _wait_ready(process, lines, log)
        # Keep draining the runtime's output so a full pipe never blocks it.
        threading.Thread(target=_drain, args=(lines, log), daemon=True).start()
    finally:
        _stop(process)
        if log:
            log.close()


def _wait_ready(
    process: subprocess.Popen[str], lines: queue.Queue[str | None], log: IO[str] | None
) -> Endpoints:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    stats_api: str | None = None
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        if log:
            log.write(line)
        seen.append(line)
        if line.startswith("STATS "):
            stats_api = json.loads(line[len("STATS ") :])["stats_api"]
        elif line.startswith("READY "):
            data = json.loads(line[len("READY ") :])
            if stats_api and not data.get("stats_api"):
                data["stats_api"] = stats_api
            return Endpoints.from_json(data)
    _stop(process)
    tail = "".join(seen[-30:])
    raise RuntimeError(f"the local runtime did not print READY (exit code {process.poll()}):\n{tail}")


def _drain(lines: queue.Queue[str | None], log: IO[str] | None) -> None:
    while (line := lines.get()) is not None:
        if log and not log.closed:
            log.write(line)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    # SIGINT is the runtime's Ctrl-C path: it stops redis-server and moto itself.
    for sig, wait in ((signal.SIGINT, 15.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
