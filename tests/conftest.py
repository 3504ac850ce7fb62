"""Fixtures shared by every level: a real redis-server, a moto server, and the core provisioned on it.

The handlers reach moto through `AWS_ENDPOINT_URL`, exactly as they would reach AWS.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pytest_redis import factories

from local.moto_tuning import serialize_dynamodb_writes, speed_up_sqs
from local.provision import generate_keys, provision

REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None:
    raise RuntimeError(
        "redis-server is missing: run `scripts/install-system.sh redis-server` (or `make test`)"
    )

redis_proc = factories.redis_proc(executable=REDIS_SERVER, port=None, save="")

CHROMIUM = os.environ.get("VWR_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

EVENT_ID = "test-event"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # The moto `vwr local` runs: its fixes to moto's speed and thread safety (local/moto_tuning.py).
    serialize_dynamodb_writes()
    speed_up_sqs()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def aws_session(moto_endpoint: str) -> boto3.Session:
    # Environment for every boto3 client the handlers create, in this process.
    os.environ.update(
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE="WaitingRoom",
        POWERTOOLS_SERVICE_NAME="waiting-room",
    )
    return boto3.Session(region_name=REGION)


@pytest.fixture(scope="session")
def core_env(aws_session: boto3.Session, redis_proc) -> dict[str, str]:
    """The core provisioned once per test session on moto, with a real redis-server."""
    env = provision(aws_session, prefix="test")
    env.update(
        EVENT_ID=EVENT_ID,
        REDIS_URL=f"redis://{redis_proc.host}:{redis_proc.port}/0",
        ISSUER="https://waiting-room.test",
        TOKEN_VALIDITY_SECONDS="3600",
        ENABLE_QUEUE_POSITION_EXPIRY="true",
        QUEUE_POSITION_EXPIRY_SECONDS="900",
        INCR_SERVING_ON_EXPIRY="false",
        # Numbered at once; the ordering tests set a window of their own.
        ORDERING_WINDOW_MS="0",
    )
    os.environ.update(env)
    generate_keys(env, aws_session)
    return env


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, one per test module.

    Playwright's sync API keeps an asyncio loop running in this thread while it is open: a second
    instance, or code of ours that calls `asyncio.run` (the load simulator), fails beside it. So it
    lives for one module at a time and is closed before the next module starts.
    """
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"Chromium is missing at {CHROMIUM}: run `scripts/install-system.sh chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def templates_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every template of the session is written under this folder (the scanners read it once)."""
    return tmp_path_factory.mktemp("templates")


@pytest.fixture(scope="session")
def synth(templates_root: Path) -> Any:
    """The one synth of the session, shared by every package that reads the templates. Imported
    here, not at the top: the CDK takes seconds to load, and most tests never synthesize."""
    from tests.infrastructure.conftest import synthesize

    return synthesize(templates_root)
