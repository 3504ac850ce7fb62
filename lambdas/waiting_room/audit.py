"""The audit trail of the private API: one structured log line per mutation.

Who: the caller's IAM ARN, which API Gateway puts in the request context after checking the SigV4
signature (`requestContext.identity.userArn`; the private API's access log carries the same ARN
for every call, reads included). What: the action, the event and its details (a request id only
masked: it is a bearer secret). The counter the action moves, before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

AUDIT_MESSAGE = "audit"
# Its own logger at a fixed level: turning the functions' logs down keeps the trail.
logger = Logger(service="waiting-room-audit", level="INFO")


def caller_arn(event: Mapping[str, Any]) -> str:
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return identity.get("userArn") or "unknown"


def record(
    event: Mapping[str, Any],
    action: str,
    *,
    event_id: str,
    counter: str,
    before: Any,
    after: Any,
    **details: Any,
) -> None:
    logger.info(
        AUDIT_MESSAGE,
        extra={
            "audit_action": action,
            "caller_arn": caller_arn(event),
            "event_id": event_id,
            "counter": counter,
            "before": before,
            "after": after,
            **details,
        },
    )
