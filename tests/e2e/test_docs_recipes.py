"""The backend check docs/DEPLOY.md shows ("Protecting your own API") runs as written against
`vwr local`: it admits an access token and refuses an id token and a token of before a reset.

It runs in an event of its own, registered in the session runtime, so its counters and tokens
leave the other tests' event alone.
"""

from __future__ import annotations

import re
import runpy
import time
from pathlib import Path

import jwt
import pytest
import requests

from local.testing import Runtime

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md"
EVENT_ID = "docs-recipe"


def _recipe(tmp_path: Path):
    section = DEPLOY.read_text().split("## Protecting your own API", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```python\n(.*?)^```", section, re.M | re.S)
    script = tmp_path / "recipe.py"
    script.write_text(block)
    return runpy.run_path(str(script))["admitted"]


def _tokens(runtime: Runtime) -> dict[str, str]:
    entered = requests.post(runtime.public_api + "/assign_queue_num", json={"event_id": EVENT_ID}, timeout=10)
    request_id = entered.json()["api_request_id"]
    deadline = time.monotonic() + 20
    while (
        answer := requests.get(
            runtime.public_api + "/queue_num",
            params={"event_id": EVENT_ID, "request_id": request_id},
            timeout=10,
        )
    ).status_code != 200:
        assert answer.status_code == 202 and time.monotonic() < deadline, answer.text
        time.sleep(0.1)
    moved = runtime.signed(
        "POST",
        runtime.private_api + "/increment_serving_counter",
        json_body={"event_id": EVENT_ID, "increment_by": 1},
    )
    assert moved.status_code == 200, moved.text
    issued = requests.post(
        runtime.public_api + "/generate_token",
        json={"event_id": EVENT_ID, "request_id": request_id},
        timeout=10,
    )
    assert issued.status_code == 200, issued.text
    return issued.json()


def test_the_backend_check_deploy_md_shows_admits_and_refuses_as_the_authorizer(
    runtime: Runtime, tmp_path: Path
) -> None:
    admitted = _recipe(tmp_path)
    created = runtime.signed("POST", runtime.private_api + "/events", json_body={"event_id": EVENT_ID})
    assert created.status_code == 201, created.text
    issuer = runtime.public_api  # the local runtime's TokenIssuer
    tokens = _tokens(runtime)

    claims = admitted("Bearer " + tokens["access_token"], runtime.public_api, issuer, EVENT_ID)
    assert claims["aud"] == EVENT_ID and claims["token_use"] == "access"
    with pytest.raises(jwt.InvalidTokenError):
        admitted(tokens["id_token"], runtime.public_api, issuer, EVENT_ID)
    with pytest.raises(jwt.InvalidIssuerError):
        admitted(tokens["access_token"], runtime.public_api, "https://someone-else.example", EVENT_ID)

    reset = runtime.signed(
        "POST", runtime.private_api + "/reset_initial_state", json_body={"event_id": EVENT_ID}
    )
    assert reset.status_code == 200, reset.text
    # The public /generation answer is cached at the CDN for a few seconds; the recipe's caller
    # sees the reset within that bound, as the authorizer does.
    deadline = time.monotonic() + 15
    while True:
        try:
            admitted(tokens["access_token"], runtime.public_api, issuer, EVENT_ID)
        except jwt.InvalidTokenError:
            break
        assert time.monotonic() < deadline, "a token of before the reset was still admitted"
        time.sleep(0.5)
