"""The services the runtime stands up: a `redis-server` child process and an in-process moto server.

redis-server is a real server, started on a free port with persistence off, so every run starts
empty. It is tied to the runtime: it is stopped on the way out, and on Linux the kernel also sends
it SIGTERM should the runtime die without cleaning up (parent-death signal), so it never outlives
the runtime. moto runs in threads of this process and dies with it, or in a child process tied to
the runtime the same way.
"""

from __future__ import annotations

import ctypes
import logging
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from moto.server import ThreadedMotoServer

from local.moto_tuning import serialize_dynamodb_writes, speed_up_sqs

logger = logging.getLogger("vwr.local.processes")

_PR_SET_PDEATHSIG = 1
# Looked up in the parent: the child, forked from a process with threads, should do as little as
# possible before exec.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


# Nothing written to disk: every run starts from an empty server.
_EPHEMERAL = ("--save", "", "--appendonly", "no", "--daemonize", "no")


class ServiceFailed(RuntimeError):
    """A service the runtime needs could not start; the message says what to do about it."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel for SIGTERM when the runtime goes away."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


class RedisServer:
    """A throwaway redis-server on a free port of the loopback interface."""

    def __init__(self, executable: str | None = None, host: str = "127.0.0.1") -> None:
        found = executable or shutil.which("redis-server")
        if found is None:
            raise ServiceFailed(
                "redis-server is not installed: run `scripts/install-system.sh redis-server` "
                "(or `make run`, which does), or pass --redis-url"
            )
        self._executable = found
        self._host = host
        self._process: subprocess.Popen[bytes] | None = None
        self._directory = tempfile.TemporaryDirectory(prefix="vwr-redis-")
        self.url = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def exit_code(self) -> int | None:
        """The child's exit code if it ended on its own; None while it runs (or was never started)."""
        return self._process.poll() if self._process else None

    def start(self, timeout: float = 10.0, attempts: int = 3) -> str:
        """Starts the server and waits until it answers PING; returns its URL."""
        last_error = ""
        for _ in range(attempts):
            # Another process may take the free port before redis binds it: try again on a new one.
            port = free_port(self._host)
            log = Path(self._directory.name) / "redis.log"
            self._process = subprocess.Popen(
                [
                    self._executable,
                    "--port",
                    str(port),
                    "--bind",
                    self._host,
                    *_EPHEMERAL,
                    "--dir",
                    self._directory.name,
                    "--logfile",
                    str(log),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # Its own session: a Ctrl-C in the terminal reaches the runtime only, which then
                # stops redis-server after the last batch in flight is done with it.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            url = f"redis://{self._host}:{port}/0"
            if self._wait_ready(url, timeout):
                self.url = url
                logger.info("redis-server %d listens on %s", self._process.pid, url)
                return url
            last_error = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            self.stop()
        raise ServiceFailed(f"redis-server did not start:\n{last_error}")

    def _wait_ready(self, url: str, timeout: float) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except redis.RedisError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        _stop_child(process, timeout)

    def close(self) -> None:
        self.stop()
        self._directory.cleanup()


def _stop_child(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


class MotoServer:
    """moto's server on a free port chosen by the kernel: in threads of this process, or in a child.

    A child process (`local.moto_process`) gives moto a core of its own, for load tests; it is tied
    to the runtime like redis-server is.
    """

    def __init__(self, host: str = "127.0.0.1", *, own_process: bool = False) -> None:
        # moto logs every request through werkzeug's logger otherwise.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._host = host
        self._own_process = own_process
        self._server: ThreadedMotoServer | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def exit_code(self) -> int | None:
        return self._process.poll() if self._process else None

    def start(self, timeout: float = 30.0) -> str:
        if self._own_process:
            return self._start_process(timeout)
        # moto's SQS slows down with the queue's depth; see local/moto_tuning.py.
        speed_up_sqs()
        serialize_dynamodb_writes()
        self._server = ThreadedMotoServer(ip_address=self._host, port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def _start_process(self, timeout: float) -> str:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "local.moto_process", "--host", self._host, "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        line = self._process.stdout.readline().decode() if ready else ""
        if not line.startswith("LISTENING "):
            _stop_child(self._process, 5.0)
            raise ServiceFailed(f"the moto server process did not start (it said {line!r})")
        self.url = f"http://{self._host}:{int(line.split()[1])}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        _stop_child(self._process, 5.0)
        self._process = None
        self.url = ""
