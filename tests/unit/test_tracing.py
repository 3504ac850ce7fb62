"""Tracing is opt-in: off, a handler is left as it is; on, Powertools captures it."""

from __future__ import annotations

from lambdas.waiting_room.tracing import traced


def handler(event, context):
    return {"ok": event}


def test_off_by_default(monkeypatch) -> None:
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    assert traced(handler) is handler


def test_on_when_the_deployment_asks(monkeypatch) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    wrapped = traced(handler)
    assert wrapped is not handler
    assert wrapped(1, None) == {"ok": 1}
