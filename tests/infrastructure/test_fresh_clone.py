"""The README's deploy path on a fresh clone: `npx aws-cdk@2 synth`, nothing activated beforehand.

The clone is what `git clone` of this working tree would hold: every file git tracks or would
track (ignored ones such as .venv and cdk.out left out), so the test runs the code under test
rather than the last commit. The CDK CLI runs cdk.json's app, which must make the project's
environment by itself, and the synth is real: cdk-nag and the Lambda bundle included. uv's cache
is the machine's usual one, so creating the clone's .venv costs little.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _fresh_clone(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, check=True, capture_output=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _shell_of_a_new_user() -> dict[str, str]:
    """This shell without anything the Makefile or an activated .venv would have set."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "CDK_OUTDIR"}}
    ours = str(REPO_ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != ours)
    env["npm_config_yes"] = "true"  # the answer a person gives npx's "Ok to proceed?" for aws-cdk@2
    return env


def test_npx_cdk_synth_works_on_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("npx") is None:
        pytest.fail("npx is missing: run `scripts/install-system.sh node:nodejs` (or `make test`)")
    clone = tmp_path / "clone"
    _fresh_clone(clone)
    assert not (clone / ".venv").exists()
    try:
        done = subprocess.run(
            ["npx", "aws-cdk@2", "synth"], cwd=clone, env=_shell_of_a_new_user(),
            capture_output=True, text=True, timeout=1200,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-4000:]
        assert (clone / ".venv" / "bin" / "python").exists()
        manifest = json.loads((clone / "cdk.out" / "manifest.json").read_text())
        stages = {a["properties"]["directoryName"] for a in manifest["artifacts"].values()
                  if a["type"] == "cdk:cloud-assembly"}  # fmt: skip
        assert any("GettingStarted" in stage for stage in stages), stages
        # The Lambda bundle was built (locally: there is no Docker here), dependencies and sources.
        bundles = [d for d in (clone / "cdk.out").glob("asset.*") if (d / "lambdas" / "catalog.py").is_file()]
        assert bundles and all((d / "jwt").is_dir() for d in bundles)
    finally:
        shutil.rmtree(clone, ignore_errors=True)  # its .venv is large; pytest keeps old tmp dirs
