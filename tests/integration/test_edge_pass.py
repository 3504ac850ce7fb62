"""The edge gate's admission pass: issued only to a served visitor, once per request id, only for
an address the gate signed, and accepted by the gate itself (edge_gate/gate.js, run by Node)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from aws_lambda_powertools.utilities import parameters

from lambdas import edge_pass
from lambdas.catalog import Resource
from lambdas.waiting_room import aws
from lambdas.waiting_room.edge_pass import edge_keys, mac
from tests.integration.conftest import Core, call

GATE_LOADER = Path(__file__).resolve().parents[2] / "edge_gate" / "load.mjs"
SHOP = "https://shop.example.com"


def signed(event_id: str, address: str, *, previous: bool = False) -> str:
    keys = edge_keys()
    key = keys[-1] if previous else keys[0]
    return f"{key.kid}~{mac(key.secret, f'return~{event_id}~{address}')}"


def ask(core: Core, request_id: str, address: str, signature: str) -> tuple[int, dict]:
    body = {
        "event_id": core.event_id,
        "request_id": request_id,
        "return_to": address,
        "return_sig": signature,
    }
    return call(edge_pass.handler, "POST", "/edge_pass", body=body)


def pass_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["vwr_pass"][0]


def gate_decides(core: Core, admission: str, *, generation: int, host: str = "shop.example.com") -> dict:
    """The gate's answer to a request carrying `admission` as its cookie, keys as the stack feeds them."""
    store = {
        "gate": json.dumps({"event": core.event_id, "room": "https://room.example/", "hosts": [host]}),
        "state": json.dumps({"mode": "queue", "generation": generation}),
        "kid": edge_keys()[0].kid,
        **{f"key:{k.kid}": k.secret for k in edge_keys()},
    }
    request = {
        "request": {
            "method": "GET",
            "uri": "/cart",
            "querystring": {},
            "headers": {"host": {"value": host}},
            "cookies": {"vwr_pass": {"value": admission}},
        }
    }
    script = (
        f"const {{ handler, kvs }} = await (await import({json.dumps(GATE_LOADER.as_uri())})).loadGate();"
        f"kvs.replaceAll({json.dumps(store)});"
        f"console.log(JSON.stringify(await handler({json.dumps(request)})));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout)


@pytest.fixture
def served(core: Core) -> str:
    [request_id] = core.enter(1)
    core.serve(1)
    return request_id


def test_not_served_yet_is_202_and_no_pass(core: Core) -> None:
    [request_id] = core.enter(1)
    address = f"{SHOP}/cart"
    status, body = ask(core, request_id, address, signed(core.event_id, address))
    assert status == 202 and "location" not in body


def test_a_served_visitor_goes_back_with_a_pass_the_gate_accepts(core: Core, served: str) -> None:
    address = f"{SHOP}/sale?size=42"
    status, body = ask(core, served, address, signed(core.event_id, address))
    assert status == 200, body
    assert body["location"].startswith(f"{address}&vwr_pass=") and 0 < body["expires_in"] <= 3600
    admission = pass_of(body["location"])
    version, event_id, subject, _expiry, generation, kid, host, _ = admission.split("~")
    assert (version, event_id, kid, host) == ("v1", core.event_id, edge_keys()[0].kid, "shop.example.com")
    # The request id is the visitor's bearer secret: it is nowhere in the pass or the address.
    assert served not in body["location"] and subject and subject != served
    request = gate_decides(core, admission, generation=int(generation))
    assert request["uri"] == "/cart" and request["cookies"]["vwr_pass"]["value"] == admission
    # After a reset the generation moves on, and the gate refuses the same pass.
    assert gate_decides(core, admission, generation=int(generation) + 1)["statusCode"] == 302
    # A pass for this host is refused by a gate on another.
    assert (
        gate_decides(core, admission, generation=int(generation), host="other.example")["statusCode"] == 302
    )


def test_once_per_request_id_the_same_pass(core: Core, served: str) -> None:
    address = f"{SHOP}/"
    first = ask(core, served, address, signed(core.event_id, address))[1]
    second = ask(core, served, address, signed(core.event_id, address))[1]
    assert pass_of(first["location"]) == pass_of(second["location"])
    status, tokens = core.token(served)
    assert status == 200 and abs(tokens["expires_in"] - second["expires_in"]) <= 1


@pytest.mark.parametrize(
    "address, signature",
    [
        ("https://evil.example/steal", lambda e: signed(e, f"{SHOP}/cart")),
        (f"{SHOP}/cart", lambda e: signed("Other", f"{SHOP}/cart")),
        (f"{SHOP}/cart", lambda e: "k9~" + "0" * 64),
        (f"{SHOP}/cart", lambda e: "not a signature"),
        ("javascript:alert(1)", lambda e: signed(e, "javascript:alert(1)")),
    ],
    ids=["another host", "another event", "unknown key id", "garbage", "not http"],
)
def test_no_pass_for_an_address_the_gate_did_not_sign(core: Core, served: str, address, signature) -> None:
    status, body = ask(core, served, address, signature(core.event_id))
    assert status == 400 and body["error"]


def test_an_address_signed_with_the_previous_key_works_after_a_rotation(core: Core, served: str) -> None:
    secret_id = os.environ[Resource.EDGE_KEYS_SECRET.value]
    before = json.loads(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])
    address = f"{SHOP}/cart"
    old_signature = signed(core.event_id, address)
    rotated = {"kid": "k2", "secret": "rotated-secret-0123456789", "previous": before}
    aws.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(rotated))
    parameters.clear_caches()
    try:
        status, body = ask(core, served, address, old_signature)
        assert status == 200, body
        assert pass_of(body["location"]).split("~")[5] == "k2"
    finally:
        aws.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(before))
        parameters.clear_caches()


@pytest.mark.parametrize(
    "body",
    [{}, {"request_id": "x"}, {"return_to": 5}, {"return_to": "a" * 3000, "return_sig": "k1~0"}],
    ids=["nothing", "bad request id", "return_to not text", "return_to too long"],
)
def test_bad_input_is_a_400(core: Core, served: str, body: dict) -> None:
    full = {
        "event_id": core.event_id,
        "request_id": served,
        "return_to": f"{SHOP}/",
        "return_sig": "k1~0",
        **body,
    }
    status, answer = call(edge_pass.handler, "POST", "/edge_pass", body=full)
    assert status == 400 and answer["error"], answer
    assert unquote(json.dumps(answer)).find(served) < 0
