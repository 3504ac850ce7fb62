"""Fixtures of the security tests: one local runtime for the package, the synthesized templates.

The templates come from the session's one synth (the `synth` fixture of tests/conftest.py), so
these tests read the same templates the scanners and cdk-nag check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from local.testing import Runtime, running_runtime
from tests.e2e.oidc_client import RUNTIME_ARGS, discovery


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security" in str(item.path).replace(os.sep, "/") and "runtime" in item.fixturenames:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """`vwr local` as a visitor finds it, with the OpenID client of tests/e2e/oidc_client.py,
    whose redirect URIs the tests catch. One for the package: a module that needs other options
    starts its own."""
    args = ["--batch-window", "0.2", *RUNTIME_ARGS]
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr")) as started:
        yield started


@pytest.fixture(scope="package")
def metadata(runtime: Runtime) -> dict[str, Any]:
    """The OpenID adapter's discovery document."""
    return discovery(runtime)
