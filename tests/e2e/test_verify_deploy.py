"""`vwr verify-deploy` against `vwr local`: every check passes (or says which part the local runtime
lacks), and three breakages each fail the check that names them, with the advice that fixes them.

One runtime owns a redis-server the test can stop (passed with `--redis-url`); the wrong signing
key needs a runtime of its own, since a container reads its key once and keeps it. Timeouts are
short through the command's own options, so a failing wait costs seconds, not half a minute.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdas.waiting_room.keys import generate_key_material
from local.testing import ROOT, Runtime, running_runtime
from tests.e2e import test_chaos
from tests.e2e.test_chaos import RedisProcess

# The chaos test's redis-server, which a test can stop (module-scoped: one for this module).
redis_process = test_chaos.redis_process
FAST = ("--batch-window", "0.2", "--visibility-timeout", "2", "--set", "ORDERING_WINDOW_MS=200")
# What the local runtime has no counterpart of, and the words each skip gives as its reason.
LOCAL_SKIPS = {
    "stacks": "no CloudFormation stacks",
    "outbox": "no Lambda event source mappings",
    "origin-lock": "no origin",
    "waf": "no CloudFront distribution",
    "alarms": "no CloudWatch alarms",
}


@pytest.fixture(scope="module")
def verified_runtime(
    redis_process: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runtime]:
    # --protect: the edge gate in front of a sample shop, so the edge check has a gate to visit.
    args = ("--event-id", "verified", "--redis-url", redis_process.url, "--protect", *FAST)
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-verify")) as started:
        yield started


def verify(runtime: Runtime, tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    """Runs `vwr verify-deploy --ready <file> --json` as a user would; its exit code and report."""
    ready = tmp_path / "ready.json"
    ready.write_text(json.dumps(runtime.ready))
    command = [sys.executable, "-m", "local.cli", "verify-deploy", "--ready", str(ready), "--json", *options]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in report["checks"]}


def leftovers(runtime: Runtime) -> list[str]:
    """Whatever of the command's own is still there: events, queues, rules named vwr-verify-..."""
    events = runtime.signed("GET", runtime.private_api + "/events", params={"limit": 100}).json()["events"]
    queues = runtime.boto3_client("sqs").list_queues(QueueNamePrefix="vwr-verify-").get("QueueUrls", [])
    rules = runtime.boto3_client("events").list_rules(
        NamePrefix="vwr-verify-", EventBusName=runtime.event_bus
    )
    return (
        [e["event_id"] for e in events if e["event_id"].startswith("vwr-verify-")]
        + queues
        + [r["Name"] for r in rules["Rules"]]
    )


def test_every_check_passes_or_names_what_vwr_local_lacks(verified_runtime: Runtime, tmp_path: Path) -> None:
    code, report = verify(verified_runtime, tmp_path, "--position-timeout", "20", "--event-timeout", "20")

    checks = by_id(report)
    assert code == 0 and report["ok"], report
    skipped = {check_id: c["detail"] for check_id, c in checks.items() if c["status"] == "skip"}
    assert set(skipped) == set(LOCAL_SKIPS), skipped
    for check_id, words in LOCAL_SKIPS.items():
        assert words in skipped[check_id]
    assert all(c["status"] == "pass" for i, c in checks.items() if i not in LOCAL_SKIPS), checks
    assert "verified in mode queue" in checks["edge"]["detail"] and "not read" in checks["edge"]["detail"]
    # The journey ran on its own event: the deployment's own counters did not move.
    counters = verified_runtime.signed(
        "GET", verified_runtime.private_api + "/counters", params={"event_id": "verified"}
    ).json()
    assert counters["queue_counter"] == 0 and counters["serving_counter"] == 0
    assert leftovers(verified_runtime) == []


def test_keep_leaves_the_throwaway_event_and_nothing_else(verified_runtime: Runtime, tmp_path: Path) -> None:
    code, report = verify(verified_runtime, tmp_path, "--keep")

    assert code == 0, report
    kept = [name for name in leftovers(verified_runtime)]
    assert len(kept) == 1 and kept[0] in by_id(report)["cleanup"]["detail"]
    assert (
        verified_runtime.signed("DELETE", verified_runtime.private_api + f"/events/{kept[0]}").status_code
        == 200
    )


