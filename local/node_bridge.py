"""Calls into JavaScript that runs outside Python (mapping templates, CloudFront Functions).

One Node process (local/node_host.mjs) lives as long as the bridge and answers JSON lines: a
request names a module file, one of its exported functions and JSON arguments; the answer is the
function's JSON result. Modules are imported once, so a call costs a pipe round trip, not a start
of Node. Calls from several threads are served one at a time.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

HOST = Path(__file__).with_name("node_host.mjs")


class NodeError(RuntimeError):
    """The JavaScript function threw, or the Node process could not answer."""


class NodeBridge:
    def __init__(self, node: str = "node") -> None:
        found = shutil.which(node)
        if found is None:
            raise NodeError(f"{node} is not installed (scripts/install-system.sh node:nodejs)")
        self._node = found
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._next_id = 0

    def call(self, module: Path | str, export: str, *args: Any) -> Any:
        """`export(*args)` of the module file, with JSON in and out; NodeError if it throws."""
        with self._lock:
            self._next_id += 1
            request = {"id": self._next_id, "module": str(Path(module).resolve()), "export": export}
            request["args"] = list(args)
            stdin, stdout = self._pipes()
            try:
                stdin.write(json.dumps(request) + "\n")
                stdin.flush()
                line = stdout.readline()
            except (BrokenPipeError, OSError) as error:
                self._stop()
                raise NodeError(f"the Node process stopped: {error}") from error
            if not line:
                code = self._stop()
                raise NodeError(f"the Node process stopped (exit code {code})")
            answer = json.loads(line)
            if answer.get("id") != request["id"]:
                self._stop()
                raise NodeError("the Node process answered out of turn")
            if "error" in answer:
                raise NodeError(answer["error"])
            return answer["result"]

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        # Started on first use, and again after a crash: one broken call does not break the next.
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [self._node, str(HOST)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def _stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        if process.stdin is not None:
            process.stdin.close()
        try:
            return process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


_shared: NodeBridge | None = None
_shared_lock = threading.Lock()


def shared() -> NodeBridge:
    """The process-wide bridge: one Node process however many callers use it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = NodeBridge()
            atexit.register(_shared.close)
        return _shared
