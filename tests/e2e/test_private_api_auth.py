"""The private API takes only requests signed with SigV4 by the local credentials, as API Gateway's
IAM authorization does; everything else gets API Gateway's 403."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local.testing import Runtime


def _signed_headers(
    runtime: Runtime,
    method: str,
    url: str,
    body: bytes,
    *,
    credentials: Credentials,
    region: str | None = None,
) -> dict[str, str]:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "execute-api", region or runtime.region).add_auth(request)
    return dict(request.headers.items())


def _counters_url(runtime: Runtime) -> str:
    return f"{runtime.private_api}/counters?event_id={runtime.event_id}"


def test_a_signed_request_passes(runtime: Runtime) -> None:
    answer = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    assert answer.status_code == 200, answer.text
    assert "serving_counter" in answer.json()


def test_an_unsigned_request_is_refused(runtime: Runtime) -> None:
    answer = requests.get(_counters_url(runtime), timeout=5)
    assert answer.status_code == 403
    assert answer.json() == {"error": "Missing Authentication Token"}


def test_a_wrong_secret_is_refused(runtime: Runtime) -> None:
    wrong = Credentials(runtime.access_key_id, runtime.secret_access_key + "x")
    answer = runtime.signed(
        "GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id}, credentials=wrong
    )
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("The request signature we calculated does not match")


def test_an_unknown_access_key_is_refused(runtime: Runtime) -> None:
    stranger = Credentials("AKIAIOSFODNN7EXAMPLE", runtime.secret_access_key)
    answer = runtime.signed(
        "GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id}, credentials=stranger
    )
    assert answer.status_code == 403
    assert answer.json() == {"error": "The security token included in the request is invalid."}


def test_a_body_changed_after_signing_is_refused(runtime: Runtime) -> None:
    url = runtime.private_api + "/increment_serving_counter"
    signed_body = json.dumps({"event_id": runtime.event_id, "increment_by": 1}).encode()
    headers = _signed_headers(runtime, "POST", url, signed_body, credentials=runtime.credentials)
    tampered = json.dumps({"event_id": runtime.event_id, "increment_by": 1000}).encode()
    answer = requests.post(url, data=tampered, headers=headers, timeout=5)
    assert answer.status_code == 403
    assert "signature" in answer.json()["error"]


def test_a_changed_query_is_refused(runtime: Runtime) -> None:
    url = _counters_url(runtime)
    headers = _signed_headers(runtime, "GET", url, b"", credentials=runtime.credentials)
    answer = requests.get(url + "&extra=1", headers=headers, timeout=5)
    assert answer.status_code == 403


def test_another_region_is_refused(runtime: Runtime) -> None:
    url = _counters_url(runtime)
    headers = _signed_headers(runtime, "GET", url, b"", credentials=runtime.credentials, region="eu-west-1")
    answer = requests.get(url, headers=headers, timeout=5)
    assert answer.status_code == 403
    assert "region" in answer.json()["error"]


def test_an_old_signature_is_refused(runtime: Runtime) -> None:
    url = _counters_url(runtime)
    long_ago = datetime.now(UTC) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=long_ago.replace(tzinfo=None)):
        headers = _signed_headers(runtime, "GET", url, b"", credentials=runtime.credentials)
    answer = requests.get(url, headers=headers, timeout=5)
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("Signature expired")


def test_the_preflight_needs_no_signature(runtime: Runtime) -> None:
    answer = requests.options(
        runtime.private_api + "/increment_serving_counter",
        headers={"Origin": "http://example.test", "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]


def test_a_plus_in_the_query_is_signed_as_a_plus(runtime: Runtime) -> None:
    """SigV4 reads a `+` in the query as a plus sign (%2B), as API Gateway and the control panel's
    signer do; the check used the form-decoded query (a space, %20) and refused valid signatures."""
    signed_url = _counters_url(runtime) + "&note=a%2Bb"
    headers = _signed_headers(runtime, "GET", signed_url, b"", credentials=runtime.credentials)
    answer = requests.get(_counters_url(runtime) + "&note=a+b", headers=headers, timeout=5)
    assert answer.status_code == 200, answer.text
    answer = requests.get(_counters_url(runtime) + "&note=a%20b", headers=headers, timeout=5)
    assert answer.status_code == 403
