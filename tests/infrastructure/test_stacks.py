"""Authorizer, sample, inlet, openid and the getting-started composition."""

from __future__ import annotations

import json

from lambdas import catalog
from tests.infrastructure.conftest import Synth
from tests.infrastructure.helpers import by_type, catalog_functions, env, flatten, policy_statements


def _either(ours: str, retired: str) -> dict[str, object]:
    """A value read from our parameter, or from the retired solution's name for it when given."""
    return {"Fn::If": [f"{retired}Given", {"Ref": retired}, {"Ref": ours}]}


def test_authorizer_is_configured_by_parameters_and_outputs_its_arn(synth: Synth) -> None:
    template = synth.template("authorizer")
    assert {"PublicApiUrl", "EventId", "Issuer"} <= set(template["Parameters"])
    (logical,) = catalog_functions(template)
    variables = env(template, logical)
    assert variables["PUBLIC_API_URL"] == _either("PublicApiUrl", "PublicAPIEndpoint")
    assert variables["ISSUER"] == _either("Issuer", "IssuerURI")
    assert variables["DENY_CLOSED_SESSIONS"] == {"Ref": "DenyClosedSessions"}
    assert template["Parameters"]["DenyClosedSessions"]["Default"] == "false"
    assert template["Outputs"]["AuthorizerArn"]["Value"] == {"Fn::GetAtt": [logical, "Arn"]}


def test_the_store_caches_authorizer_decisions_per_authorization_header(synth: Synth) -> None:
    # The cache bounds what DENY_CLOSED_SESSIONS and the generation check cost per visitor.
    [trigger] = [
        t for t in catalog.by_name("Authorizer").triggers if isinstance(t, catalog.AuthorizerTrigger)
    ]
    (authorizer,) = by_type(synth.template("sample"), "AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] == trigger.result_cache_seconds > 0
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"


def test_sample_hosts_both_apps_with_their_config(synth: Synth) -> None:
    template = synth.template("sample")
    outputs = template["Outputs"]
    assert "/waiting_room_site/index.html" in flatten(outputs["WaitingRoomURL"]["Value"])
    assert "/control_panel/index.html" in flatten(outputs["ControlPanelURL"]["Value"])
    deployments = by_type(template, "Custom::CDKBucketDeployment")
    prefixes = sorted(d["Properties"]["DestinationBucketKeyPrefix"] for d in deployments.values())
    assert prefixes == ["control_panel/", "waiting_room_site/"]
    for deployment in deployments.values():
        # Two sources: the folder and the generated config.json holding the APIs and the event id.
        assert len(deployment["Properties"]["SourceObjectKeys"]) == 2
        markers = flatten(deployment["Properties"].get("SourceMarkers", []))
        for value in ("<PublicApiUrl>", "<PrivateApiUrl>", "<EventId>"):
            assert value in markers
    # Buckets private, reached by CloudFront through origin access control; one per page, since the
    # control panel has an origin of its own (tests/security/test_page_headers.py).
    buckets = by_type(template, "AWS::S3::Bucket").values()
    assert len(buckets) == 2
    for bucket in buckets:
        assert bucket["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert len(by_type(template, "AWS::CloudFront::OriginAccessControl")) == 2


def test_inlet_strategy_is_chosen_by_a_parameter(synth: Synth) -> None:
    template = synth.template("inlet")
    assert template["Parameters"]["InletStrategy"]["AllowedValues"] == ["Periodic", "MaxSize"]
    functions = catalog_functions(template)
    conditions = {name: template["Resources"][logical]["Condition"] for logical, name in functions.items()}
    assert conditions == {"PeriodicInlet": "PeriodicChosen", "MaxSizeInlet": "MaxSizeChosen"}
    for resource in by_type(template, "AWS::SNS::Topic").values():
        assert resource["Condition"] == "MaxSizeChosen"
    for resource in by_type(template, "AWS::Events::Rule").values():
        assert resource["Condition"] == "PeriodicChosen"
    invoke = [s for s in policy_statements(template) if s["Action"] == "execute-api:Invoke"]
    assert len(invoke) == 2  # one per strategy, each listing the private routes by name
    for logical in functions:
        assert env(template, logical)["PRIVATE_API_URL"] == _either("PrivateApiUrl", "PrivateCoreApiEndpoint")


def test_openid_stack(synth: Synth) -> None:
    template = synth.template("openid")
    tables = by_type(template, "AWS::DynamoDB::Table")
    assert [t["Properties"]["KeySchema"][0]["AttributeName"] for t in tables.values()] == ["place"]
    secrets = by_type(template, "AWS::SecretsManager::Secret")
    (secret,) = secrets.values()
    assert secret["Properties"]["GenerateSecretString"]["GenerateStringKey"] == "client_secret"
    for logical, name in catalog_functions(template).items():
        variables = env(template, logical)
        if name == "OidcAuthorize":
            assert flatten(variables["OIDC_PAGE_URL"]).endswith("/oidc/openid/index.html")
        if "JWT_SECRET_ID" in variables:
            assert variables["JWT_SECRET_ID"] == {"Ref": "SigningKeyArn"}


def test_getting_started_wires_core_authorizer_and_sample(synth: Synth) -> None:
    core, authorizer, sample = (synth.template(k) for k in ("gs.core", "gs.authorizer", "gs.sample"))
    # No parameters to fill in besides the core's own.
    assert "PublicApiUrl" not in authorizer.get("Parameters", {})
    assert "AuthorizerArn" not in sample.get("Parameters", {})
    # The event id is each stack's own parameter, never an export (see test_exports).
    for template in (core, authorizer, sample):
        assert "EventId" in template["Parameters"]
    assert "Fn::ImportValue" in json.dumps(authorizer["Resources"])
    assert "Fn::ImportValue" in json.dumps(sample["Resources"])
    assert len(catalog_functions(core)) == len(catalog_functions(synth.template("core")))
