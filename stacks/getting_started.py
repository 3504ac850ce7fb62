"""Getting started: core + authorizer + sample in one CDK stage, wired to each other, so a first
deployment is one command (`npx aws-cdk@2 deploy 'GettingStarted/*'`) with no outputs to copy.

What the stacks hand each other are cross-stack exports, and CloudFormation never lets an export in
use change. So nothing a user may change travels that way: each stack asks for the event id as its
own `EventId` parameter, and `--parameters EventId=<id>` (no stack prefix) gives it to all three.
"""

from __future__ import annotations

from aws_cdk import Stage
from constructs import Construct

from stacks.authorizer import AuthorizerStack
from stacks.config import AppConfig
from stacks.core import CoreStack
from stacks.sample import SampleStack


class GettingStarted(Stage):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.core = CoreStack(self, "Core", config=config)
        self.authorizer = AuthorizerStack(
            self,
            "Authorizer",
            config=config,
            public_api_url=self.core.public_api_url,
            issuer=self.core.issuer,
        )
        self.sample = SampleStack(
            self,
            "Sample",
            config=config,
            public_api_url=self.core.public_api_url,
            private_api_url=self.core.private_api_url,
            public_reads_url=self.core.public_reads_url,
            authorizer_arn=self.authorizer.function.function_arn,
        )
