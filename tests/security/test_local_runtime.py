"""Issue 12, item 4: the local runtime gives nothing away to a request that names it otherwise.

- the OpenID issuer is configured, never read from the Host header (the discovery answer is
  cached for everyone);
- the control panel's `config.json` holds the local keys only for a loopback client that called a
  loopback name (no DNS rebinding, nothing for the network with `--host 0.0.0.0`);
- a SigV4 signature always covers the body (`UNSIGNED-PAYLOAD` is refused);
- a body over API Gateway's 10 MB is refused from its Content-Length before it is read.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local import sites
from local.testing import Runtime, running_runtime

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with running_runtime(("--event-id", "sec-local"), log_dir=tmp_path_factory.mktemp("vwr")) as started:
        yield started


def _port(runtime: Runtime) -> int:
    return urlsplit(runtime.public_api).port or 80


def test_a_forged_host_does_not_become_the_oidc_issuer(runtime: Runtime) -> None:
    url = runtime.oidc_api + "/.well-known/openid-configuration"
    forged = requests.get(url, headers={"Host": f"attacker.example:{_port(runtime)}"}, timeout=10)
    assert forged.status_code == 200, forged.text
    assert forged.json()["issuer"] == runtime.oidc_api
    # The CDN copy the forged call may have left is the configured one too.
    assert requests.get(url, timeout=10).json()["issuer"] == runtime.oidc_api


def test_the_control_panel_keys_go_to_a_loopback_name_only(runtime: Runtime) -> None:
    url = runtime.control_panel + "config.json"
    mine = requests.get(url, timeout=10)
    assert mine.status_code == 200
    assert mine.json()["secret_access_key"] == runtime.secret_access_key

    # A page of attacker.example whose name now resolves to 127.0.0.1 (DNS rebinding).
    rebound = requests.get(url, headers={"Host": f"attacker.example:{_port(runtime)}"}, timeout=10)
    assert rebound.status_code == 403
    assert runtime.secret_access_key not in rebound.text
    assert runtime.access_key_id not in rebound.text
    body = rebound.json()
    assert "paste the keys" in body["error"]
    assert body["config"]["private_api"] == runtime.private_api  # the endpoints are no secret


def test_the_control_panel_keys_never_go_to_a_client_from_the_network() -> None:
    keys = {"access_key_id": "AKIDLOCAL", "secret_access_key": "local-secret"}
    panel = next(s for s in sites.sites({}, event_id="e", region="r", keys=keys) if s.loopback_only)

    def config_for(remote_addr: str, host: str) -> tuple[int, str]:
        environ = EnvironBuilder(
            path=panel.prefix + sites.CONFIG_FILE,
            headers={"Host": host},
            environ_base={"REMOTE_ADDR": remote_addr},
        ).get_environ()
        answer = sites.serve(panel, Request(environ))
        return answer.status_code, answer.get_data(as_text=True)

    status, text = config_for("192.0.2.7", "127.0.0.1:8080")  # `--host 0.0.0.0`, a neighbour
    assert status == 403 and "local-secret" not in text
    status, text = config_for("::1", "[::1]:8080")
    assert status == 200 and json.loads(text)["secret_access_key"] == "local-secret"
    assert config_for("127.0.0.1", "localhost:8080")[0] == 200


def test_an_unsigned_payload_does_not_let_the_body_be_swapped(runtime: Runtime) -> None:
    url = runtime.private_api + "/increment_serving_counter"
    signed_body = json.dumps({"event_id": runtime.event_id, "increment_by": 1}).encode()
    request = AWSRequest(
        method="POST",
        url=url,
        data=signed_body,
        headers={"Content-Type": "application/json", "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    SigV4Auth(runtime.credentials, "execute-api", runtime.region).add_auth(request)
    swapped = json.dumps({"event_id": runtime.event_id, "increment_by": 1000}).encode()
    answer = requests.post(url, data=swapped, headers=dict(request.headers.items()), timeout=10)
    assert answer.status_code == 403
    assert "x-amz-content-sha256" in answer.json()["error"]
    counters = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    assert counters.json()["serving_counter"] == 0


def test_a_body_over_10_mb_is_refused_before_it_is_read(runtime: Runtime) -> None:
    host, port = urlsplit(runtime.public_api).hostname, _port(runtime)
    head = (
        "POST /public/assign_queue_num HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {64 * 1024 * 1024}\r\n"
        "Connection: close\r\n\r\n"
    )
    # Not one byte of the announced body is sent: an answer proves the gateway did not wait for it.
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(head.encode())
        answer = connection.makefile("rb").read().decode("latin-1")
    status_line, _, rest = answer.partition("\r\n")
    assert status_line.split()[1] == "413", answer[:500]
    assert "error" in json.loads(rest.partition("\r\n\r\n")[2])


def test_a_body_of_exactly_10_mb_is_not_refused_for_its_size(runtime: Runtime) -> None:
    """API Gateway's limit is 10 MB, not less: a valid entry padded to exactly that enters."""
    entry = json.dumps({"event_id": runtime.event_id}).encode()
    body = entry[:-1] + b" " * (10 * 1024 * 1024 - len(entry)) + b"}"
    assert len(body) == 10 * 1024 * 1024
    answer = requests.post(runtime.public_api + "/assign_queue_num", data=body, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    assert set(answer.json()) == {"api_request_id"}


def test_an_over_long_request_line_is_refused_in_the_json_error_shape() -> None:
    """The HTTP server refuses a request line over 64 KiB before the gateway sees it."""
    from local.gateway import serve, start

    server = serve(lambda environ, start_response: [], "127.0.0.1", 0)
    start(server)
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10) as connection:
            connection.sendall(b"GET /public/serving_num?event_id=" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
    finally:
        server.shutdown()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == b"414", answer[:300]
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {"error": "Request-URI Too Long"}
