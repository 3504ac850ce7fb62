"""No error answer is kept by a cache: API Gateway's own errors say no-store, and CloudFront keeps
no error for its default error caching TTL (10 s), whatever the origin's headers say.

The handlers' errors are covered by tests/unit/test_http.py (every 4xx and 5xx of the shared
response helper says no-store), the local CDN's by tests/e2e/test_gateway_decisions.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.infrastructure.conftest import ALL_STACKS, Synth
from tests.infrastructure.helpers import by_type

NO_STORE = "'no-store'"


@pytest.fixture(scope="module", params=ALL_STACKS)
def template(request: pytest.FixtureRequest, synth: Synth) -> dict[str, Any]:
    return synth.template(request.param)


def test_every_gateway_error_says_no_store(template: dict[str, Any]) -> None:
    responses = by_type(template, "AWS::ApiGateway::GatewayResponse").values()
    for api in by_type(template, "AWS::ApiGateway::RestApi"):
        # DEFAULT_4XX and DEFAULT_5XX stand for every response type not set on its own.
        types = {
            r["Properties"]["ResponseType"] for r in responses if r["Properties"]["RestApiId"]["Ref"] == api
        }
        assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= types, api
    for response in responses:
        headers = response["Properties"]["ResponseParameters"]
        assert headers.get("gatewayresponse.header.Cache-Control") == NO_STORE, response


def test_every_error_an_integration_maps_says_no_store(template: dict[str, Any]) -> None:
    for method in by_type(template, "AWS::ApiGateway::Method").values():
        for response in method["Properties"].get("Integration", {}).get("IntegrationResponses", []):
            if not response["StatusCode"].startswith("2"):
                headers = response.get("ResponseParameters", {})
                assert headers.get("method.response.header.Cache-Control") == NO_STORE, response


def _settable_error_codes() -> list[int]:
    """The error codes whose caching CloudFront lets a distribution set (its resource schema)."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::CloudFront::Distribution")
    return schema.schema["definitions"]["CustomErrorResponse"]["properties"]["ErrorCode"]["enum"]


def test_cloudfront_caches_no_error(template: dict[str, Any]) -> None:
    codes = _settable_error_codes()
    assert 500 in codes and 403 in codes
    for distribution in by_type(template, "AWS::CloudFront::Distribution").values():
        config = distribution["Properties"]["DistributionConfig"]
        ttls = {r["ErrorCode"]: r.get("ErrorCachingMinTTL") for r in config.get("CustomErrorResponses", [])}
        assert {code: ttls.get(code) for code in codes} == dict.fromkeys(codes, 0)
        # A custom error page would replace the API's JSON error body.
        assert not any("ResponsePagePath" in r for r in config.get("CustomErrorResponses", []))
