"""Fixtures of the browser tests: pages, screenshots, the apps served as files, the local runtime.

The browser itself (Debian's Chromium driven by Playwright, one per session) comes from
tests/conftest.py.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.helpers import Operator

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page


@pytest.fixture
def screenshot(request):
    """Saves a full-page screenshot under tests/browser/artifacts/ named after the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, suffix: str = "") -> Path:
        name = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
        path = ARTIFACTS / f"{name}{'-' + suffix if suffix else ''}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def module_page(page, static_server):
    """An empty page on the static server's origin: the apps' modules import by path."""
    page.goto(f"{static_server}/waiting_room_site/README.md")
    page.set_content("<!doctype html><html lang=en><main id=out style='font:15px system-ui;margin:24px'>")
    return page


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="session")
def static_server() -> Iterator[str]:
    """The repository's browser apps served as plain files (no API behind them)."""
    handler = functools.partial(_QuietHandler, directory=str(ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------------------------
# The local runtime (`vwr local`), started once for the browser tests.

RUNTIME_ARGS = (
    "--event-id", "browser-test",
    "--batch-window", "0.2",
    # The edge gate in front of the sample shop (tests/browser/test_edge_gate.py).
    "--protect",
)  # fmt: skip


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The whole waiting room on this machine; the READY line's JSON (URLs, event id, local keys).

    No inlet runs, so only the tests move the serving counter. VWR_RUNTIME_READY may hold the
    READY JSON of a runtime that is already running (`make run`), to drive that one instead.
    """
    if os.environ.get("VWR_RUNTIME_READY"):
        yield json.loads(os.environ["VWR_RUNTIME_READY"])
        return
    from local.testing import running_runtime

    logs = tmp_path_factory.mktemp("vwr-local-browser")
    with running_runtime(RUNTIME_ARGS, log_dir=logs) as started:
        yield started.ready


@pytest.fixture
def operator(runtime) -> Iterator[Operator]:
    """The operator's side played by signed calls to the runtime's private API."""
    operator = Operator(runtime)
    yield operator
    operator.session.close()


@pytest.fixture(autouse=True)
def _nobody_served_ahead(request: pytest.FixtureRequest) -> None:
    """Tests on the shared runtime start with a serving counter that is not ahead of the line.

    A test that increments the serving counter may leave it ahead of the queue counter; the next
    test's visitor would then be served on arrival instead of waiting.
    """
    if "runtime" in request.fixturenames:
        request.getfixturevalue("operator").remove_slack()
