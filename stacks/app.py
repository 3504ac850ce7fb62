"""Builds every stack into an app; shared by app.py and the infrastructure tests."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.authorizer import AuthorizerStack
from stacks.config import AppConfig
from stacks.core import CoreStack
from stacks.edge import EdgeStack
from stacks.getting_started import GettingStarted
from stacks.inlet import InletStack
from stacks.openid import OpenIdStack
from stacks.sample import SampleStack


@dataclass
class WaitingRoomApp:
    core: CoreStack
    authorizer: AuthorizerStack
    sample: SampleStack
    inlet: InletStack
    openid: OpenIdStack
    edge: EdgeStack
    getting_started: GettingStarted

    def stacks(self) -> list[Stack]:
        """Every stack, standalone ones first, then the composition's."""
        gs = self.getting_started
        return [
            self.core,
            self.authorizer,
            self.sample,
            self.inlet,
            self.openid,
            self.edge,
            gs.core,
            gs.authorizer,
            gs.sample,
        ]


def build_app(app: App, *, nag: bool = True) -> WaitingRoomApp:
    """Standalone stacks take their inputs as CloudFormation parameters (deploy them in order and
    pass outputs along); GettingStarted wires core, authorizer and sample together itself."""
    config = AppConfig.from_context(app.node)
    prefix = str(app.node.try_get_context("stack_prefix") or "WaitingRoom")
    built = WaitingRoomApp(
        core=CoreStack(app, f"{prefix}-Core", config=config),
        authorizer=AuthorizerStack(app, f"{prefix}-Authorizer", config=config),
        sample=SampleStack(app, f"{prefix}-Sample", config=config),
        inlet=InletStack(app, f"{prefix}-Inlet", config=config),
        openid=OpenIdStack(app, f"{prefix}-OpenId", config=config),
        edge=EdgeStack(app, f"{prefix}-Edge", config=config),
        getting_started=GettingStarted(app, "GettingStarted", config=config),
    )
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return built
