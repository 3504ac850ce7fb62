"""The core stack: entry path, queue, APIs, CDN, Redis, network, tables, alarms, parameters."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lambdas import catalog
from stacks.constructs.cdn import ORIGIN_KEY_HEADER
from stacks.constructs.rest_api import STAGE
from tests.infrastructure.conftest import ALL_STACKS, Synth
from tests.infrastructure.helpers import (
    api_routes,
    as_list,
    by_type,
    catalog_functions,
    env,
    flatten,
    policy_statements,
)


@pytest.fixture(scope="module")
def core(synth: Synth) -> dict[str, Any]:
    return synth.template("core")


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (resource,) = by_type(template, kind).values()
    return resource["Properties"]


def _api_distribution(template: dict[str, Any]) -> dict[str, Any]:
    """The public API's distribution (with the web ACL), not the one of shared cached reads."""
    (resource,) = [
        r for name, r in by_type(template, "AWS::CloudFront::Distribution").items() if name.startswith("Cdn")
    ]
    return resource["Properties"]["DistributionConfig"]


def _assign_method(core: dict[str, Any]) -> dict[str, Any]:
    for method in by_type(core, "AWS::ApiGateway::Method").values():
        if method["Properties"].get("Integration", {}).get("Type") == "AWS":
            return method["Properties"]
    raise AssertionError("no SQS integration")


