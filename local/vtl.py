"""API Gateway's mapping templates evaluated as API Gateway evaluates them, from Python.

The evaluation is the JavaScript imitation next to the templates (mapping_templates/api_gateway.mjs,
Velocity under Node), reached through the shared Node process: the local gateway and the tests run
the very templates the stacks deploy, not a Python rendering of them.
"""

from __future__ import annotations

from typing import Any

import mapping_templates
from local.node_bridge import NodeBridge, NodeError, shared


def render(template: str, request: dict[str, Any], bridge: NodeBridge | None = None) -> str:
    """`template` evaluated for `request`: {body, headers, pathParameters, queryStringParameters,
    httpMethod, path, resourcePath, context: {requestId, requestTimeEpoch, identity, error, ...}}."""
    return (bridge or shared()).call(mapping_templates.EVALUATOR, "render", template, request)


def evaluate(name: str, request: dict[str, Any]) -> str:
    """The template file `name` of mapping_templates/ (as the stacks deploy it), evaluated."""
    return render(mapping_templates.read(name), request)


def warm_up() -> None:
    """Starts Node and compiles the entry's templates, so a missing `npm ci` fails the start."""
    try:
        for name in (mapping_templates.ENTRY_REQUEST, mapping_templates.ENTRY_RESPONSE):
            evaluate(name, {"body": "{}", "context": {"requestId": "warm-up", "requestTimeEpoch": 0}})
    except NodeError as error:
        if "Cannot find package" in str(error):
            raise NodeError(f"{error}: install the Node packages with `npm ci` (make run does)") from error
        raise
