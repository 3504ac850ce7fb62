"""Schemathesis against `vwr local` with docs/openapi.yaml: no 5xx, and every answer as documented.

Cases are generated from the document (valid and invalid inputs alike); requests to the private
API are signed as any SigV4 client signs them. A few hundred cases in all, so the run stays short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import pytest
import requests
import schemathesis
import yaml
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from hypothesis import HealthCheck, settings

from local.testing import Runtime, running_runtime

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.yaml"
schema = schemathesis.openapi.from_path(DOCUMENT)
EVENT_ID = re.compile(yaml.safe_load(DOCUMENT.read_text())["components"]["schemas"]["EventId"]["pattern"])

# No 5xx, and every answer (status, content type, body, headers) as documented. Left out: the
# checks that judge which inputs the server should accept. The document cannot say which event
# ids exist, so a well-formed unknown one is a documented 400, not a wrongly refused request; and
# API Gateway answers an undeclared method with 403, not 405.
CONTRACT_CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
]


class SignedWithSigV4(requests.auth.AuthBase):
    """Signs a prepared request for the private API; the query is sent in SigV4's own encoding
    (what the control panel and the SDKs send), so what is signed is what arrives."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
        request.url = urlunsplit(parts._replace(query=query))
        body = request.body.encode() if isinstance(request.body, str) else request.body or b""
        signed = AWSRequest(method=request.method, url=request.url, data=body, headers=dict(request.headers))
        SigV4Auth(self.runtime.credentials, "execute-api", self.runtime.region).add_auth(signed)
        request.headers.update(dict(signed.headers.items()))
        return request


@pytest.fixture(scope="module")
def own_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A runtime of its own: the generated cases reset the event and move its counters at random."""
    with running_runtime(("--event-id", "contract-event"), log_dir=tmp_path_factory.mktemp("vwr")) as started:
        yield started


def _aim_at_the_event(case: schemathesis.Case, event_id: str) -> None:
    """A well-formed event id becomes the runtime's event, so valid cases reach the domain and its
    200s are checked too; malformed ones stay as generated."""
    for container in (case.query, case.body):
        if isinstance(container, dict) and EVENT_ID.fullmatch(str(container.get("event_id", ""))):
            container["event_id"] = event_id


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document(case: schemathesis.Case, own_runtime: Runtime) -> None:
    runtime = own_runtime
    _aim_at_the_event(case, runtime.event_id)
    root = runtime.public_api.removesuffix("/public")
    auth = SignedWithSigV4(runtime) if case.path.startswith("/private/") else None
    case.call_and_validate(base_url=root, auth=auth, timeout=10, checks=CONTRACT_CHECKS)
