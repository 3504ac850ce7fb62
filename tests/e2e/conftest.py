"""The local runtime as a subprocess, shared by the end-to-end tests of a session.

The session runtime runs the MaxSize inlet (it only acts when a message arrives, so it never moves
the serving counter behind a test's back) with a short batching window so entries are assigned
within a fraction of a second. Tests that need another configuration start their own runtime.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.testing import Runtime, running_runtime
from tests.e2e.oidc_client import RUNTIME_ARGS

MAX_SIZE = 5
SESSION_ARGS = (
    "--event-id", "e2e-event",
    "--inlet", "max-size",
    "--inlet-max-size", str(MAX_SIZE),
    "--batch-window", "0.2",
    "--visibility-timeout", "2",
    # The OpenID client the OpenID tests play (tests/e2e/oidc_client.py).
    *RUNTIME_ARGS,
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    logs: Path = tmp_path_factory.mktemp("vwr-local")
    with running_runtime(SESSION_ARGS, log_dir=logs) as started:
        yield started
