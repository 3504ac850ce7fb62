"""One event id pattern: the CloudFormation parameter, the request model of /assign_queue_num, the
handlers and the local runtime accept and refuse the same strings.

Each consumer is asked as it really decides: the parameter's AllowedPattern and the model's schema
are read from the synthesized templates, the model's pattern is run by Node's RegExp (JSON Schema
patterns are ECMA 262, as API Gateway reads them), the handlers through `require_event_id`, the
local runtime through its option check and its integration of /assign_queue_num.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from lambdas.catalog import EVENT_ID_PATTERN
from lambdas.waiting_room.http import HttpError, require_event_id
from local import integration
from local.options import Options
from tests.infrastructure.conftest import ALL_STACKS, Synth
from tests.infrastructure.helpers import by_type

ACCEPTED = ["Sample", "a", "0", "x_-y", "Z" * 64, "a" + "-" * 63, "e2e-event"]
REFUSED = [
    "",
    "_x",
    "-x",
    "Z" * 65,
    "Z" * 128,
    "Z" * 129,
    "a.b",
    "a:b",
    "a b",
    "a/b",
    "{a}",
    "x\n",
    "\u00e9t\u00e9",  # letters outside ASCII
    "\uff21",  # fullwidth A
    "\u0661",  # an Arabic-Indic digit
]
CASES = [(value, True) for value in ACCEPTED] + [(value, False) for value in REFUSED]


def _ids(case: tuple[str, bool]) -> str:
    value, _ = case
    return repr(value) if len(value) < 20 else f"{value[:3]}...x{len(value)}"


def _by_handlers(value: str) -> bool:
    try:
        require_event_id({"event_id": value})
    except HttpError:
        return False
    return True


def _by_local_option(value: str) -> bool:
    return Options(event_id=value).problem() is None


def _by_local_integration(value: str) -> bool:
    class Queue:
        def send_message(self, **_: Any) -> None:
            pass

    body = json.dumps({"event_id": value}).encode()
    answer = integration.assign_queue_num(Queue(), "queue", body, "rid", "application/json")
    assert answer.status in (200, 400)
    return answer.status == 200


@pytest.fixture(scope="module")
def parameter_patterns(synth: Synth) -> set[str]:
    """The AllowedPattern of every EventId-like parameter of every template."""
    patterns = set()
    for key in ALL_STACKS:
        for name, parameter in synth.template(key).get("Parameters", {}).items():
            if name == "EventId":
                patterns.add(parameter["AllowedPattern"])
    return patterns


@pytest.fixture(scope="module")
def model_verdicts(synth: Synth) -> dict[str, bool]:
    """The /assign_queue_num model's verdict on each case, its pattern run as ECMA 262 by Node."""
    node = shutil.which("node")
    assert node, "Node.js runs the CDK synth; it must be installed"
    (model,) = by_type(synth.template("core"), "AWS::ApiGateway::Model").values()
    schema = model["Properties"]["Schema"]["properties"]["event_id"]
    script = (
        "const {schema, cases} = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const re = new RegExp(schema.pattern);"
        "console.log(JSON.stringify(cases.map(s => typeof s === 'string' && s.length >= schema.minLength"
        " && s.length <= schema.maxLength && re.test(s))));"
    )
    values = [value for value, _ in CASES]
    run = subprocess.run(
        [node, "-e", script],
        input=json.dumps({"schema": schema, "cases": values}),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return dict(zip(values, json.loads(run.stdout), strict=True))


def test_every_template_uses_the_one_pattern(synth: Synth, parameter_patterns: set[str]) -> None:
    assert parameter_patterns == {EVENT_ID_PATTERN}
    # The retired solution's names for it: the same pattern, or empty for "use EventId".
    retired = {
        parameter["AllowedPattern"]
        for key in ALL_STACKS
        for name, parameter in synth.template(key).get("Parameters", {}).items()
        if name in ("EventID", "WaitingRoomEventID")
    }
    assert retired == {f"^$|{EVENT_ID_PATTERN}"}


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_each_consumer_decides_alike(
    case: tuple[str, bool], parameter_patterns: set[str], model_verdicts: dict[str, bool]
) -> None:
    value, accepted = case
    # CloudFormation matches AllowedPattern against the whole value.
    verdicts = {f"parameter {p}": re.fullmatch(p, value) is not None for p in parameter_patterns}
    verdicts |= {
        "request model": model_verdicts[value],
        "handlers": _by_handlers(value),
        "local --event-id": _by_local_option(value),
        "local /assign_queue_num": _by_local_integration(value),
    }
    assert verdicts == dict.fromkeys(verdicts, accepted)
