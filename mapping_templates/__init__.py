"""API Gateway's mapping templates (Velocity), one file each: the stacks deploy them, and the local
runtime and the tests evaluate them with `api_gateway.mjs`, an imitation of API Gateway's engine."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
EVALUATOR = FOLDER / "api_gateway.mjs"

ENTRY_REQUEST = "entry_request"
ENTRY_RESPONSE = "entry_response"
GATEWAY_ERROR = "gateway_error"
INVALID_BODY = "invalid_body"


@cache
def read(name: str) -> str:
    """The template as deployed: the file's text exactly (no trailing newline is added or kept)."""
    return (FOLDER / f"{name}.vtl").read_text(encoding="utf-8")
