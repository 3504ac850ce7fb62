"""Keeps the edge gate's KeyValueStore in step with the event and the pass keys (scheduled).

A schedule runs at most once a minute, so each run checks every EDGE_SYNC_INTERVAL_SECONDS until the
next one starts: a mode change, a reset or a deletion reaches the store within that interval (plus
the public API's 5 s cache), and CloudFront then carries it to every edge location.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping

from lambdas.catalog import EDGE_SYNC_INTERVAL_SECONDS, EDGE_SYNC_ROUNDS, Resource, Setting
from lambdas.waiting_room.aws import client
from lambdas.waiting_room.edge_pass import edge_keys
from lambdas.waiting_room.edge_store import desired, event_state, gate_config, sync
from lambdas.waiting_room.http import logger


class CloudFrontKeyValueStore:
    """The store through the CloudFront KeyValueStore API (every write names the ETag it read)."""

    def __init__(self, arn: str) -> None:
        self.arn = arn
        self.api = client("cloudfront-keyvaluestore")

    def entries(self) -> dict[str, str]:
        held: dict[str, str] = {}
        for page in self.api.get_paginator("list_keys").paginate(KvsARN=self.arn):
            held |= {item["Key"]: item["Value"] for item in page.get("Items", [])}
        return held

    def apply(self, puts: Mapping[str, str], deletes: list[str]) -> None:
        etag = self.api.describe_key_value_store(KvsARN=self.arn)["ETag"]
        self.api.update_keys(
            KvsARN=self.arn,
            IfMatch=etag,
            Puts=[{"Key": k, "Value": v} for k, v in puts.items()],
            Deletes=[{"Key": k} for k in deletes],
        )


def configured_gate() -> dict:
    """The stack's EDGE_GATE_CONFIG: event, room, and comma-separated hosts and bypass patterns."""
    given = json.loads(os.environ[Setting.EDGE_GATE.value])
    return gate_config(
        event_id=given["event"],
        room_url=given["room"],
        hosts=given.get("hosts", "").split(","),
        bypass=given.get("bypass", "").split(","),
        scheme=given.get("scheme", "https"),
    )


def sync_once(store) -> dict[str, int]:
    config = configured_gate()
    state = event_state(os.environ[Setting.PUBLIC_API_URL.value], config["event"])
    changed = sync(store, desired(config, edge_keys(), state))
    if changed["put"] or changed["deleted"]:
        logger.info("edge store updated", extra={**changed, "state": state})
    return changed


def handler(event, context):
    store = CloudFrontKeyValueStore(os.environ[Resource.EDGE_STORE.value])
    for round_ in range(EDGE_SYNC_ROUNDS):
        sync_once(store)
        if round_ < EDGE_SYNC_ROUNDS - 1:
            time.sleep(EDGE_SYNC_INTERVAL_SECONDS)
