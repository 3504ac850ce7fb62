"""The edge gate's check: its KeyValueStore and what a visitor without a pass meets.

The gate (edge_gate/gate.js) reads `gate` (its event, room and hosts), `state` (the event's mode
and generation), `kid` and `key:<kid>` from its store; the edge stack outputs the store's ARN and
the gate's distribution.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from verify_deploy.context import Context, Result, failed, passed, said, skipped
from verify_deploy.deployment import Deployment

# What the edge gate reads from its KeyValueStore (edge_gate/gate.js); `key:<kid>` is read by name.
EDGE_KEYS = ("gate", "state", "kid")
EDGE_MODES = ("queue", "open", "closed")
# The gate's KeyValueStore is global; its API lives in us-east-1 and signs with SigV4A.
EDGE_STORE_REGION = "us-east-1"


def read_edge_store(deployment: Deployment) -> dict[str, str | None]:
    """The gate's entries in its KeyValueStore (None: absent), and `key:<kid>`'s presence only."""
    assert deployment.edge is not None
    arn = deployment.edge.outputs["KeyValueStoreArn"]
    store = deployment.client("cloudfront-keyvaluestore", EDGE_STORE_REGION)

    def get(key: str) -> str | None:
        try:
            return store.get_key(KvsARN=arn, Key=key)["Value"]
        except store.exceptions.ResourceNotFoundException:
            return None

    entries = {key: get(key) for key in EDGE_KEYS}
    kid = entries["kid"]
    # The key itself is a secret: only whether it is there leaves this function.
    entries["key"] = None if kid is None or get(f"key:{kid}") is None else "present"
    return entries


def edge_site(deployment: Deployment, gate: dict[str, Any]) -> str | None:
    """Where a visitor meets the gate: the edge stack's distribution, else the gate's first host."""
    assert deployment.edge is not None
    domain = deployment.edge.outputs.get("DistributionDomainName")
    if domain:
        return f"https://{domain}"
    hosts = gate.get("hosts") or []
    return f"{gate.get('scheme') or 'https'}://{hosts[0]}" if hosts else None


def _edge_store_problems(entries: dict[str, str | None]) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    problems = [f"no `{key}`" for key in (*EDGE_KEYS, "key") if entries.get(key) is None]
    try:
        gate = json.loads(entries["gate"] or "{}")
        state = json.loads(entries["state"] or "{}")
    except ValueError:
        return [*problems, "`gate` or `state` is not JSON"], {}, {}
    if entries["gate"] and not (gate.get("event") and gate.get("room")):
        problems.append("`gate` names no event or no room")
    if entries["state"] and state.get("mode") not in EDGE_MODES:
        problems.append(f"`state` has mode {state.get('mode')!r}")
    return problems, gate, state


def _edge_answer_problem(answer: requests.Response, gate: dict[str, Any], mode: str) -> str | None:
    location = answer.headers.get("Location", "")
    if mode == "queue" and not (answer.status_code == 302 and location.startswith(str(gate.get("room")))):
        return f"without a pass: {answer.status_code} {location[:80]!r}, not a redirect to the room"
    if mode == "closed" and answer.status_code != 503:
        return f"closed, yet without a pass: {answer.status_code}"
    if mode == "open" and answer.status_code == 302 and location.startswith(str(gate.get("room"))):
        return "open, yet a visitor without a pass is sent to the room"
    return None


def _core_mismatch(ctx: Context, gate: dict[str, Any], state: dict[str, Any]) -> str | None:
    """Where the store's copy of the event differs from what the core says of it, in words."""
    event_id = gate["event"]
    registered = ctx.signed("GET", f"/events/{event_id}")
    mode = registered.json().get("mode", "queue") if registered.status_code == 200 else said(registered)
    if mode != state.get("mode"):
        return (
            f"the store says {event_id} is in mode {state.get('mode')}; GET /events/{event_id}: mode {mode}"
        )
    answer = ctx.public("GET", "/generation", params={"event_id": event_id})
    generation = answer.json().get("generation") if answer.status_code == 200 else said(answer)
    if generation != state.get("generation"):
        held = state.get("generation")
        return f"the store holds generation {held} of {event_id}; GET /generation: {generation}"
    return None


def edge(ctx: Context) -> Result:
    """The edge gate's KeyValueStore holds its keys and the event's mode; no pass means the room."""
    deployment = ctx.deployment
    if deployment.local_gate is not None:
        return _local_gate(ctx, deployment.local_gate)
    if deployment.edge is None:
        return skipped("no edge stack given")
    if "KeyValueStoreArn" not in deployment.edge.outputs:
        return failed(f"{deployment.edge.name} has no KeyValueStoreArn output", "redeploy the edge stack")
    problems, gate, state = _edge_store_problems(read_edge_store(deployment))
    if problems:
        return failed(
            f"{deployment.edge.name}'s KeyValueStore: {'; '.join(problems)}",
            "the EdgeSync function copies the event's state and the pass keys into the store every "
            "few seconds: see its log group; until then the gate lets everyone through",
        )
    mismatch = _core_mismatch(ctx, gate, state)
    if mismatch:
        return failed(
            mismatch,
            "EdgeSync copies the event's mode and generation every 10 s: right after a change or a "
            "reset, run again; otherwise the gate serves another event than the core knows: see "
            "EdgeSync's log group (a stale generation refuses every pass issued since)",
        )
    mode = str(state.get("mode"))
    base = edge_site(deployment, gate)
    if base is None:
        return failed(
            f"the gate of {gate['event']} names no host and the stack no DistributionDomainName",
            "redeploy the edge stack: its outputs name the gate's distribution",
        )
    site = base + "/vwr-verify-probe"
    answer = ctx.http.get(site, allow_redirects=False, timeout=ctx.options.http_timeout)
    problem = _edge_answer_problem(answer, gate, mode)
    if problem:
        return failed(
            f"{site}: {problem}",
            "associate the edge stack's CloudFront Function (viewer request) with every behaviour of "
            "the protected distribution",
        )
    return passed(f"{gate['event']} in mode {mode}; keys present; {site} answers {answer.status_code}")


def _local_gate(ctx: Context, gate_url: str) -> Result:
    """`vwr local --protect`: its store lives in the gate's Node process, so only the visit is checked."""
    event_id = ctx.deployment.event_id
    registered = ctx.signed("GET", f"/events/{event_id}")
    if registered.status_code != 200:
        return failed(f"GET /events/{event_id}: {said(registered)}", "see vwr local's log")
    mode = str(registered.json().get("mode", "queue"))
    gate = {"event": event_id, "room": ctx.deployment.waiting_room}
    site = gate_url + "/vwr-verify-probe"
    answer = ctx.http.get(site, allow_redirects=False, timeout=ctx.options.http_timeout)
    problem = _edge_answer_problem(answer, gate, mode)
    if problem:
        return failed(
            f"{site}: {problem}", "see vwr local's log (the gate's Node process and its store sync)"
        )
    return passed(
        f"{event_id} in mode {mode}: {site} answers {answer.status_code} "
        "(vwr local's gate store lives in its Node process: not read)"
    )
