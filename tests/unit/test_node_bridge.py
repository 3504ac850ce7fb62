"""The bridge to JavaScript: one long-lived Node process, JSON in and out, errors as NodeError."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.node_bridge import NodeBridge, NodeError

MODULE = """
export function echo(request) { return { got: request, pid: process.pid }; }
export async function later(n) { return await Promise.resolve(n + 1); }
export function fail(message) { throw new TypeError(message); }
export function chatty() { console.log("not an answer"); return "answer"; }
export function crash() { process.exit(3); }
"""


@pytest.fixture
def bridge() -> Iterator[NodeBridge]:
    bridge = NodeBridge()
    yield bridge
    bridge.close()


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "sample.mjs"
    path.write_text(MODULE)
    return path


def test_a_call_returns_the_functions_json_and_one_process_serves_every_call(
    bridge: NodeBridge, module: Path
) -> None:
    request = {"text": 'q"uote \\ é 😀 # $', "nested": [1, {"a": None}]}
    first = bridge.call(module, "echo", request)
    second = bridge.call(module, "echo", {"again": True})
    assert first["got"] == request
    assert second["got"] == {"again": True}
    assert first["pid"] == second["pid"]
    assert bridge.call(module, "later", 41) == 42


def test_a_throw_is_a_node_error_and_the_next_call_still_works(bridge: NodeBridge, module: Path) -> None:
    with pytest.raises(NodeError, match="TypeError: refused"):
        bridge.call(module, "fail", "refused")
    with pytest.raises(NodeError, match="exports no function missing"):
        bridge.call(module, "missing")
    assert bridge.call(module, "later", 1) == 2


def test_logging_does_not_break_the_answers(bridge: NodeBridge, module: Path) -> None:
    assert bridge.call(module, "chatty") == "answer"
    assert bridge.call(module, "later", 2) == 3


def test_a_crashed_process_is_reported_and_replaced(bridge: NodeBridge, module: Path) -> None:
    before = bridge.call(module, "echo", None)["pid"]
    with pytest.raises(NodeError, match="exit code 3"):
        bridge.call(module, "crash")
    after = bridge.call(module, "echo", None)["pid"]
    assert after != before
