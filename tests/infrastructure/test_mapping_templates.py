"""Every mapping template the stacks synthesize, evaluated as API Gateway would (Velocity under
Node with API Gateway's `$input`, `$util` and `$context`), over normal and hostile requests.

Reading the templates as text would pass a template that API Gateway evaluates differently; these
tests run them. The same evaluation serves `vwr local` (local/vtl.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

import mapping_templates
from lambdas import catalog
from local.vtl import render
from tests.infrastructure.conftest import ALL_STACKS, Synth

REQUEST_ID = "4a1b2c3d-0000-4000-8000-00000000abcd"
EPOCH_MS = 1767225600123
# Text the request model lets through (the proof of work's strings) or that an error message may
# echo, chosen to break a template that splices text instead of writing JSON.
HOSTILE_TEXT = [
    'a"b',
    "it's",
    "back\\slash\\",
    "#set($x = 1)#end ## comment",
    "$context.requestId ${q} $!pow",
    "é 😀 \u2028 \t\n",
    "&MessageBody=forged&Action=DeleteQueue",
    '}, "event_id": "Other", "x": {',
]


def _templates(node: Any, where: str) -> Iterator[tuple[str, str, str, str]]:
    """(where, kind, content type, template) for every RequestTemplates/ResponseTemplates entry."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("RequestTemplates", "ResponseTemplates") and isinstance(value, dict):
                for content_type, template in value.items():
                    yield where, key, content_type, template
            else:
                yield from _templates(value, f"{where}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _templates(item, where)


@pytest.fixture(scope="module")
def every_template(synth: Synth) -> list[tuple[str, str, str, str]]:
    found = [t for stack in ALL_STACKS for t in _templates(synth.template(stack)["Resources"], stack)]
    assert found, "the stacks synthesized no mapping template"
    return found


def _request(body: str, message: str = "", validation: str = "") -> dict[str, Any]:
    return {
        "body": body,
        "headers": {"Content-Type": catalog.ENTRY_CONTENT_TYPES[0], "User-Agent": message},
        "context": {
            "requestId": REQUEST_ID,
            "requestTimeEpoch": EPOCH_MS,
            "identity": {"sourceIp": "198.51.100.7"},
            "error": {"message": message, "validationErrorString": validation},
        },
    }


def _entry(body: dict[str, Any]) -> dict[str, list[str]]:
    """The form the entry integration posts to SQS for this body."""
    rendered = render(mapping_templates.read(mapping_templates.ENTRY_REQUEST), _request(json.dumps(body)))
    return parse_qs(rendered, keep_blank_values=True, strict_parsing=True)


def test_every_template_comes_from_the_template_files_or_the_catalog(
    every_template: list[tuple[str, str, str, str]],
) -> None:
    """One source: what the stacks deploy is a file of mapping_templates/ (or the entry's refusal,
    a catalog constant, or CDK's preflight mock), so what the tests and `vwr local` evaluate is it."""
    files = {mapping_templates.read(p.stem) for p in mapping_templates.FOLDER.glob("*.vtl")}
    known = files | {json.dumps({"error": catalog.ENTRY_REFUSED}), "{ statusCode: 200 }"}
    assert {template for *_, template in every_template} <= known
    assert {template for *_, template in every_template} >= files


@pytest.mark.parametrize("text", ["plain words", *HOSTILE_TEXT])
def test_every_json_response_template_answers_json_for_any_message(
    every_template: list[tuple[str, str, str, str]], text: str
) -> None:
    """Gateway responses echo API Gateway's message or the model's complaint (which quotes the
    body): whatever they contain, the answer is JSON of the contract's {"error": ...} shape."""
    responses = {
        t for _, kind, ct, t in every_template if kind == "ResponseTemplates" and ct == "application/json"
    }
    for template in responses:
        answer = json.loads(render(template, _request("{}", message=text, validation=text)))
        if "api_request_id" in answer:
            assert answer == {"api_request_id": REQUEST_ID}
        else:
            assert set(answer) == {"error"}
            assert text in answer["error"] or answer["error"] == catalog.ENTRY_REFUSED


def test_the_preflight_mock_template_evaluates_to_its_status(
    every_template: list[tuple[str, str, str, str]],
) -> None:
    mocks = {t for _, kind, _, t in every_template if kind == "RequestTemplates" and "statusCode" in t}
    assert {render(t, _request("")) for t in mocks} == {"{ statusCode: 200 }"}


@pytest.mark.parametrize(
    "pow_solution",
    [None, {"challenge": "c.m", "nonce": "42"}, *({"challenge": t, "nonce": t} for t in HOSTILE_TEXT)],
)
def test_the_entry_template_sends_the_worker_message_and_nothing_else(
    every_template: list[tuple[str, str, str, str]], pow_solution: dict[str, str] | None
) -> None:
    """The deployed entry template (the one in the core stack), run over an entry with no proof of
    work, a normal one and hostile ones: SQS gets one SendMessage whose body is the worker's message,
    the proof of work exactly as posted."""
    (template,) = {t for _, kind, _, t in every_template if kind == "RequestTemplates" and "SendMessage" in t}
    body = {"event_id": "concert-2026", catalog.ENTRY_POW_FIELD: pow_solution}
    form = parse_qs(render(template, _request(json.dumps(body))), strict_parsing=True)
    assert set(form) == {"Action", "MessageBody"}
    assert form["Action"] == ["SendMessage"]
    (message,) = form["MessageBody"]
    event_id, request_id, entered_at = catalog.ENTRY_MESSAGE_FIELDS
    assert json.loads(message) == {
        event_id: "concert-2026",
        request_id: REQUEST_ID,
        entered_at: EPOCH_MS,
        catalog.ENTRY_POW_FIELD: pow_solution,
    }


def test_an_entry_without_proof_of_work_gets_null_not_an_empty_string() -> None:
    """API Gateway's `$input.json` of a missing path is `""`: the template turns it into null."""
    (message,) = _entry({"event_id": "concert-2026"})["MessageBody"]
    assert json.loads(message)[catalog.ENTRY_POW_FIELD] is None
