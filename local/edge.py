"""`vwr local --protect`: the edge gate in front of a site, fed the way the edge stack feeds it.

The gate is edge_gate/gate.js itself, run by Node (local/edge_gate_server.mjs) behind a port of
its own. Its KeyValueStore is filled by the edge stack's own sync (lambdas/edge_sync.py
`sync_once`), every SYNC_SECONDS here instead of every 10 s, so a mode change, a reset or a
deletion reaches the local gate within SYNC_SECONDS plus the public API's cache.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from lambdas.catalog import Setting
from lambdas.edge_sync import sync_once
from local.node_bridge import NodeBridge

SERVER = Path(__file__).with_name("edge_gate_server.mjs")
SYNC_SECONDS = 1.0


class LocalKeyValueStore:
    """The gate's store inside the Node process: what `sync` reads and writes."""

    def __init__(self, bridge: NodeBridge) -> None:
        self.bridge = bridge

    def entries(self) -> dict[str, str]:
        return dict(self.bridge.call(SERVER, "held"))

    def apply(self, puts: Mapping[str, str], deletes: list[str]) -> None:
        held = self.entries() | dict(puts)
        for key in deletes:
            held.pop(key, None)
        self.bridge.call(SERVER, "replaceAll", held)


class LocalEdgeGate:
    def __init__(self, *, host: str, origin: str, event_id: str, room_url: str) -> None:
        self.host = host
        self.origin = origin
        # As the edge stack sets it (stacks/constructs/edge_gate.py); http, as the local site is.
        os.environ[Setting.EDGE_GATE.value] = json.dumps(
            {"event": event_id, "room": room_url, "hosts": "", "bypass": "", "scheme": "http"}
        )
        self.bridge = NodeBridge()
        self.store = LocalKeyValueStore(self.bridge)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vwr-edge-sync", daemon=True)
        self.last_error: str | None = None

    def start(self, advertised_host: str) -> str:
        """Fills the store once, starts the gate's server and the sync; returns the gate's address."""
        sync_once(self.store)
        port = self.bridge.call(SERVER, "start", {"host": self.host, "port": 0, "origin": self.origin})
        self._thread.start()
        return f"http://{advertised_host}:{port}/"

    def _run(self) -> None:
        while not self._stopping.wait(SYNC_SECONDS):
            try:
                sync_once(self.store)
                self.last_error = None
            except Exception as error:  # the next round tries again, as the scheduled one would
                self.last_error = str(error)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.bridge.close()
