"""What the edge gate's KeyValueStore holds, and bringing it there (edge_gate/gate.js reads it).

    gate        {"event", "room", "hosts", "bypass", "scheme", "retry_after"}: the stack's parameters
    state       {"mode", "generation"} of the event; absent once the event is deleted
    kid         the key that signs new return addresses (the current one)
    key:<kid>   each key the gate accepts: current and previous

The event's state is read from the public API the page uses (`/generation`; the mode from
`/event_info` where the deployment serves it), so the edge stack needs no access to the core's
tables. Only what changed is written, in one all-or-nothing UpdateKeys call.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol

from lambdas.waiting_room.edge_pass import EdgeKey

MODES = ("queue", "open", "closed")
DEFAULT_BYPASS = ("/robots.txt", "/favicon.ico", "/.well-known/*")


class KeyValueStore(Protocol):
    def entries(self) -> dict[str, str]: ...

    def apply(self, puts: Mapping[str, str], deletes: list[str]) -> None: ...


def gate_config(
    *, event_id: str, room_url: str, hosts: list[str], bypass: list[str], scheme: str = "https"
) -> dict[str, Any]:
    patterns = list(dict.fromkeys([*DEFAULT_BYPASS, *(p.strip() for p in bypass if p.strip())]))
    return {
        "event": event_id,
        "room": room_url,
        "hosts": [h for h in hosts if h],
        "bypass": patterns,
        "scheme": scheme,
        "retry_after": 300,
    }


def _get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def event_state(public_api_url: str, event_id: str) -> dict[str, Any] | None:
    """The event's mode and generation, or None when the event no longer exists."""
    query = urllib.parse.urlencode({"event_id": event_id})
    status, body = _get_json(f"{public_api_url.rstrip('/')}/generation?{query}")
    if status == 400:
        return None
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"GET /generation answered {status}")
    status, info = _get_json(f"{public_api_url.rstrip('/')}/event_info?{query}")
    mode = info.get("mode") if status == 200 and isinstance(info, dict) else None
    return {"mode": mode if mode in MODES else "queue", "generation": int(body["generation"])}


def desired(
    config: Mapping[str, Any], keys: tuple[EdgeKey, ...], state: Mapping[str, Any] | None
) -> dict[str, str]:
    wanted = {"gate": json.dumps(config, separators=(",", ":")), "kid": keys[0].kid}
    wanted |= {f"key:{key.kid}": key.secret for key in keys}
    if state is not None:
        wanted["state"] = json.dumps(dict(state), separators=(",", ":"))
    return wanted


def sync(store: KeyValueStore, wanted: Mapping[str, str]) -> dict[str, int]:
    """Makes the store hold exactly `wanted`; returns how many keys were put and deleted."""
    held = store.entries()
    puts = {k: v for k, v in wanted.items() if held.get(k) != v}
    deletes = sorted(k for k in held if k not in wanted)
    if puts or deletes:
        store.apply(puts, deletes)
    return {"put": len(puts), "deleted": len(deletes)}
