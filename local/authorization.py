"""What API Gateway does with a Lambda authorizer's answer.

The authorizer returns an IAM policy; API Gateway lets the request through only if a statement
allows `execute-api:Invoke` on the method's ARN and none denies it. Raising `Unauthorized` means
401; a deny (explicit or by omission) means 403; anything else the authorizer does wrong (another
exception, a malformed answer) means 500. The messages are API Gateway's own, in the stacks'
gateway responses' shape (`{"error": ...}`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    status: int  # 200 to go on, else the status API Gateway answers
    body: Mapping[str, Any]
    # Goes to the integration as `requestContext.authorizer`.
    context: Mapping[str, Any] | None = None


UNAUTHORIZED = Decision(401, {"error": "Unauthorized"})
EXPLICIT_DENY = Decision(
    403, {"error": "User is not authorized to access this resource with an explicit deny"}
)
NOT_ALLOWED = Decision(403, {"error": "User is not authorized to access this resource"})
MISCONFIGURED = Decision(500, {"error": None})


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _wildcard(pattern: str) -> re.Pattern[str]:
    # IAM wildcards: `*` any run of characters, `?` one character; nothing else is special.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.S)


def _matches(patterns: list[Any], value: str) -> bool:
    return any(isinstance(p, str) and _wildcard(p).fullmatch(value) for p in patterns)


def decide(answer: Any, method_arn: str) -> Decision:
    """The gateway's verdict on an authorizer's return value for the method `method_arn`."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("policyDocument"), Mapping):
        return MISCONFIGURED
    principal = answer.get("principalId")
    if principal in (None, ""):
        return MISCONFIGURED
    allowed = False
    for statement in _as_list(answer["policyDocument"].get("Statement")):
        if not isinstance(statement, Mapping):
            return MISCONFIGURED
        if not _matches(_as_list(statement.get("Action")), "execute-api:Invoke"):
            continue
        if not _matches(_as_list(statement.get("Resource")), method_arn):
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            return EXPLICIT_DENY
        allowed = allowed or effect == "Allow"
    if not allowed:
        return NOT_ALLOWED
    context = answer.get("context") or {}
    if not isinstance(context, Mapping):
        return MISCONFIGURED
    return Decision(200, {}, {**context, "principalId": principal})


def refused(error: BaseException) -> Decision:
    """The verdict when the authorizer raised: its `Unauthorized` is a 401, anything else a 500."""
    return UNAUTHORIZED if str(error) == "Unauthorized" else MISCONFIGURED


class ResultCache:
    """API Gateway's authorizer result cache: the policy an authorizer returned, per identity
    (the `Authorization` header), kept for the trigger's TTL and judged again for each method."""

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._answers: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, identity: str) -> Any | None:
        with self._lock:
            found = self._answers.get(identity)
            if found is None or found[0] <= time.monotonic():
                self._answers.pop(identity, None)
                return None
            return found[1]

    def put(self, identity: str, answer: Any) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            if len(self._answers) >= self._max_entries:
                self._answers.clear()  # a bound on memory; the next calls simply ask again
            self._answers[identity] = (time.monotonic() + self._ttl, answer)
