"""`vwr load --abuse`: an abusive client beside a small honest crowd, and what the report says.

With the proof of work on, a client that posts one solution with every entry (each of its two
workers solves one and reuses it) gets one place per solution at most, and every other entry is
refused by the worker with `proof_of_work`; the honest visitors, who solve a challenge each as the
page does, are all admitted.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import simulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

VISITORS = 30


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("abuse")
    simulator.main(
        [
            "--visitors", str(VISITORS), "--rate", "30", "--inlet", "self:100/s",
            "--poll-near", "500", "--max-seconds", "120",
            "--abuse", "reuse", "--abuse-seconds", "1", "--abuse-concurrency", "2",
            "--runtime-arg=--set=POW_DIFFICULTY=8",
            "--output", str(out), "--no-progress",
        ]
    )  # fmt: skip
    report = (out / "report.md").read_text()
    assert "## The abusive client" in report
    return json.loads((out / "summary.json").read_text())


def test_a_reused_solution_takes_one_place_at_most(summary: dict) -> None:
    abuse = summary["abuse"]
    assert abuse["mode"] == "reuse" and abuse["entries_accepted"] > 1
    assert abuse["challenges_solved"] <= 2  # one per worker, then reused
    assert abuse["positions"] <= abuse["challenges_solved"]
    assert abuse["refused_by_the_worker"] == {"proof_of_work": abuse["entries_accepted"] - abuse["positions"]}


def test_the_honest_crowd_is_admitted_and_the_invariants_hold(summary: dict) -> None:
    assert summary["visitors"]["admitted"] == VISITORS
    assert all(summary["invariants"].values()), summary["invariants"]
