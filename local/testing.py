"""`vwr local` as a subprocess, for tests, browser tests and benchmarks.

    with running_runtime(["--inlet", "periodic"]) as runtime:
        requests.get(runtime.public_api + "/serving_num", params={"event_id": runtime.event_id})

The runtime is started in its own process group and stopped with SIGTERM (its clean path, which
stops redis-server too), then SIGKILL if it does not finish; its output goes to files so that a
full pipe can never block it, and the start-up error shows the tail of its stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[1]
READY_PREFIX = "READY "
READY_TIMEOUT_SECONDS = 60.0


class RuntimeFailed(RuntimeError):
    """The runtime exited or did not get ready in time; the message carries its stderr."""


@dataclass
class Runtime:
    """A running `vwr local`: its READY facts and its process."""

    ready: dict[str, Any]
    process: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    session: requests.Session = field(default_factory=requests.Session)

    def __getattr__(self, name: str) -> Any:
        # runtime.public_api, runtime.event_id, ...: the READY line's keys.
        ready = self.__dict__.get("ready", {})
        if name in ready:
            return ready[name]
        raise AttributeError(name)

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.ready["access_key_id"], self.ready["secret_access_key"])

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def signed(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
    ) -> requests.Response:
        """A SigV4-signed call to the private API, signed by botocore as any AWS SDK would sign it."""
        return signed_request(
            self.session,
            method,
            url,
            params=params,
            json_body=json_body,
            credentials=credentials or self.credentials,
            region=self.ready["region"],
            timeout=timeout,
        )

    def boto3_client(self, service: str) -> Any:
        """A boto3 client of the runtime's moto server (publish to its SNS topic, read its queues)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.ready["aws_endpoint"],
            region_name=self.ready["region"],
            aws_access_key_id=self.ready["access_key_id"],
            aws_secret_access_key=self.ready["secret_access_key"],
        )


def signed_request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None,
    json_body: Any,
    credentials: Credentials,
    region: str,
    timeout: float = 30.0,
) -> requests.Response:
    prepared = requests.Request(method, url, params=params).prepare()
    body = b"" if json_body is None else json.dumps(json_body).encode()
    headers = {"Content-Type": "application/json"} if json_body is not None else {}
    aws_request = AWSRequest(method=method, url=prepared.url, data=body, headers=headers)
    SigV4Auth(credentials, "execute-api", region).add_auth(aws_request)
    return session.request(
        method, prepared.url, data=body or None, headers=dict(aws_request.headers.items()), timeout=timeout
    )


def _wait_ready(
    process: subprocess.Popen[bytes], stdout_path: Path, stderr_path: Path, timeout: float
) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in stdout_path.read_text(errors="replace").splitlines():
            if line.startswith(READY_PREFIX):
                return json.loads(line[len(READY_PREFIX) :])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    state = f"exited with {process.returncode}" if process.poll() is not None else "timed out"
    stop(process)
    tail = stderr_path.read_text(errors="replace")[-4000:]
    raise RuntimeFailed(f"vwr local did not print READY ({state}); its stderr ends with:\n{tail}")


def start(
    args: Sequence[str] = (), *, timeout: float = READY_TIMEOUT_SECONDS, log_dir: Path | None = None
) -> Runtime:
    """Starts `python -m local.cli local --port 0 <args>` and waits for its READY line."""
    directory = Path(log_dir or tempfile.mkdtemp(prefix="vwr-local-"))
    directory.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = directory / "stdout.log", directory / "stderr.log"
    command = [sys.executable, "-m", "local.cli", "local", "--port", "0", *args]
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    ready = _wait_ready(process, stdout_path, stderr_path, timeout)
    return Runtime(ready, process, stdout_path, stderr_path)


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int | None:
    """SIGTERM (the clean stop), then SIGKILL to the whole group if it does not end in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
    return process.returncode


@contextmanager
def running_runtime(args: Sequence[str] = (), **kwargs: Any) -> Iterator[Runtime]:
    runtime = start(args, **kwargs)
    try:
        yield runtime
    finally:
        stop(runtime.process)
        runtime.session.close()
