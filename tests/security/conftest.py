"""Fixtures of the security tests: one local runtime per module, the synthesized templates.

The templates come from the infrastructure tests' one synth per session (tests/infrastructure/
conftest.py), so these tests read the same templates the scanners and cdk-nag check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local.testing import Runtime, running_runtime
from tests.infrastructure.conftest import synth, templates_root  # noqa: F401 (fixtures)

REDIRECT_URI = "https://rp.example/callback"
CLIENT_SECRET = "security-test-secret"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/security" in str(item.path).replace(os.sep, "/") and "runtime" in item.fixturenames:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def runtime() -> Iterator[Runtime]:
    """`vwr local` as a visitor finds it, with an OpenID client whose redirect URI the tests catch."""
    args = [
        "--batch-window",
        "0.2",
        "--oidc-redirect-uri",
        REDIRECT_URI,
        "--oidc-client-secret",
        CLIENT_SECRET,
    ]
    with running_runtime(args) as started:
        yield started
