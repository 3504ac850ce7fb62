"""One synth of the whole app per test session (bundling skipped), shared by every test.

The app is built exactly as `app.py` builds it, cdk-nag included; a synth failure (for example
a cdk-nag finding) is kept and reported by the test that checks it, so the other tests still run
on the templates written before the validation step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App

from stacks.app import WaitingRoomApp, build_app


@dataclass
class Synth:
    outdir: Path
    built: WaitingRoomApp
    error: Exception | None
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def template(self, stack_key: str) -> dict[str, Any]:
        """`core`, `authorizer`, `sample`, `inlet`, `openid`, or `gs.core` ... for the composition."""
        return self.templates[stack_key]

    def resources(self, stack_key: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[stack_key]["Resources"].items() if v["Type"] == kind}


def _stack_keys(built: WaitingRoomApp) -> dict[str, Any]:
    gs = built.getting_started
    return {
        "core": built.core,
        "authorizer": built.authorizer,
        "sample": built.sample,
        "inlet": built.inlet,
        "openid": built.openid,
        "gs.core": gs.core,
        "gs.authorizer": gs.authorizer,
        "gs.sample": gs.sample,
    }


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    built = build_app(app)
    error: Exception | None = None
    try:
        app.synth()
    except Exception as exc:  # cdk-nag findings raise here; test_nag reports them
        error = exc
    result = Synth(outdir, built, error)
    for key, stack in _stack_keys(built).items():
        path = outdir / stack.template_file if (outdir / stack.template_file).exists() else None
        if path is None:
            path = next(outdir.rglob(stack.template_file))
        result.templates[key] = json.loads(path.read_text())
    yield result


STANDALONE = ("core", "authorizer", "sample", "inlet", "openid")
ALL_STACKS = (*STANDALONE, "gs.core", "gs.authorizer", "gs.sample")
