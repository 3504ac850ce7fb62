#!/usr/bin/env python3
"""The CDK app: every stack of the waiting room, each deployable on its own, plus the
getting-started composition (core + authorizer + sample wired together).

    python app.py                      # synthesize everything into $CDK_OUTDIR (cdk.out)
    npx aws-cdk@2 deploy WaitingRoom-Core  # cdk.json runs scripts/cdk_app.py: this file in .venv
    npx aws-cdk@2 deploy 'GettingStarted/*'
"""

from __future__ import annotations

import os
from pathlib import Path

from aws_cdk import App

from stacks.app import build_app


def main() -> None:
    app = App(outdir=os.environ.get("CDK_OUTDIR") or None)
    built = build_app(app)
    assembly = app.synth()  # raises ValidationFailed on an unacknowledged cdk-nag finding
    for stack in built.stacks():
        (template,) = Path(assembly.directory).rglob(stack.template_file)
        print(f"{stack.node.path:28} {template}")


if __name__ == "__main__":
    main()
