"""Issue 12, item 5: every private mutation leaves an audit line, and the private API an access log.

- On AWS the private API's stage writes one JSON access-log line per request with the caller's
  ARN (`$context.identity.userArn`), into a log group with a retention.
- Each mutation (increment, reset, update_session, private generate_token) logs one structured
  line: who (the caller's ARN from the request context), what, and the counter before and after.
  `vwr local` fills the ARN for a SigV4-signed call as API Gateway does, with the fixed ARN of its
  printed keys (`arn:aws:iam::123456789012:user/vwr-local`); read from the runtime's own log.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.testing import Runtime, running_runtime
from tests.infrastructure.conftest import Synth
from tests.infrastructure.helpers import by_type

LOCAL_CALLER = "arn:aws:iam::123456789012:user/vwr-local"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    args = ("--event-id", "sec-audit", "--batch-window", "0.2")
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr")) as started:
        yield started


def _audit_lines(runtime: Runtime) -> list[dict[str, Any]]:
    lines = []
    for path in (runtime.stdout_path, runtime.stderr_path):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"message":"audit"' in line:
                lines.append(json.loads(line))
    return lines


def _new_audit_line(runtime: Runtime, seen: int, action: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        found = [line for line in _audit_lines(runtime)[seen:] if line["audit_action"] == action]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.05)


def _private(runtime: Runtime, method: str, route: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = runtime.signed(
        method, runtime.private_api + route, json_body={"event_id": runtime.event_id, **body}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _served_visitor(runtime: Runtime) -> str:
    entry = requests.post(
        runtime.public_api + "/assign_queue_num", json={"event_id": runtime.event_id}, timeout=10
    )
    request_id = entry.json()["api_request_id"]
    deadline = time.monotonic() + 30
    while (
        requests.get(
            runtime.public_api + "/queue_num",
            params={"event_id": runtime.event_id, "request_id": request_id},
            timeout=10,
        ).status_code
        != 200
    ):
        assert time.monotonic() < deadline, "the entry was never assigned a position"
        time.sleep(0.1)
    return request_id


@pytest.mark.e2e
def test_each_private_mutation_logs_who_what_and_the_counter_before_and_after(runtime: Runtime) -> None:
    request_id = _served_visitor(runtime)

    seen = len(_audit_lines(runtime))
    _private(runtime, "POST", "/increment_serving_counter", {"increment_by": 3})
    line = _new_audit_line(runtime, seen, "increment_serving_counter")
    assert line["caller_arn"] == LOCAL_CALLER and line["event_id"] == runtime.event_id
    assert (line["counter"], line["before"], line["after"], line["increment_by"]) == (
        "serving_counter",
        0,
        3,
        3,
    )

    seen = len(_audit_lines(runtime))
    _private(runtime, "POST", "/generate_token", {"request_id": request_id})
    line = _new_audit_line(runtime, seen, "generate_token")
    assert (line["caller_arn"], line["counter"], line["before"], line["after"]) == (
        LOCAL_CALLER,
        "token_counter",
        0,
        1,
    )
    assert line["new_token"] is True
    assert request_id not in json.dumps(line)  # a bearer secret: masked in the trail

    seen = len(_audit_lines(runtime))
    _private(runtime, "POST", "/update_session", {"request_id": request_id, "status": 1})
    line = _new_audit_line(runtime, seen, "update_session")
    assert (line["caller_arn"], line["counter"], line["before"], line["after"]) == (
        LOCAL_CALLER,
        "completed_counter",
        0,
        1,
    )
    assert request_id not in json.dumps(line)

    seen = len(_audit_lines(runtime))
    _private(runtime, "POST", "/reset_initial_state", {})
    line = _new_audit_line(runtime, seen, "reset_initial_state")
    assert line["caller_arn"] == LOCAL_CALLER and line["counter"] == "all"
    assert line["before"]["serving_counter"] == 3 and line["before"]["completed_counter"] == 1
    assert line["after"]["serving_counter"] == 0 and line["after"]["completed_counter"] == 0


@pytest.mark.e2e
def test_a_read_or_a_refused_call_leaves_no_audit_line(runtime: Runtime) -> None:
    seen = len(_audit_lines(runtime))
    counters = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    assert counters.status_code == 200
    unsigned = requests.post(
        runtime.private_api + "/increment_serving_counter",
        json={"event_id": runtime.event_id, "increment_by": 1},
        timeout=10,
    )
    assert unsigned.status_code == 403
    below_zero = runtime.signed(
        "POST",
        runtime.private_api + "/increment_serving_counter",
        json_body={"event_id": runtime.event_id, "increment_by": -(10**6)},
    )
    assert below_zero.status_code == 400
    time.sleep(0.2)
    assert _audit_lines(runtime)[seen:] == []


@pytest.mark.parametrize("stack", ["core", "gs.core"])
def test_the_private_stage_logs_each_callers_arn_into_a_log_group_with_a_retention(
    synth: Synth, stack: str
) -> None:
    template = synth.template(stack)
    apis = {
        logical: resource["Properties"]["Name"].rsplit("-", 1)[-1]
        for logical, resource in by_type(template, "AWS::ApiGateway::RestApi").items()
    }
    stages = {
        apis[s["Properties"]["RestApiId"]["Ref"]]: s["Properties"]
        for s in by_type(template, "AWS::ApiGateway::Stage").values()
    }
    setting = stages["private"]["AccessLogSetting"]
    fields = json.loads(setting["Format"])
    assert fields["userArn"] == "$context.identity.userArn"
    assert {"requestId", "httpMethod", "resourcePath", "status"} <= set(fields)
    group = template["Resources"][setting["DestinationArn"]["Fn::GetAtt"][0]]
    assert group["Type"] == "AWS::Logs::LogGroup" and group["Properties"]["RetentionInDays"] >= 30
    # API Gateway writes it with the account's CloudWatch role.
    (account,) = by_type(template, "AWS::ApiGateway::Account").values()
    assert account["Properties"]["CloudWatchRoleArn"]
