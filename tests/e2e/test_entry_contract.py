"""`POST /assign_queue_num` refuses locally what API Gateway refuses on AWS: a content type the
integration has no mapping template for (415), and a body the request model refuses (400)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import requests

from lambdas.catalog import EVENT_ID_MAX_LENGTH
from local.testing import Runtime

README = Path(__file__).resolve().parents[2] / "README.md"


def _post(runtime: Runtime, body: bytes, content_type: str | None) -> requests.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return requests.post(runtime.public_api + "/assign_queue_num", data=body, headers=headers, timeout=5)


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data"],
)
def test_an_unmapped_content_type_gets_415(runtime: Runtime, content_type: str) -> None:
    answer = _post(runtime, json.dumps({"event_id": runtime.event_id}).encode(), content_type)
    assert answer.status_code == 415
    assert answer.json() == {"error": "Unsupported Media Type"}
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "content_type",
    # text/plain is the page's entry (PAGE_CONTENT_TYPE); with a charset, what fetch sends by itself.
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "text/plain",
        "text/plain;charset=UTF-8",
    ],
)
def test_json_text_or_no_content_type_enters(runtime: Runtime, content_type: str | None) -> None:
    answer = _post(runtime, json.dumps({"event_id": runtime.event_id}).encode(), content_type)
    assert answer.status_code == 200
    assert set(answer.json()) == {"api_request_id"}


@pytest.mark.parametrize("event_id", ["_x", "-x", "Z" * (EVENT_ID_MAX_LENGTH + 1), "a.b", "a:b", "\u00e9"])
def test_the_models_event_id_limits_give_400(runtime: Runtime, event_id: str) -> None:
    answer = _post(runtime, json.dumps({"event_id": event_id}).encode(), "application/json")
    assert answer.status_code == 400
    # The shape of the stack's BAD_REQUEST_BODY gateway response.
    assert answer.json()["error"].startswith("invalid request body: ")


def test_the_readme_curl_example_enters(runtime: Runtime) -> None:
    (line,) = [
        line for line in README.read_text().splitlines() if "curl" in line and "assign_queue_num" in line
    ]
    words = shlex.split(line.split("#", 1)[0])
    url = next(w for w in words if w.startswith("http"))
    headers = dict(
        re.match(r"([^:]+):\s*(.*)", words[i + 1]).groups()  # type: ignore[union-attr]
        for i, word in enumerate(words)
        if word in ("-H", "--header")
    )
    body = words[words.index("-d") + 1]
    local_url = runtime.public_api + url.split("/public", 1)[1]
    answer = requests.post(local_url, data=body.encode(), headers=headers, timeout=5)
    assert headers.get("Content-Type") == "application/json"
    assert answer.status_code == 200, answer.text
