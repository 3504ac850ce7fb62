"""The visitor's and the operator's steps over HTTP, shared by the end-to-end tests."""

from __future__ import annotations

import time
from typing import Any

import requests

from local.testing import Runtime

TIMEOUT = 10.0


def enter(runtime: Runtime, session: requests.Session | None = None) -> str:
    """POST /assign_queue_num: the visitor's request id."""
    answer = (session or requests).post(
        runtime.public_api + "/assign_queue_num", json={"event_id": runtime.event_id}, timeout=TIMEOUT
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["api_request_id"]


def position(runtime: Runtime, request_id: str, *, within: float = 20.0, session: Any = None) -> int:
    """Polls GET /queue_num until the worker assigned the position (202 until then)."""
    deadline = time.monotonic() + within
    while True:
        answer = (session or requests).get(
            runtime.public_api + "/queue_num",
            params={"event_id": runtime.event_id, "request_id": request_id},
            timeout=TIMEOUT,
        )
        if answer.status_code == 200:
            return answer.json()["queue_number"]
        assert answer.status_code == 202, answer.text
        assert time.monotonic() < deadline, f"no position after {within} s"
        time.sleep(0.1)


def counters(runtime: Runtime) -> dict[str, int]:
    answer = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    assert answer.status_code == 200, answer.text
    return answer.json()


def increment(runtime: Runtime, by: int) -> int:
    answer = runtime.signed(
        "POST",
        runtime.private_api + "/increment_serving_counter",
        json_body={"event_id": runtime.event_id, "increment_by": by},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["serving_num"]


def reset(runtime: Runtime) -> None:
    answer = runtime.signed(
        "POST", runtime.private_api + "/reset_initial_state", json_body={"event_id": runtime.event_id}
    )
    assert answer.status_code == 200, answer.text


def token(runtime: Runtime, request_id: str) -> requests.Response:
    return requests.post(
        runtime.public_api + "/generate_token",
        json={"event_id": runtime.event_id, "request_id": request_id},
        timeout=TIMEOUT,
    )


def active_tokens(runtime: Runtime) -> int:
    answer = runtime.signed(
        "GET", runtime.private_api + "/num_active_tokens", params={"event_id": runtime.event_id}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["active_tokens"]


def eventually(check: Any, *, within: float = 15.0, every: float = 0.2) -> Any:
    """The first truthy result of `check()`, or an assertion error with the last one."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"still {result!r} after {within} s"
        time.sleep(every)
