"""The pages' security headers: sent by the local gateway and by CloudFront's response headers
policies, from the one definition in lambdas/catalog.py; token answers are never stored.

Threats (docs/SECURITY.md): a page framed by another site (clickjacking), a request id leaking
through the Referer header or a cached token answer, script injected into a page.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from lambdas import catalog
from local.testing import Runtime
from tests.e2e.journey import enter, increment, position


@pytest.mark.parametrize(
    "page", ["waiting-room/", "waiting-room/openid/", "control-panel/", "waiting-room/js/app.js"]
)
def test_local_pages_carry_the_security_headers(runtime: Runtime, page: str) -> None:
    answer = requests.get(f"{runtime.ready['waiting_room'].removesuffix('waiting-room/')}{page}", timeout=10)
    assert answer.status_code == 200
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    # Browsers ignore HSTS over plain HTTP (RFC 6797, 8.1): the local http:// gateway leaves it out.
    assert "Strict-Transport-Security" not in answer.headers


def test_local_headers_are_the_catalogs() -> None:
    headers = catalog.page_headers(("https://api.example",), https=True)
    assert headers["Content-Security-Policy"].endswith("connect-src 'self' https://api.example")
    assert (
        headers["Strict-Transport-Security"] == f"max-age={catalog.HSTS_MAX_AGE_SECONDS}; includeSubDomains"
    )


def test_token_answers_are_never_stored(runtime: Runtime) -> None:
    request_id = enter(runtime)
    number = position(runtime, request_id)
    counters = runtime.signed("GET", runtime.private_api + "/counters", params={"event_id": runtime.event_id})
    increment(runtime, max(1, number - counters.json()["serving_counter"]))
    body = {"event_id": runtime.event_id, "request_id": request_id}
    public = requests.post(runtime.public_api + "/generate_token", json=body, timeout=10)
    private = runtime.signed("POST", runtime.private_api + "/generate_token", json_body=body)
    for answer in (public, private):
        assert answer.status_code == 200, answer.text
        assert answer.headers["Cache-Control"] == "no-store"


# -- CloudFront -----------------------------------------------------------------------------------


def _policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each distribution's default behaviour's response headers policy, by distribution."""
    resources = template["Resources"]
    found = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::CloudFront::Distribution":
            continue
        ref = resource["Properties"]["DistributionConfig"]["DefaultCacheBehavior"].get(
            "ResponseHeadersPolicyId"
        )
        if ref is not None:
            found[name] = resources[ref["Ref"]]["Properties"]["ResponseHeadersPolicyConfig"]
    return found


def _csp_text(policy: dict[str, Any]) -> str:
    """The CSP as text, every deploy-time part (an API origin) shown as its JSON."""
    value = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    parts = value["Fn::Join"][1] if isinstance(value, dict) else [value]
    return "".join(p if isinstance(p, str) else repr(p) for p in parts)


@pytest.mark.parametrize("stack", ["sample", "openid", "gs.sample"])
def test_every_page_distribution_sends_the_security_headers(synth, stack: str) -> None:
    template = synth.template(stack)
    policies = _policies(template)
    distributions = [
        k for k, v in template["Resources"].items() if v["Type"] == "AWS::CloudFront::Distribution"
    ]
    assert sorted(policies) == sorted(distributions)
    for policy in policies.values():
        headers = policy["SecurityHeadersConfig"]
        csp = _csp_text(policy)
        assert csp.startswith("; ".join(catalog.PAGE_CSP_DIRECTIVES) + "; connect-src 'self' https://")
        assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
        assert headers["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
        assert headers["ContentTypeOptions"] == {"Override": True}
        assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == catalog.HSTS_MAX_AGE_SECONDS


def test_the_control_panel_has_an_origin_of_its_own(synth) -> None:
    """Only the control panel's policy lets a page call the private API, and it is served by its own
    distribution: the public waiting room page cannot script it or read its stored keys."""
    template = synth.template("sample")
    policies = _policies(template)
    panel = [name for name in policies if name.startswith("ControlPanelSite")]
    waiting_room = [name for name in policies if name.startswith("SiteDistribution")]
    assert len(panel) == 1 and len(waiting_room) == 1
    assert "PrivateApiUrl" in _csp_text(policies[panel[0]])
    assert "PrivateApiUrl" not in _csp_text(policies[waiting_room[0]])
    deployments = [
        r["Properties"] for r in template["Resources"].values() if r["Type"] == "Custom::CDKBucketDeployment"
    ]
    prefixes = {d["DestinationBucketKeyPrefix"]: d["DestinationBucketName"]["Ref"] for d in deployments}
    assert prefixes["control_panel/"].startswith("ControlPanelSiteBucket")
    assert prefixes["waiting_room_site/"].startswith("SiteBucket")
