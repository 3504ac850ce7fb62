"""Starting, stopping and starting again: every process the runtime started goes with it, and a
new runtime starts from an empty line."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from local import testing
from tests.e2e.journey import counters, enter, eventually, position


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status is left


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


def _ports(runtime: testing.Runtime) -> list[str]:
    return [runtime.public_api, runtime.aws_endpoint, runtime.redis_url]


@pytest.mark.parametrize(
    ("stop_signal", "args"),
    [(signal.SIGTERM, []), (signal.SIGINT, ["--moto-process"])],
    ids=["SIGTERM", "SIGINT-moto-process"],
)
def test_a_signal_stops_every_process_and_a_restart_is_clean(
    tmp_path: Path, stop_signal: int, args: list[str]
) -> None:
    first = testing.start(["--batch-window", "0.1", *args], log_dir=tmp_path / "first")
    try:
        for _ in range(3):
            position(first, enter(first))
        assert counters(first)["queue_counter"] == 3
        children = [pid for pid in (first.redis_pid, first.moto_pid) if pid]
        assert all(_alive(pid) for pid in children)
        first.process.send_signal(stop_signal)
        assert first.process.wait(20) == 0, first.stderr()[-2000:]
    finally:
        testing.stop(first.process)

    for pid in children:
        eventually(lambda pid=pid: not _alive(pid), within=5)
    for url in _ports(first):
        assert not _listening(url), f"{url} still answers after the runtime stopped"

    second = testing.start(["--batch-window", "0.1"], log_dir=tmp_path / "second")
    try:
        assert {k: v for k, v in counters(second).items() if k != "event_id"} == dict.fromkeys(
            set(counters(second)) - {"event_id"}, 0
        )
        assert position(second, enter(second)) == 1
    finally:
        testing.stop(second.process)


@pytest.mark.parametrize("args", [[], ["--moto-process"]], ids=["moto-in-process", "moto-process"])
def test_no_child_outlives_a_killed_runtime(tmp_path: Path, args: list[str]) -> None:
    runtime = testing.start(args, log_dir=tmp_path)
    children = [pid for pid in (runtime.redis_pid, runtime.moto_pid) if pid]
    assert len(children) == 1 + len(args)
    try:
        # SIGKILL: no clean-up code runs; the kernel's parent-death signal must stop the children.
        os.kill(runtime.process.pid, signal.SIGKILL)
        runtime.process.wait(10)
        for pid in children:
            eventually(lambda pid=pid: not _alive(pid), within=5)
    finally:
        testing.stop(runtime.process)
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_bad_option_fails_fast_with_its_reason(tmp_path: Path) -> None:
    """The runtime exits at once with the reason (a usage error), instead of waiting to be stopped."""
    with pytest.raises(testing.RuntimeFailed, match=r"(?s)\(exited with 2\).*unknown setting"):
        testing.start(["--set", "NO_SUCH_SETTING=1"], log_dir=tmp_path, timeout=60)


def test_the_runtime_stops_when_redis_server_dies(tmp_path: Path) -> None:
    runtime = testing.start([], log_dir=tmp_path)
    try:
        os.kill(runtime.redis_pid, signal.SIGKILL)
        assert runtime.process.wait(15) == 1
        assert "redis-server exited unexpectedly" in runtime.stderr()
        for url in (runtime.public_api, runtime.aws_endpoint):
            assert not _listening(url)
    finally:
        testing.stop(runtime.process)
