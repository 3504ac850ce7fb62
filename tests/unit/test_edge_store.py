"""What the edge gate's KeyValueStore is made to hold, and how little a sync writes."""

from __future__ import annotations

import json
from collections.abc import Mapping

from lambdas.waiting_room.edge_pass import EdgeKey, parse_keys
from lambdas.waiting_room.edge_store import DEFAULT_BYPASS, desired, gate_config, sync


class DictStore:
    """A KeyValueStore held in a dict, recording each write it is asked for."""

    def __init__(self, held: dict[str, str] | None = None) -> None:
        self.held = dict(held or {})
        self.writes: list[tuple[dict[str, str], list[str]]] = []

    def entries(self) -> dict[str, str]:
        return dict(self.held)

    def apply(self, puts: Mapping[str, str], deletes: list[str]) -> None:
        self.writes.append((dict(puts), list(deletes)))
        self.held |= puts
        for key in deletes:
            del self.held[key]


KEYS = parse_keys({"kid": "k2", "secret": "new", "previous": {"kid": "k1", "secret": "old"}})
CONFIG = gate_config(event_id="Sample", room_url="https://room.example/", hosts=["shop.example"], bypass=[])


def test_the_defaults_a_shop_expects_always_pass_and_user_patterns_add_to_them() -> None:
    assert CONFIG["bypass"] == list(DEFAULT_BYPASS)
    extra = gate_config(event_id="E", room_url="r", hosts=[""], bypass=[" /static/* ", "", "/robots.txt"])
    assert extra["bypass"] == [*DEFAULT_BYPASS, "/static/*"] and extra["hosts"] == []


def test_the_store_holds_current_and_previous_keys_and_the_current_kid() -> None:
    wanted = desired(CONFIG, KEYS, {"mode": "queue", "generation": 5})
    assert wanted["kid"] == "k2" and wanted["key:k2"] == "new" and wanted["key:k1"] == "old"
    assert json.loads(wanted["state"]) == {"mode": "queue", "generation": 5}
    assert json.loads(wanted["gate"])["event"] == "Sample"
    # Every value fits the KeyValueStore's 1 KB.
    assert all(len(v.encode()) <= 1024 for v in wanted.values())


def test_a_sync_writes_only_what_changed_and_nothing_when_nothing_did() -> None:
    store = DictStore()
    assert sync(store, desired(CONFIG, KEYS, {"mode": "queue", "generation": 0})) == {"put": 5, "deleted": 0}
    assert sync(store, desired(CONFIG, KEYS, {"mode": "queue", "generation": 0})) == {"put": 0, "deleted": 0}
    assert len(store.writes) == 1
    # A reset: only the state moves.
    assert sync(store, desired(CONFIG, KEYS, {"mode": "queue", "generation": 9})) == {"put": 1, "deleted": 0}
    assert store.writes[-1][0].keys() == {"state"}


def test_a_deleted_event_and_a_retired_key_leave_the_store() -> None:
    store = DictStore()
    sync(store, desired(CONFIG, KEYS, {"mode": "open", "generation": 0}))
    rotated = (EdgeKey("k3", "newest"), KEYS[0])
    assert sync(store, desired(CONFIG, rotated, None)) == {"put": 2, "deleted": 2}
    assert store.writes[-1][1] == ["key:k1", "state"]
    assert store.held["kid"] == "k3" and "state" not in store.held