def test_assign_queue_num_is_an_sqs_integration_whose_role_only_sends(core: dict[str, Any]) -> None:
    method = _assign_method(core)
    integration = method["Integration"]
    assert ":sqs:path/" in flatten(integration["Uri"])
    # What the templates write is checked by running them (test_mapping_templates.py).
    # The integration role may send to the entry queue and do nothing else.
    role = core["Resources"][integration["Credentials"]["Fn::GetAtt"][0]]
    statements = [
        s
        for p in by_type(core, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if p["Properties"].get("Roles") == [{"Ref": integration["Credentials"]["Fn::GetAtt"][0]}]
    ]
    assert role["Type"] == "AWS::IAM::Role"
    assert [s["Action"] for s in statements] == ["sqs:SendMessage"]


def test_entry_body_is_validated_against_a_schema(core: dict[str, Any]) -> None:
    method = _assign_method(core)
    validator = core["Resources"][method["RequestValidatorId"]["Ref"]]["Properties"]
    assert validator["ValidateRequestBody"] is True
    model = _one(core, "AWS::ApiGateway::Model")
    assert model["Schema"]["required"] == ["event_id"]
    assert model["Schema"]["properties"]["event_id"]["type"] == "string"


def test_entry_maps_json_and_text_and_refuses_the_rest(core: dict[str, Any]) -> None:
    """The local gateway answers 415 for what this integration has no template for, and the body of
    each mapped content type is validated (API Gateway skips a content type without a model)."""
    method = _assign_method(core)
    integration = method["Integration"]
    assert integration["PassthroughBehavior"] == "NEVER"
    assert (
        set(integration["RequestTemplates"])
        == set(catalog.ENTRY_CONTENT_TYPES)
        == {"application/json", "text/plain"}
    )
    assert len(set(integration["RequestTemplates"].values())) == 1
    assert set(method["RequestModels"]) == set(catalog.ENTRY_CONTENT_TYPES)
    assert len({json.dumps(m) for m in method["RequestModels"].values()}) == 1


def test_queue_has_dead_letters_and_six_times_the_worker_timeout(core: dict[str, Any]) -> None:
    worker = catalog.by_name("QueueWorker")
    queues = by_type(core, "AWS::SQS::Queue")
    (main,) = [q["Properties"] for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert main["VisibilityTimeout"] >= 6 * worker.timeout_seconds
    trigger = next(t for t in worker.triggers if isinstance(t, catalog.QueueTrigger))
    assert main["RedrivePolicy"]["maxReceiveCount"] == trigger.max_receive_count
    assert main["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] in queues
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_public_methods_need_the_origin_key_and_private_ones_iam(core: dict[str, Any]) -> None:
    apis = {
        k: v["Properties"]["Name"].rsplit("-", 1)[-1]
        for k, v in by_type(core, "AWS::ApiGateway::RestApi").items()
    }
    for method in by_type(core, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            # A browser's CORS preflight cannot be signed or carry the key: it must pass unauthenticated.
            assert props["AuthorizationType"] == "NONE" and not props.get("ApiKeyRequired")
            continue
        if apis[props["RestApiId"]["Ref"]] == "public":
            assert props.get("ApiKeyRequired") is True
            assert props["AuthorizationType"] == "NONE"
        else:
            assert props["AuthorizationType"] == "AWS_IAM"
    distribution = _api_distribution(core)
    (origin,) = distribution["Origins"]
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}
    key = _one(core, "AWS::ApiGateway::ApiKey")["Value"]
    # The same secret, by dynamic reference: never a literal in the template.
    assert headers[ORIGIN_KEY_HEADER] == key
    assert "{{resolve:secretsmanager:" in flatten(key)


def test_cache_policies_follow_the_catalog(core: dict[str, Any]) -> None:
    distribution = _api_distribution(core)
    policies = by_type(core, "AWS::CloudFront::CachePolicy")
    behaviors = {b["PathPattern"]: b for b in distribution["CacheBehaviors"]}
    cached = {r.path: r.cache for r, _ in catalog.routes_of("public") if r.cache and r.method == "GET"}
    assert set(behaviors) == set(cached)
    for path, cache in cached.items():
        config = policies[behaviors[path]["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        assert config["MinTTL"] == 0  # lets Cache-Control: no-store on a 202 win
        assert config["DefaultTTL"] == cache.ttl_seconds
        query = config["ParametersInCacheKeyAndForwardedToOrigin"]["QueryStringsConfig"]
        assert query["QueryStringBehavior"] == "whitelist"
        assert sorted(query["QueryStrings"]) == sorted(cache.query_keys)
    # Everything else (POSTs, uncached GETs) is never cached.
    assert "CachePolicyId" in distribution["DefaultCacheBehavior"]


def test_no_cached_public_answer_outlives_a_reset_by_more_than_the_window(core: dict[str, Any]) -> None:
    distribution = _api_distribution(core)
    policies = by_type(core, "AWS::CloudFront::CachePolicy")
    behaviors = {b["PathPattern"]: b for b in distribution["CacheBehaviors"]}
    state = [r.path for r, _ in catalog.routes_of("public") if r.cache and r.cache.describes_generation]
    assert "/queue_num" in state and "/serving_num" in state
    for path in state:
        config = policies[behaviors[path]["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
        assert config["MaxTTL"] <= catalog.RESET_VISIBLE_WITHIN_SECONDS, path
        assert config["DefaultTTL"] <= catalog.RESET_VISIBLE_WITHIN_SECONDS, path
    # Only the public key keeps a long TTL: a reset does not change it.
    assert {r.path for r, _ in catalog.routes_of("public") if r.cache} - set(state) == {"/public_key"}
    assert distribution["DefaultCacheBehavior"]["AllowedMethods"][-1] in ("DELETE", "POST", "PATCH", "PUT")


def test_redis_is_serverless_valkey_with_tls_and_a_password_user(core: dict[str, Any]) -> None:
    cache = _one(core, "AWS::ElastiCache::ServerlessCache")
    assert cache["Engine"] == "valkey"
    group = _one(core, "AWS::ElastiCache::UserGroup")
    users = [u["Properties"] for u in by_type(core, "AWS::ElastiCache::User").values()]
    assert {u["UserName"] for u in users} == {"vwr-app", "default"}
    default = next(u for u in users if u["UserName"] == "default")
    assert default["AccessString"].startswith("off")
    app = next(u for u in users if u["UserName"] == "vwr-app")
    passwords = flatten(app["AuthenticationMode"]["Passwords"])
    assert app["AuthenticationMode"]["Type"] == "password"
    assert "{{resolve:secretsmanager:" in passwords and ":password:" in passwords
    assert len(group["UserIds"]) == 2
    for logical, name in catalog_functions(core).items():
        if catalog.by_name(name).needs_redis:
            url = flatten(env(core, logical)["REDIS_URL"])
            assert url.startswith("rediss://") and url.endswith("/0")
            # Serverless speaks only cluster mode (tests/integration/test_cluster_mode.py).
            assert env(core, logical)["REDIS_CLUSTER"] == "true"


def test_only_redis_functions_are_in_the_vpc(synth: Synth) -> None:
    for stack in ALL_STACKS:
        template = synth.template(stack)
        for logical, name in catalog_functions(template).items():
            in_vpc = "VpcConfig" in template["Resources"][logical]["Properties"]
            assert in_vpc == catalog.by_name(name).needs_redis, name


def test_no_nat_gateway_and_only_the_needed_endpoints(synth: Synth) -> None:
    for stack in ALL_STACKS:
        template = synth.template(stack)
        assert not by_type(template, "AWS::EC2::NatGateway")
        assert not by_type(template, "AWS::EC2::InternetGateway")
    endpoints = [e["Properties"] for e in by_type(synth.template("core"), "AWS::EC2::VPCEndpoint").values()]
    services = sorted(
        flatten(e["ServiceName"]).rsplit(".", 1)[-1] + ":" + e.get("VpcEndpointType", "Gateway")
        for e in endpoints
    )
    assert services == [
        "dynamodb:Gateway",
        "events:Interface",
        "scheduler:Interface",
        "secretsmanager:Interface",
        "sqs:Interface",
    ]
    for endpoint in endpoints:
        if endpoint.get("VpcEndpointType") == "Interface":
            assert len(endpoint["SubnetIds"]) == 1  # one AZ by default: $7.30/month each


def test_with_private_endpoints_every_service_a_vpc_function_calls_has_one(synth: Synth) -> None:
    """PrivateEndpoints=true leaves the VPC no route out: each AWS service that a VPC function's
    policy lets it call must have an endpoint there (CloudWatch Logs and IAM are used by Lambda
    itself, not by the function's code)."""
    template = synth.template("core")
    vpc_roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in by_type(template, "AWS::Lambda::Function").values()
        if "VpcConfig" in f["Properties"]
    }
    called = {
        action.split(":", 1)[0]
        for policy in by_type(template, "AWS::IAM::Policy").values()
        if {r.get("Ref") for r in policy["Properties"].get("Roles", [])} & vpc_roles
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    } - {"logs", "iam"}
    reachable = {
        flatten(e["Properties"]["ServiceName"]).rsplit(".", 1)[-1]
        for e in by_type(template, "AWS::EC2::VPCEndpoint").values()
        if e.get("Condition") in (None, "PrivateEndpointsAsked", "EventBridgeEndpointWanted")
    }
    assert {"sqs", "secretsmanager", "dynamodb"} <= called
    assert called <= reachable, called - reachable


def test_vpc_functions_go_out_over_ipv6_unless_private_endpoints_are_asked_for(synth: Synth) -> None:
    """By default no interface endpoint is made: the subnets are dual-stack and route ::/0 to an
    egress-only internet gateway (outbound only: nothing in the VPC can be reached from outside),
    the VPC functions may send IPv6 and use EventBridge's, SQS's and Scheduler's dual-stack
    endpoints. With PrivateEndpoints=true it is the other way round: interface endpoints and no
    route out."""
    template = synth.template("core")
    resources = template["Resources"]
    assert template["Parameters"]["PrivateEndpoints"]["Default"] == "false"
    assert template["Conditions"]["EgressOverIpv6"] == {"Fn::Not": [{"Condition": "PrivateEndpointsAsked"}]}
    for endpoint in by_type(template, "AWS::EC2::VPCEndpoint").values():
        if endpoint["Properties"].get("VpcEndpointType") == "Interface":
            assert endpoint["Condition"] in {"PrivateEndpointsAsked", "EventBridgeEndpointWanted"}
    (gateway,) = by_type(template, "AWS::EC2::EgressOnlyInternetGateway")
    assert resources[gateway]["Condition"] == "EgressOverIpv6"
    assert not by_type(template, "AWS::EC2::InternetGateway")  # nothing that lets connections in
    subnets = by_type(template, "AWS::EC2::Subnet")
    (ipv6_block,) = by_type(template, "AWS::EC2::VPCCidrBlock")
    routes = [
        r
        for r in by_type(template, "AWS::EC2::Route").values()
        if "DestinationIpv6CidrBlock" in r["Properties"]
    ]
    assert len(routes) == len(subnets)
    tables = {
        a["Properties"]["RouteTableId"]["Ref"]
        for a in by_type(template, "AWS::EC2::SubnetRouteTableAssociation").values()
    }
    for route in routes:
        assert route["Condition"] == "EgressOverIpv6"
        assert route["Properties"]["DestinationIpv6CidrBlock"] == "::/0"
        assert route["Properties"]["EgressOnlyInternetGatewayId"] == {"Ref": gateway}
        assert route["Properties"]["RouteTableId"]["Ref"] in tables
    for subnet in subnets.values():
        assert "Ipv6CidrBlock" in subnet["Properties"]
        assert ipv6_block in subnet["DependsOn"]  # the VPC's IPv6 block must exist first
    vpc_functions = [
        f for f in by_type(template, "AWS::Lambda::Function").values() if "VpcConfig" in f["Properties"]
    ]
    assert vpc_functions
    for function in vpc_functions:
        assert function["Properties"]["VpcConfig"]["Ipv6AllowedForDualStack"] is True
        assert function["Properties"]["Environment"]["Variables"]["DUAL_STACK_SERVICES"] == {
            "Fn::If": ["PrivateEndpointsAsked", "", "events,sqs,scheduler"]
        }
    (functions_sg,) = [
        sg
        for sg in by_type(template, "AWS::EC2::SecurityGroup").values()
        if "talk to Redis" in sg["Properties"]["GroupDescription"]
    ]
    assert {
        "CidrIpv6": "::/0",
        "IpProtocol": "-1",
        "Description": "Allow all outbound ipv6 traffic by default",
    } in functions_sg["Properties"]["SecurityGroupEgress"]


def test_no_wildcard_execute_api_invoke(synth: Synth) -> None:
    """A route's ARN, whole: the one `*` allowed is a path parameter's segment (`/events/*`)."""
    with_parameters = [
        f"/{STAGE}/{route.method}{route.arn_path}"
        for route, _ in catalog.routes_of("private")
        if route.arn_path != route.path
    ]
    assert with_parameters  # /events/{event_id}
    granted = set()
    for stack in ALL_STACKS:
        for statement in policy_statements(synth.template(stack)):
            if "execute-api:Invoke" in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    text = flatten(resource)
                    suffix = next((end for end in with_parameters if text.endswith(end)), "")
                    assert "*" not in text[: len(text) - len(suffix)], f"{stack}: {text}"
                    granted.add(suffix)
    assert set(with_parameters) <= granted  # the operators' group may call them
    # IAM's star matches deeper paths too: none may exist below a route with a parameter.
    paths = [route.path for api in ("private", "public") for route, _ in catalog.routes_of(api)]
    assert not [p for p in paths for q in paths if p != q and q.startswith(p + "/") and "{" in p]


def test_each_function_has_its_own_role(synth: Synth) -> None:
    for stack in ALL_STACKS:
        template = synth.template(stack)
        roles = [
            template["Resources"][lg]["Properties"]["Role"]["Fn::GetAtt"][0]
            for lg in catalog_functions(template)
        ]
        assert len(roles) == len(set(roles))


def test_grants_match_the_catalog(core: dict[str, Any]) -> None:
    """A function that does not use a table/secret/bus has no statement naming it."""
    functions = catalog_functions(core)
    policies = by_type(core, "AWS::IAM::Policy")
    for logical, name in functions.items():
        role = core["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        text = flatten(
            [
                p["Properties"]["PolicyDocument"]
                for p in policies.values()
                if {"Ref": role} in p["Properties"].get("Roles", [])
            ]
        )
        # Stream reads are the outbox mappings' (tests/infrastructure/test_outbox.py), no table's.
        streams = re.findall(r"<\w+\.StreamArn>", text)
        assert not streams or name == "Outbox", name
        text = re.sub(r"<\w+\.StreamArn>", "", text)
        used = {r for r, _ in catalog.by_name(name).uses}
        for resource, prefix in (
            (catalog.Resource.QUEUE_POSITIONS_TABLE, "QueuePositionsTable"),
            (catalog.Resource.TOKENS_TABLE, "TokensTable"),
            (catalog.Resource.SERVING_COUNTER_TABLE, "ServingCounterTable"),
            (catalog.Resource.EVENTS_TABLE, "EventsTable"),
            (catalog.Resource.JWT_KEYS_SECRET, "JwtKeys"),
            (catalog.Resource.POW_KEY_SECRET, "PowKey"),
            (catalog.Resource.EVENT_BUS, "EventBus"),
        ):
            assert (f"<{prefix}" in text) == (resource in used), f"{name} / {resource.name}"
        writes = any(
            a in ("write", "read_write") for r, a in catalog.by_name(name).uses if r.name.endswith("TABLE")
        )
        assert ("dynamodb:PutItem" in text) == writes, name


def test_tables_have_ttl_pitr_encryption_and_catalog_keys(core: dict[str, Any]) -> None:
    tables = [t["Properties"] for t in by_type(core, "AWS::DynamoDB::Table").values()]
    assert len(tables) == 4
    for table in tables:
        # The event registry's items stay until an operator deletes the event; records expire.
        if [k["AttributeName"] for k in table["KeySchema"]] == ["event_id"]:
            assert "TimeToLiveSpecification" not in table
        else:
            assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["SSESpecification"]["SSEEnabled"] is True
        assert table["BillingMode"] == "PAY_PER_REQUEST"
    keys = sorted(tuple(k["AttributeName"] for k in t["KeySchema"]) for t in tables)
    assert keys == [("event_id",), ("event_id", "serving_counter"), ("request_id",), ("request_id",)]
    indexes = sorted(
        (index["IndexName"], tuple(k["AttributeName"] for k in index["KeySchema"]))
        for t in tables
        for index in t.get("GlobalSecondaryIndexes", [])
    )
    # Expired tokens are paged by the first; a rebuild of Redis reads a generation's positions by the second.
    assert indexes == [
        ("by_event_expiry", ("event_generation", "token_expires_at")),
        ("by_event_position", ("event_generation", "queue_position")),
    ]


def test_private_api_group_and_outputs(core: dict[str, Any]) -> None:
    (group_logical,) = by_type(core, "AWS::IAM::Group")
    statements = [
        s
        for p in by_type(core, "AWS::IAM::Policy").values()
        if {"Ref": group_logical} in p["Properties"].get("Groups", [])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (statement,) = statements
    assert statement["Action"] == "execute-api:Invoke"
    assert len(statement["Resource"]) == len(catalog.routes_of("private"))
    outputs = core["Outputs"]
    for name in ("PublicApiUrl", "PrivateApiUrl", "PrivateApiGroupName", "TokenIssuer", "AlarmTopicArn"):
        assert name in outputs
    assert outputs["PrivateApiGroupName"]["Value"] == {"Ref": group_logical}


def test_parameters_of_the_reference(core: dict[str, Any]) -> None:
    parameters = core["Parameters"]
    for name, default in (
        ("EventId", "Sample"),
        ("ValidityPeriod", 3600),
        ("EnableEventGeneration", "true"),
        ("EnableQueuePositionExpiry", "true"),
        ("QueuePositionExpiryPeriod", 900),
        ("IncrSvcOnQueuePositionExpiry", "false"),
        ("EnableWaf", "true"),  # on by default (docs/SECURITY.md)
    ):
        assert parameters[name]["Default"] == default


def test_alarms_notify_the_topic_and_a_dashboard_exists(core: dict[str, Any]) -> None:
    (topic,) = by_type(core, "AWS::SNS::Topic")
    alarms = by_type(core, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 4
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]
    # The dashboard is $3 a month: made only with EnableDashboard=true (off by default).
    (dashboard,) = by_type(core, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Condition"] == "DashboardWanted"
    assert core["Parameters"]["EnableDashboard"]["Default"] == "false"
    assert core["Outputs"]["DashboardName"]["Condition"] == "DashboardWanted"


def test_an_entry_that_reaches_the_dead_letter_queue_raises_an_alarm(core: dict[str, Any]) -> None:
    """The redrive takes dead letters back out within a minute, so the alarm counts what it
    received, not the queue's depth, which CloudWatch samples once a minute."""
    (dead_letters,) = [k for k in by_type(core, "AWS::SQS::Queue") if k.startswith("EntryDeadLetters")]
    watching = [
        a["Properties"]
        for a in by_type(core, "AWS::CloudWatch::Alarm").values()
        if flatten(a["Properties"].get("Dimensions", [{}])[0].get("Value", ""))
        == f"<{dead_letters}.QueueName>"
    ]
    assert [(a["MetricName"], a["Statistic"], a["Threshold"]) for a in watching] == [
        ("NumberOfMessagesReceived", "Sum", 0)
    ]


def test_custom_resources_order(core: dict[str, Any]) -> None:
    (init,) = by_type(core, "Custom::InitializeState").values()
    depends = init.get("DependsOn", [])
    assert any(d.startswith("RedisServerless") for d in depends)
    # The way to Secrets Manager: whichever of its endpoint or the IPv6 routes the parameters make.
    (ready,) = [d for d in depends if d.startswith("NetworkEgressReady")]
    egress = core["Resources"][ready]["Metadata"]["Egress"]["Fn::If"]
    assert egress[0] == "PrivateEndpointsAsked"
    assert egress[1]["Ref"].startswith("NetworkVpcSecretsManager")
    assert all(ref["Ref"].startswith("NetworkIpv6Egress") for ref in egress[2]["Fn::Join"][1])
    (keys,) = by_type(core, "Custom::GenerateKeys").values()
    assert "ServiceToken" in keys["Properties"]


def test_public_routes_cover_the_api_contract(core: dict[str, Any]) -> None:
    paths = {path for _, path, _ in api_routes(core)["public"]}
    assert paths == {"/assign_queue_num", "/queue_num", "/serving_num", "/waiting_num", "/queue_pos_expiry",
                     "/generate_token", "/public_key",
                     # what the protected site's authorizer checks (lambdas/admission.py)
                     "/generation", "/session_status",
                     # the entry's proof of work (lambdas/waiting_room/proof_of_work.py)
                     "/pow_challenge",
                     # what the page shows before entry, and the published draw
                     "/event_info",
                     # the served visitor's way back through the edge gate (lambdas/edge_pass.py)
                     "/edge_pass", "/draw", "/draw_list"}  # fmt: skip


def test_every_preflight_allows_the_methods_of_its_resource(synth: Synth) -> None:
    """A browser calls a route across origins only if the resource's OPTIONS answer names its method
    (the control panel's PATCH and DELETE of /events/{event_id} among them)."""
    checked = 0
    for stack in ALL_STACKS:
        methods = by_type(synth.template(stack), "AWS::ApiGateway::Method").values()
        allowed = {}
        for method in methods:
            props = method["Properties"]
            if props["HttpMethod"] == "OPTIONS":
                (answer,) = props["Integration"]["IntegrationResponses"]
                header = answer["ResponseParameters"]["method.response.header.Access-Control-Allow-Methods"]
                allowed[json.dumps(props["ResourceId"], sort_keys=True)] = set(header.strip("'").split(","))
        for method in methods:
            props = method["Properties"]
            if props["HttpMethod"] != "OPTIONS":
                resource = json.dumps(props["ResourceId"], sort_keys=True)
                assert props["HttpMethod"] in allowed[resource], (stack, props["HttpMethod"], resource)
                checked += 1
    assert checked >= len(catalog.routes_of("private"))


def test_the_dead_letter_redrive_runs_each_minute_outside_the_vpc(core: dict[str, Any]) -> None:
    """It needs no Redis: the refusal it writes is a DynamoDB record, so it costs no VPC interface."""
    functions = catalog_functions(core)
    (logical,) = [k for k, name in functions.items() if name == "DeadLetterRedrive"]
    props = core["Resources"][logical]["Properties"]
    assert "VpcConfig" not in props
    variables = props["Environment"]["Variables"]
    assert variables[catalog.Resource.ENTRY_DEAD_LETTERS.value]["Ref"].startswith("EntryDeadLetters")
    assert variables[catalog.Resource.ENTRY_QUEUE.value]["Ref"].startswith("EntryQueue")
    rules = [
        rule["Properties"]
        for rule in by_type(core, "AWS::Events::Rule").values()
        if any(flatten(t["Arn"]) == f"<{logical}.Arn>" for t in rule["Properties"]["Targets"])
    ]
    assert [(r["ScheduleExpression"], r.get("State", "ENABLED")) for r in rules] == [
        ("rate(1 minute)", "ENABLED")
    ]
