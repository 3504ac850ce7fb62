"""JSON from outside the function, parsed only once its nesting is known to be shallow.

Python's parser recurses once per nested array or object: about a thousand levels, a 2 kB body,
raise RecursionError, and a structure just under that limit breaks whatever walks it next. No
document this product reads nests more than a few levels, so deeper ones are refused before the
parser sees them.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32

# A string (so brackets inside it do not count; an unterminated one runs to the end) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


class TooDeeplyNested(json.JSONDecodeError):
    """A JSONDecodeError, so every caller that refuses malformed JSON refuses this too."""


def nesting_exceeds(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `max_depth` levels (malformed text included)."""
    if text.count("[") + text.count("{") <= max_depth:
        return False  # the usual case costs two C-speed counts
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing documents nested deeper than `max_depth` with `TooDeeplyNested`.

    Bytes must be UTF-8 (UnicodeDecodeError otherwise, as `json.loads` raises).
    """
    text = raw.decode() if isinstance(raw, bytes | bytearray) else raw
    if not isinstance(text, str):
        raise TypeError(f"JSON must be text, not {type(raw).__name__}")  # as json.loads says
    if nesting_exceeds(text, max_depth):
        raise TooDeeplyNested(f"JSON nested deeper than {max_depth} levels", text[:100], 0)
    return json.loads(text)
