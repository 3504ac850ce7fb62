"""Request parsing and response shaping shared by every route."""

from __future__ import annotations

import base64
import json

import pytest

from lambdas.waiting_room.http import (
    MAX_BODY_BYTES,
    HttpError,
    api_handler,
    json_body,
    masked,
    optional_int,
    require_event_id,
    require_int,
    require_request_id,
    response,
)

RID = "6f1a8a3e-2b7d-4c1e-9d0b-1f2e3d4c5b6a"


@pytest.mark.parametrize("value", [1, 0, -5, 10**12])
def test_integers_are_accepted(value: int) -> None:
    assert require_int({"n": value}, "n") == value


@pytest.mark.parametrize("value", [True, False, 1.0, 1.5, "1", None, [1], {"a": 1}])
def test_anything_but_an_integer_is_refused(value: object) -> None:
    with pytest.raises(HttpError) as error:
        require_int({"n": value}, "n")
    assert error.value.status == 400 and "integer" in error.value.message


def test_bounds() -> None:
    assert optional_int({}, "n", minimum=1, maximum=5) is None
    with pytest.raises(HttpError):
        optional_int({"n": 6}, "n", minimum=1, maximum=5)
    with pytest.raises(HttpError):
        require_int({"n": -1}, "n", minimum=0)


@pytest.mark.parametrize("value", [RID, RID.upper()])
def test_request_ids_are_uuids_normalised_to_lower_case(value: str) -> None:
    assert require_request_id({"request_id": value}) == RID


@pytest.mark.parametrize("value", ["", "abc", RID + "0", " " + RID, RID.replace("-", ""), 5, None])
def test_anything_else_is_not_a_request_id(value: object) -> None:
    with pytest.raises(HttpError) as error:
        require_request_id({"request_id": value})
    assert error.value.status == 400


def test_event_id_must_be_of_the_pattern() -> None:
    assert require_event_id({"event_id": "sale"}) == "sale"
    for value in ("", None, 3, "sale ", "-sale"):
        with pytest.raises(HttpError):
            require_event_id({"event_id": value})


def test_bodies() -> None:
    assert json_body({"body": '{"a": 1}'}) == {"a": 1}
    encoded = base64.b64encode(b'{"a": 2}').decode()
    assert json_body({"body": encoded, "isBase64Encoded": True}) == {"a": 2}
    cases = {
        None: 400,
        "": 400,
        "{": 400,
        "[]": 400,
        "null": 400,
        json.dumps({"p": "x" * MAX_BODY_BYTES}): 413,
    }
    for raw, status in cases.items():
        with pytest.raises(HttpError) as error:
            json_body({"body": raw})
        assert error.value.status == status
    with pytest.raises(HttpError):
        json_body({"body": "%%%", "isBase64Encoded": True})


def test_errors_become_json_and_unexpected_failures_hide_their_trace() -> None:
    @api_handler
    def refuses(event, context):
        raise HttpError(410, "gone")

    @api_handler
    def breaks(event, context):
        raise RuntimeError("secret detail")

    gone = refuses({}, None)
    assert gone["statusCode"] == 410 and json.loads(gone["body"]) == {"error": "gone"}
    assert gone["headers"]["Cache-Control"] == "no-store"
    broken = breaks({}, None)
    assert broken["statusCode"] == 500 and "secret" not in broken["body"]
    assert broken["headers"]["Cache-Control"] == "no-store"
    assert refuses({"httpMethod": "OPTIONS"}, None)["statusCode"] == 204


def test_not_yet_is_a_message_not_an_error() -> None:
    @api_handler
    def pending(event, context):
        raise HttpError(202, "not yet")

    assert json.loads(pending({}, None)["body"]) == {"message": "not yet"}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413, 429, 500, 502, 503])
def test_no_error_answer_may_be_cached(status: int) -> None:
    # Even when a handler passes its own caching headers, an error is never stored.
    result = response(status, {"error": "x"}, {"Cache-Control": "max-age=60"})
    assert result["headers"]["Cache-Control"] == "no-store"


def test_a_success_keeps_the_caching_its_handler_chose() -> None:
    assert "Cache-Control" not in response(200, {})["headers"]
    assert response(200, {}, {"Cache-Control": "max-age=5"})["headers"]["Cache-Control"] == "max-age=5"


def test_responses_carry_json_and_cors() -> None:
    result = response(200, {"a": 1})
    assert result["headers"]["Content-Type"] == "application/json"
    assert result["headers"]["Access-Control-Allow-Origin"] == "*"


def test_request_ids_are_masked_in_logs() -> None:
    assert masked(RID) == "6f1a8a3e..." and RID not in masked(RID)
