"""Helpers of the browser tests."""

from __future__ import annotations

import time

import requests
from botocore.credentials import Credentials

from local.testing import signed_request

# What the local gateway's CDN imitation keeps serving_num and waiting_num for (the wiring table's
# SHORT cache policy), plus a margin.
CDN_SHORT_TTL_S = 5.5


class Operator:
    """The private API, signed like the inlet strategies sign it."""

    def __init__(self, ready: dict):
        self.ready = ready
        self.session = requests.Session()
        self.credentials = Credentials(ready["access_key_id"], ready["secret_access_key"])

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        params: dict | None = None,
        *,
        status: int = 200,
    ) -> dict:
        response = signed_request(
            self.session,
            method,
            self.ready["private_api"] + path,
            params=params,
            json_body=body,
            credentials=self.credentials,
            region=self.ready["region"],
        )
        assert response.status_code == status, response.text
        return response.json()

    def counters(self, event_id: str | None = None) -> dict:
        return self.call("GET", "/counters", params={"event_id": event_id or self.ready["event_id"]})

    def increment(self, by: int, event_id: str | None = None) -> int:
        body = {"event_id": event_id or self.ready["event_id"], "increment_by": by}
        return self.call("POST", "/increment_serving_counter", body)["serving_num"]

    def events(self) -> dict[str, dict]:
        """The registered events by id (GET /events, one page of every event)."""
        listed = self.call("GET", "/events", params={"limit": "1000"})
        return {event["event_id"]: event for event in listed["events"]}

    def serve_up_to(self, position: int) -> None:
        serving = self.counters()["serving_counter"]
        if position > serving:
            self.increment(position - serving)

    def enter_others(self, how_many: int) -> None:
        for _ in range(how_many):
            response = self.session.post(
                self.ready["public_api"] + "/assign_queue_num", json={"event_id": self.ready["event_id"]}
            )
            assert response.status_code == 200, response.text

    def remove_slack(self) -> None:
        """Brings the serving counter back to the queue counter if it ran ahead.

        A test whose visitor must wait needs a serving counter that is not ahead of the line; the
        pages see the change once the CDN's copy of serving_num has expired.
        """
        counters = self.counters()
        if counters["serving_counter"] > counters["queue_counter"]:
            self.increment(counters["queue_counter"] - counters["serving_counter"])
            time.sleep(CDN_SHORT_TTL_S)
