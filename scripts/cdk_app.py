#!/usr/bin/env python3
"""What cdk.json runs: app.py in the project's own environment (.venv).

The CDK CLI starts the app with whatever `python3` is on PATH, which has no aws_cdk; this script
asks `make` to create or refresh .venv (a no-op when it is up to date), then hands over to
.venv's Python. So `npx aws-cdk@2 synth|deploy ...` works on a fresh clone without activating
anything. Only the standard library is used here: it runs before .venv exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def ensure_environment() -> None:
    # make's own output goes to stderr: the CDK CLI shows it, and stdout stays the app's.
    try:
        made = subprocess.run(
            ["make", "--no-print-directory", "-s", ".venv/.installed"], cwd=ROOT, stdout=sys.stderr
        )
    except FileNotFoundError:
        sys.exit("The CDK app needs `make` to create its Python environment (.venv); install make.")
    if made.returncode != 0:
        sys.exit(f"`make .venv/.installed` failed (exit {made.returncode}): the CDK app has no environment.")


def main() -> None:
    ensure_environment()
    env = dict(os.environ)
    # PYTHONPATH is this checkout, not one an outer shell exported (the Makefile's, another clone's).
    env["PYTHONPATH"] = str(ROOT)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    os.execve(VENV_PYTHON, [str(VENV_PYTHON), str(ROOT / "app.py"), *sys.argv[1:]], env)


if __name__ == "__main__":
    main()
