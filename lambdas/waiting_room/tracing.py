"""X-Ray tracing through Powertools, opt-in per deployment.

The X-Ray SDK adds about 190 ms to every cold start, which a burst of new containers pays many
times over, so it is loaded only when the deployment turns tracing on
(`POWERTOOLS_TRACE_DISABLED=false`, set by the stacks' tracing option).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() == "false"


def traced(handler: F) -> F:
    """Captures the handler (and, patched by Powertools, its boto3 and Redis calls) when enabled."""
    if not enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return Tracer(service="waiting-room").capture_lambda_handler(handler)