def test_a_worker_that_gets_no_entries_fails_the_position_check(
    verified_runtime: Runtime, tmp_path: Path
) -> None:
    # The worker stops receiving as a disabled event source mapping would: the queue holds every
    # new entry out of its sight for 15 minutes.
    sqs = verified_runtime.boto3_client("sqs")
    sqs.set_queue_attributes(QueueUrl=verified_runtime.entry_queue_url, Attributes={"DelaySeconds": "900"})
    try:
        code, report = verify(verified_runtime, tmp_path, "--position-timeout", "3")
    finally:
        sqs.set_queue_attributes(QueueUrl=verified_runtime.entry_queue_url, Attributes={"DelaySeconds": "0"})

    checks = by_id(report)
    assert code == 1 and not report["ok"]
    assert checks["entry"]["status"] == "pass"
    assert checks["position"]["status"] == "fail"
    assert (
        "QueueWorker" in checks["position"]["advice"]
        and "event source mapping" in checks["position"]["advice"]
    )
    assert checks["tokens"]["status"] == "skip" and "position" in checks["serving"]["detail"]
    assert checks["cleanup"]["status"] == "pass" and leftovers(verified_runtime) == []


def test_ctrl_c_while_it_waits_removes_what_it_created(verified_runtime: Runtime, tmp_path: Path) -> None:
    sqs = verified_runtime.boto3_client("sqs")
    sqs.set_queue_attributes(QueueUrl=verified_runtime.entry_queue_url, Attributes={"DelaySeconds": "900"})
    ready = tmp_path / "ready.json"
    ready.write_text(json.dumps(verified_runtime.ready))
    command = [sys.executable, "-m", "local.cli", "verify-deploy", "--ready", str(ready), "--json"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        # The table goes to stderr with --json, one line per check as it ends.
        for line in process.stderr:
            if "entry reaches the queue" in line:
                break
        process.send_signal(signal.SIGINT)  # it now waits for a position that cannot come
        _, rest = process.communicate(timeout=60)
    finally:
        sqs.set_queue_attributes(QueueUrl=verified_runtime.entry_queue_url, Attributes={"DelaySeconds": "0"})
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130, rest
    assert "nothing left behind" in rest and "interrupted" in rest
    assert leftovers(verified_runtime) == []


def test_redis_stopped_fails_the_cache_check(
    verified_runtime: Runtime, redis_process: RedisProcess, tmp_path: Path
) -> None:
    redis_process.kill()  # last test of this runtime: nothing starts it again

    code, report = verify(verified_runtime, tmp_path)

    checks = by_id(report)
    assert code == 1
    assert checks["private-api"]["status"] == "pass"
    assert checks["cache"]["status"] == "fail"
    assert "Redis" in checks["cache"]["advice"] and "pre-flight 1-3" in checks["cache"]["advice"]


def test_a_wrong_signing_key_fails_the_tokens_check(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    # With a proof of work to solve too: the command's entry solves it as the page does.
    args = ("--event-id", "rekeyed", "--set", "POW_DIFFICULTY=8", *FAST)
    with running_runtime(args, log_dir=tmp_path_factory.mktemp("vwr-rekeyed")) as runtime:
        # Before any token is signed: the signing functions read this key, /public_key keeps the first.
        runtime.boto3_client("secretsmanager").put_secret_value(
            SecretId="vwr-jwt-keys", SecretString=json.dumps(generate_key_material())
        )
        code, report = verify(runtime, tmp_path)

    checks = by_id(report)
    assert code == 1
    assert checks["entry"]["status"] == checks["serving"]["status"] == "pass"
    assert "proof of work of 8 bits" in checks["entry"]["detail"]
    assert checks["tokens"]["status"] == "fail"
    assert (
        "JwtKeysSecretArn" in checks["tokens"]["advice"]
        and "JwtPublicKeyParameter" in checks["tokens"]["advice"]
    )
    assert checks["protected"]["status"] == "skip"
    assert checks["edge"] == {**checks["edge"], "status": "skip", "detail": "no edge stack given"}
