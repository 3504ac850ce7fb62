"""One synth of the whole app per test session (bundling skipped), shared by every test (the
`synth` and `templates_root` fixtures live in tests/conftest.py, so every package gets the same one).

The app is built exactly as `app.py` builds it, cdk-nag included; a synth failure (for example
a cdk-nag finding) is kept and reported by the test that checks it, so the other tests still run
on the templates written before the validation step.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.app import WaitingRoomApp, build_app
from stacks.config import AppConfig
from stacks.core import CoreStack


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
        "edge": built.edge,
        "gs.core": gs.core,
        "gs.authorizer": gs.authorizer,
        "gs.sample": gs.sample,
    }


def synthesize(templates_root: Path) -> Synth:
    """The whole app, as `app.py` builds it; the session's `synth` fixture (tests/conftest.py), so
    the infrastructure and the security tests read one synth, the one the scanners check."""
    outdir = templates_root / "app"
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
    return result


STANDALONE = ("core", "authorizer", "sample", "inlet", "openid", "edge")
ALL_STACKS = (*STANDALONE, "gs.core", "gs.authorizer", "gs.sample")


# Every other cache the synth-time options can build (docs/DEPLOY.md); the default one, Serverless
# Valkey, is the session synth's core stack. The node-based Valkey variant carries the other
# options too (architecture, tracing, endpoints in two AZs) so that one synth covers them.
CACHE_VARIANTS: dict[str, dict[str, str]] = {
    "serverless-redis": {"redis_engine": "redis"},
    "node-valkey": {
        "redis_node_type": "cache.t4g.small",
        "redis_nodes": "2",
        "architecture": "x86_64",
        "endpoint_azs": "2",
        "tracing": "true",
    },
    "node-redis": {"redis_engine": "redis", "redis_node_type": "cache.t4g.micro"},
}


@dataclass
class Variants:
    outdir: Path
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def variants(templates_root: Path, synth: Synth) -> Variants:
    """The core stack of each cache variant, synthesized once per session with cdk-nag (a finding
    raises here); `serverless-valkey` is the session synth's own core template."""
    outdir = templates_root / "variants"
    templates = {"serverless-valkey": synth.template("core")}
    for name, context in CACHE_VARIANTS.items():
        app = App(outdir=str(outdir / name), context={"aws:cdk:bundling-stacks": [], **context})
        stack = CoreStack(app, f"Variant-{name}", config=AppConfig.from_context(app.node))
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        app.synth()
        templates[name] = json.loads((outdir / name / stack.template_file).read_text())
    return Variants(outdir, templates)
