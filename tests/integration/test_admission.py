"""What the authorizer asks the public API: the generation, and whether a session is open."""

from __future__ import annotations

import time

import jwt

from lambdas import admission, reset_initial_state, update_session
from tests.integration.conftest import Core, call


def get(handler, path: str, core: Core, **query: str) -> tuple[int, dict]:
    return call(handler, "GET", path, query={"event_id": core.event_id, **query})


def claims_of(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def test_tokens_carry_the_generation_the_public_api_announces(core: Core) -> None:
    [before] = core.enter(1)
    core.serve(1)
    assert get(admission.generation_handler, "/generation", core) == (200, {"generation": 0})
    assert claims_of(core.token(before)[1]["access_token"])["generation"] == 0

    call(reset_initial_state.handler, "POST", "/reset_initial_state", body={"event_id": core.event_id})
    status, body = get(admission.generation_handler, "/generation", core)
    assert status == 200 and body["generation"] > 0
    # The harness dates an entry a millisecond before it is made (Core.entries): wait until that
    # is after the reset, or the entry counts as made before it.
    while time.time() * 1000 - 1 < body["generation"]:
        time.sleep(0.001)
    [after] = core.enter(1)
    core.serve(1)
    assert claims_of(core.token(after)[1]["access_token"])["generation"] == body["generation"]


def test_a_session_is_open_from_its_token_until_closed_or_reset(core: Core) -> None:
    first, second = core.enter(2)
    core.serve(2)

    def is_open(request_id: str) -> bool:
        status, body = get(admission.session_handler, "/session_status", core, request_id=request_id)
        assert status == 200
        return body["open"]

    assert not is_open(first)  # served, but no token yet
    core.token(first)
    core.token(second)
    assert is_open(first) and is_open(second)
    body = {"event_id": core.event_id, "request_id": first, "status": 1}
    assert call(update_session.handler, "POST", "/update_session", body=body)[0] == 200
    assert not is_open(first) and is_open(second)
    call(reset_initial_state.handler, "POST", "/reset_initial_state", body={"event_id": core.event_id})
    assert not is_open(second)


def test_session_status_refuses_bad_ids(core: Core) -> None:
    assert get(admission.session_handler, "/session_status", core, request_id="nope")[0] == 400
    assert get(admission.session_handler, "/session_status", core)[0] == 400
    assert call(admission.generation_handler, "GET", "/generation", query={"event_id": "other"})[0] == 400
