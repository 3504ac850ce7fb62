"""The metrics job and the custom resources that set a deployment up."""

from __future__ import annotations

import json

from lambdas import custom_resources, metrics_event
from lambdas.waiting_room import keys
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.redis_store import connection
from tests.integration.conftest import Core


def test_metrics_event_publishes_every_counter_as_integers(core: Core, event_sink, capsys) -> None:
    request_ids = core.enter(3)
    core.serve(2)
    core.token(request_ids[0])
    event_sink()
    values = metrics_event.handler({}, None)["events"][core.event_id]
    [event] = [e for e in event_sink() if e["detail-type"] == "waiting_room_metrics"]
    # Ours, and the retired solution's names beside them so its users' EventBridge rules still match.
    retired = {
        "num_active_tokens": 1,
        "total_num_tokens": 1,
        "queue_counter": 3,
        "serving_number": 2,
        "completed_sessions": 0,
        "abandoned_sessions": 0,
    }
    detail = event["detail"]
    assert detail == {"event_id": core.event_id, **values, **retired}
    assert all(type(v) is int for k, v in detail.items() if k != "event_id")
    assert values["queue_counter"] == 3 and values["serving_counter"] == 2 and values["active_tokens"] == 1
    assert values["waiting_num"] == 2 and all(isinstance(v, int) for v in values.values())
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # CloudWatch embedded metric format
    assert emf["queue_counter"] == [3.0] or emf["queue_counter"] == 3


def test_generate_keys_fills_the_secret_once(core: Core, aws_session) -> None:
    secret_id = "test-generated-keys"
    secrets = aws_session.client("secretsmanager")
    secrets.create_secret(Name=secret_id, SecretString="{}")
    event = {"RequestType": "Create", "ResourceProperties": {"SecretId": secret_id}}
    created = custom_resources.generate_keys_handler(event, None)
    material = json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"])
    assert (
        created["Data"]["kid"]
        == material["kid"]
        == keys.thumbprint(keys.parse_key_material(material).private_key.public_key())
    )
    updated = custom_resources.generate_keys_handler({**event, "RequestType": "Update"}, None)
    assert updated["Data"]["kid"] == created["Data"]["kid"]  # an update keeps the key: tokens stay valid
    assert json.loads(secrets.get_secret_value(SecretId=secret_id)["SecretString"]) == material
    deleted = custom_resources.generate_keys_handler({**event, "RequestType": "Delete"}, None)
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]


def test_initialize_state_keeps_a_built_state_and_rebuilds_a_lost_one(core: Core) -> None:
    core.enter(2)
    custom_resources.initialize_state_handler({"RequestType": "Create"}, None)
    assert EventCounters(core.event_id).counters()["queue_counter"] == 2
    connection().flushall()
    custom_resources.initialize_state_handler({"RequestType": "Create"}, None)
    counters = EventCounters(core.event_id)
    assert counters.redis.exists(counters.keys.incarnation)
    assert counters.counters()["queue_counter"] == 2
