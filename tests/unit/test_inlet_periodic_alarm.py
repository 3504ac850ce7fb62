"""The Periodic inlet's alarm gate, for metric and composite alarms (botocore's Stubber).

The composite case is here because moto's server does not implement PutCompositeAlarm.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from inlet_strategies.periodic import alarm_blocks

EXPECTED = {"AlarmNames": ["site"], "AlarmTypes": ["CompositeAlarm", "MetricAlarm"]}


def stubbed(answer: dict[str, Any]) -> tuple[Any, Stubber]:
    cloudwatch = boto3.client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(cloudwatch)
    stubber.add_response("describe_alarms", answer, EXPECTED)
    stubber.activate()
    return cloudwatch, stubber


@pytest.mark.parametrize(
    ("answer", "blocks"),
    [
        ({"CompositeAlarms": [{"AlarmName": "site", "StateValue": "ALARM"}]}, True),
        ({"CompositeAlarms": [{"AlarmName": "site", "StateValue": "OK"}]}, False),
        ({"MetricAlarms": [{"AlarmName": "site", "StateValue": "ALARM"}]}, True),
        ({"MetricAlarms": [{"AlarmName": "site", "StateValue": "INSUFFICIENT_DATA"}]}, False),
        ({"MetricAlarms": [], "CompositeAlarms": []}, True),  # a missing alarm holds the inlet back
    ],
)
def test_alarm_gate(answer: dict[str, Any], blocks: bool) -> None:
    cloudwatch, stubber = stubbed(answer)
    assert alarm_blocks(cloudwatch, "site") is blocks
    stubber.assert_no_pending_responses()
