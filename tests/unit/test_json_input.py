"""JSON from outside: nesting bounded before the parser recurses."""

from __future__ import annotations

import json

import pytest

from lambdas.waiting_room import json_input


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("{}", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('"[[[[[[["', 0),  # brackets inside a string do not nest
        ('["\\"[[[[", []]', 2),  # nor after an escaped quote
        ('{"a": "]]]]]]", "b": [[[]]]}', 4),
    ],
)
def test_nesting_counts_arrays_and_objects_not_strings(text: str, depth: int) -> None:
    assert not json_input.nesting_exceeds(text, depth)
    assert json_input.nesting_exceeds(text, depth - 1) == (depth > 0)
    assert json_input.loads(text, max_depth=depth) == json.loads(text)


@pytest.mark.parametrize(
    "raw",
    ["[" * 1000 + "]" * 1000, b"[" * 100_000, '{"a":' * 33 + "1" + "}" * 33, "[" * 40 + '"unterminated'],
)
def test_deep_documents_are_refused_as_malformed_json(raw: str | bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        json_input.loads(raw)


def test_anything_but_text_is_a_type_error_as_for_json_loads() -> None:
    with pytest.raises(TypeError):
        json_input.loads({"event_id": "e"})  # type: ignore[arg-type]


def test_the_usual_documents_parse_as_before() -> None:
    document = {"event_id": "e", "request_id": "r", "entered_at": 1, "nested": [[{"ok": True}]] * 40}
    text = json.dumps(document)
    assert json_input.loads(text) == document
    assert json_input.loads(text.encode()) == document
