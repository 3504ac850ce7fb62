"""The waiting room itself: public and private APIs, the entry queue and its worker, Redis,
DynamoDB, the key pair, events, schedules, alarms and a dashboard."""

from __future__ import annotations

import json

from aws_cdk import CfnCondition, CfnOutput, CfnParameter, CfnResource, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from lambdas import catalog
from lambdas.catalog import Resource, Setting
from stacks import params
from stacks.config import AppConfig
from stacks.constructs import triggers
from stacks.constructs.bindings import (
    Bindings,
    dead_letter_grant,
    event_bus_grant,
    parameter_arn,
    parameter_grant,
    queue_grant,
    secret_grant,
    table_grant,
)
from stacks.constructs.cdn import PublicApiDistribution, web_acl_permissions
from stacks.constructs.draw_schedules import DrawSchedules
from stacks.constructs.entry_queue import EntryQueue
from stacks.constructs.function import CatalogFunction
from stacks.constructs.monitoring import Monitoring
from stacks.constructs.network import Network
from stacks.constructs.outbox import OutboxMappings
from stacks.constructs.redis import RedisCache
from stacks.constructs.rest_api import CatalogRestApi
from stacks.nag import ack_template_check, acknowledge_core

CORE_TABLES = (
    Resource.QUEUE_POSITIONS_TABLE,
    Resource.TOKENS_TABLE,
    Resource.SERVING_COUNTER_TABLE,
    Resource.EVENTS_TABLE,
)


def _attribute(key: catalog.Key) -> dynamodb.Attribute:
    kind = dynamodb.AttributeType.NUMBER if key.type == "N" else dynamodb.AttributeType.STRING
    return dynamodb.Attribute(name=key.name, type=kind)


def build_table(scope: Construct, resource: Resource) -> dynamodb.Table:
    spec = catalog.TABLES[resource]
    table = dynamodb.Table(
        scope,
        resource.name.title().replace("_", ""),
        partition_key=_attribute(spec.partition_key),
        sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=spec.ttl_attribute,
        # Both images: an outbox event's filter may need the item before the change.
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if catalog.outbox_of(resource) else None,
        # Records only matter during an event; a torn-down waiting room should leave nothing behind.
        removal_policy=RemovalPolicy.DESTROY,
    )
    for index in spec.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_attribute(index.partition_key),
            sort_key=_attribute(index.sort_key) if index.sort_key else None,
        )
    return table


def bind_table(bindings: Bindings, resource: Resource, table: dynamodb.ITable) -> None:
    indexes = [index.name for index in catalog.TABLES[resource].indexes]
    bindings.bind(resource, table.table_name, table_grant(table.table_arn, indexes))


class CoreStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "Virtual waiting room: core (APIs, queue, Redis, tables, keys)"

        # -- parameters (the reference's names, so its habits carry over) --------------------------
        event_id = params.event_id(self)
        validity = CfnParameter(
            self, "ValidityPeriod", type="Number", default=3600, min_value=60,
            description="Seconds an issued token stays valid",
        )  # fmt: skip
        enable_events = params.aliased(
            self,
            params.flag(
                self, "EnableEventGeneration", True, "Put the waiting_room_metrics event each minute"
            ),
            "EnableEventsGeneration",
        )
        CfnParameter(
            self, "RedisPort", type="Number", default=1785, min_value=1, max_value=65535,
            description="Accepted for the retired solution's scripts; no effect: ElastiCache "
            "Serverless listens on 6379 (reads 6380), node-based caches on the synth-time port",
        )  # fmt: skip
        ack_template_check(
            self,
            "W2001",
            "RedisPort is read by nothing: the retired solution's scripts pass it (docs/MIGRATING.md)",
        )
        enable_expiry = params.flag(
            self, "EnableQueuePositionExpiry", True, "Expire served positions left unused"
        )
        expiry_period = CfnParameter(
            self, "QueuePositionExpiryPeriod", type="Number", default=900, min_value=1,
            description="Seconds a served position stays usable",
        )  # fmt: skip
        incr_on_expiry = params.flag(
            self,
            "IncrSvcOnQueuePositionExpiry",
            False,
            "Give expired positions' places back to the serving counter",
        )
        enable_waf = params.flag(
            self, "EnableWaf", True,
            "AWS WAF on the public distribution: rate limits per client IP, IP reputation",
        )  # fmt: skip
        # Every route, against floods: a waiting visitor polls about 100-150 times in five minutes,
        # so this lets some 130 visitors wait behind one shared address.
        waf_limit = CfnParameter(
            self, "WafRequestsPerIpPer5Minutes", type="Number", default=20000, min_value=10,
            description="WAF rate limit: requests per client IP in any five minutes, all routes",
        )  # fmt: skip
        entry_limit = CfnParameter(
            self, "WafEntriesPerIpPer5Minutes", type="Number", default=catalog.ENTRY_RATE_LIMIT_PER_IP,
            min_value=10, description="WAF rate limit: entries per client IP in any five minutes",
        )  # fmt: skip
        enable_bot_control = params.flag(
            self, "EnableBotControl", False,
            "AWS WAF Bot Control (common) on entries: about $10 a month plus $1 per million entries",
        )  # fmt: skip
        # Off by default so that the retired solution's clients keep entering (docs/SECURITY.md).
        pow_difficulty = CfnParameter(
            self, "ProofOfWorkDifficulty", type="Number", default=0,
            min_value=0, max_value=catalog.POW_MAX_DIFFICULTY,
            description="Zero bits of SHA-256 each entry must find (0: no proof of work; 18 recommended)",
        )  # fmt: skip
        conditions = {
            Setting.ENABLE_EVENTS: CfnCondition(
                self, "EventsEnabled", expression=enable_events.equals("true")
            ),
            Setting.ENABLE_QUEUE_POSITION_EXPIRY: params.is_true(self, "ExpiryEnabled", enable_expiry),
        }
        # Token, session and automatic increment events leave through their tables' streams (the
        # outbox function runs outside the VPC); only the metrics job puts events from inside it.
        functions_put_events = conditions[Setting.ENABLE_EVENTS]

        # -- state ----------------------------------------------------------------------------------
        network = Network(self, "Network", config, event_bus_endpoint_condition=functions_put_events)
        redis = RedisCache(
            self, "Redis", config=config, vpc=network.vpc, clients=network.function_security_group
        )
        tables = {resource: build_table(self, resource) for resource in CORE_TABLES}
        # Created with an empty JSON value; the GenerateKeys custom resource writes the key pair.
        jwt_keys = secretsmanager.Secret(
            self,
            "JwtKeys",
            description="Waiting room token signing key (JSON: kid, private_key_pem)",
            secret_string_value=SecretValue.unsafe_plain_text("{}"),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # The edge gate's HMAC key. To rotate it, write {"kid": NEW, "secret": ..., "previous":
        # {the old kid and secret}}: the edge stack copies both keys to the gate (docs/DEPLOY.md).
        edge_keys = secretsmanager.Secret(
            self,
            "EdgeKeys",
            description="Edge gate admission pass keys (JSON: kid, secret, previous?)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"kid": "k1"}),
                generate_string_key="secret",
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        bus = events.EventBus(self, "EventBus", description="Waiting room events (source custom.waitingroom)")
        entry_queue = EntryQueue(self, "Entry", worker=catalog.by_name("QueueWorker"))
        # Only CloudFront knows this key; it proves an origin request came through the CDN.
        origin_key = _generated_secret(
            self, "OriginKey", "API key CloudFront sends to the public API origin", 40
        )
        origin_key_value = origin_key.secret_value.unsafe_unwrap()
        # The proof of work's HMAC keys are derived from it, one per event (never kept in Redis).
        pow_key = _generated_secret(
            self, "PowKey", "Waiting room proof-of-work key (challenge HMAC keys are derived from it)", 64
        )

        # -- what functions may use -----------------------------------------------------------------
        bindings = Bindings(extra_permissions=web_acl_permissions())
        for resource, table in tables.items():
            bind_table(bindings, resource, table)
        bindings.bind(Resource.JWT_KEYS_SECRET, jwt_keys.secret_arn, secret_grant(jwt_keys.secret_arn))
        bindings.bind(Resource.EDGE_KEYS_SECRET, edge_keys.secret_arn, secret_grant(edge_keys.secret_arn))
        bindings.bind(Resource.POW_KEY_SECRET, pow_key.secret_arn, secret_grant(pow_key.secret_arn))
        # Named ahead, so functions can be told it before the key generator that fills it exists.
        public_key_name = f"/{self.stack_name}/jwt-public-key"
        bindings.bind(
            Resource.JWT_PUBLIC_KEY,
            public_key_name,
            parameter_grant(parameter_arn(public_key_name)),
        )
        bindings.bind(
            Resource.REDIS_AUTH_SECRET,
            redis.auth_secret.secret_arn,
            secret_grant(redis.auth_secret.secret_arn),
        )
        bindings.bind(Resource.EVENT_BUS, bus.event_bus_name, event_bus_grant(bus.event_bus_arn))
        bindings.bind(
            Resource.ENTRY_QUEUE, entry_queue.queue.queue_url, queue_grant(entry_queue.queue.queue_arn)
        )
        bindings.bind(
            Resource.ENTRY_DEAD_LETTERS,
            entry_queue.dead_letters.queue_url,
            dead_letter_grant(entry_queue.dead_letters.queue_arn),
        )
        draw_schedules = DrawSchedules(self, "DrawSchedules")
        bindings.bind(
            Resource.DRAW_SCHEDULES,
            draw_schedules.group_name,
            draw_schedules.grant,
            draw_schedules.environment,
        )
        bindings.settings.update(
            {
                Setting.EVENT_ID: event_id.value_as_string,
                Setting.REDIS_URL: redis.url,
                Setting.REDIS_CLUSTER: "true" if redis.cluster_mode else "false",
                Setting.TOKEN_VALIDITY_SECONDS: validity.value_as_string,
                Setting.ENABLE_EVENTS: enable_events.value,
                Setting.ENABLE_QUEUE_POSITION_EXPIRY: enable_expiry.value_as_string,
                Setting.QUEUE_POSITION_EXPIRY_SECONDS: expiry_period.value_as_string,
                Setting.INCR_SERVING_ON_EXPIRY: incr_on_expiry.value_as_string,
                # The wiring table's window, written out so the template shows what the worker uses.
                Setting.ORDERING_WINDOW_MS: str(catalog.ordering_window_ms()),
                Setting.POW_DIFFICULTY: pow_difficulty.value_as_string,
                # EventBridge Scheduler fires a one-time schedule within the minute it names.
                Setting.SCHEDULER_PRECISION_SECONDS: "60",
            }
        )

        # -- APIs first, so functions can carry the public API's URL as the token issuer ------------
        self.public_api = CatalogRestApi(
            self, "PublicApi", api="public", description="Waiting room public API (behind CloudFront)",
            api_key_required=True, throttle_rate=5000, throttle_burst=2500,
        )  # fmt: skip
        self.private_api = CatalogRestApi(
            self,
            "PrivateApi",
            api="private",
            description="Waiting room private API (IAM)",
            iam_auth=True,
            # Who moved the line or reset it: the caller's ARN on every request.
            access_log=True,
        )
        bindings.settings[Setting.ISSUER] = self.public_api.base_url_without_deployment()

        # -- functions, all from the wiring table ------------------------------------------------------
        self.functions = {
            entry.name: CatalogFunction(
                self,
                entry,
                architecture=config.architecture,
                tracing=config.tracing,
                bindings=bindings,
                placement=network.placement,
            )
            for entry in catalog.functions_of("core")
        }
        functions: dict[str, lambda_.IFunction] = {name: c.function for name, c in self.functions.items()}
        draw_schedules.target(functions["Draw"])
        self.public_api.add_catalog_routes(functions)
        self.private_api.add_catalog_routes(functions)
        entry_queue.add_route(self.public_api.rest_api)
        self._origin_lock(origin_key_value)

        outbox: OutboxMappings | None = None
        outbox_name = ""
        for built in self.functions.values():
            for trigger in built.entry.triggers:
                if isinstance(trigger, catalog.QueueTrigger):
                    triggers.queue_trigger(built.function, trigger, entry_queue.queue)
                elif isinstance(trigger, catalog.StreamTrigger):
                    outbox = OutboxMappings(
                        self,
                        "OutboxStreams",
                        function=built.function,
                        role=built.role,
                        trigger=trigger,
                        tables=tables,
                    )
                    outbox_name = built.entry.name
                elif isinstance(trigger, catalog.Schedule):
                    triggers.schedule_trigger(self, built.entry.name, built.function, trigger, conditions)
                elif isinstance(trigger, catalog.CustomResourceTrigger):
                    if trigger.resource_type == "Custom::CloudFrontWebAcl":
                        continue  # the CDN's web ACL, wired with the CDN below
                    # Handlers read their settings from the environment; the properties make
                    # CloudFormation re-run them when the event or the key secret changes.
                    properties = {"EventId": event_id.value_as_string}
                    if trigger.resource_type == "Custom::GenerateKeys":
                        properties["SecretId"] = jwt_keys.secret_arn
                    resource = triggers.custom_resource(
                        self, built.entry.name, built.function, trigger, properties
                    )
                    if trigger.resource_type == "Custom::GenerateKeys":
                        # The public half, apart: functions that only verify never read the secret.
                        ssm.StringParameter(
                            self,
                            "JwtPublicKey",
                            parameter_name=public_key_name,
                            string_value=resource.get_att_string("PublicJwk"),
                            description="Waiting room token signing key, public half (JWK)",
                        )
                    if built.entry.needs_redis:
                        # Runs in the VPC: Redis and the way to Secrets Manager must exist first.
                        resource.node.add_dependency(redis.resource, network.egress_ready)
                elif not isinstance(trigger, catalog.Route):
                    raise TypeError(f"the core stack cannot wire {trigger!r}")

        # -- the CDN in front of the public API -------------------------------------------------------
        self.cdn = PublicApiDistribution(
            self, "Cdn", api=self.public_api.rest_api, origin_key=origin_key_value,
            enable_waf=enable_waf, waf_rate_limit=waf_limit, entry_rate_limit=entry_limit,
            enable_bot_control=enable_bot_control, web_acl=self.functions["CloudFrontWebAcl"],
        )  # fmt: skip

        # -- who may call the private API ---------------------------------------------------------------
        self.private_api_group = iam.Group(self, "PrivateApiGroup")
        self.private_api_group.add_to_policy(
            iam.PolicyStatement(
                actions=["execute-api:Invoke"],
                resources=[
                    self.private_api.route_arn(r.method, r.arn_path) for r, _ in catalog.routes_of("private")
                ],
            )
        )

        if outbox is None:
            raise ValueError("the wiring table has no function for the tables' streams")
        self.monitoring = Monitoring(
            self, "Monitoring", functions=functions, worker="QueueWorker", queue=entry_queue.queue,
            dead_letters=entry_queue.dead_letters, public_api_name=self.public_api.rest_api.rest_api_name,
            private_api_name=self.private_api.rest_api.rest_api_name,
            outbox=outbox_name, outbox_failures=outbox.failures,
        )  # fmt: skip
        # $3 a month unless it is one of the account's first three; the alarms page without it.
        dashboard_wanted = params.is_true(
            self,
            "DashboardWanted",
            params.flag(
                self, "EnableDashboard", False, "A CloudWatch dashboard of the visitor flow, $3 a month"
            ),
        )
        dashboard = self.monitoring.dashboard.node.default_child
        assert isinstance(dashboard, CfnResource)
        dashboard.cfn_options.condition = dashboard_wanted

        # -- outputs ------------------------------------------------------------------------------------
        self.event_id = event_id.value_as_string
        self.public_api_url = self.cdn.url
        self.public_reads_url = self.cdn.reads_url
        self.private_api_url = self.private_api.url
        self.issuer = bindings.settings[Setting.ISSUER]
        self.jwt_keys_secret_arn = jwt_keys.secret_arn
        self.jwt_public_key_parameter = public_key_name
        for name, value, description in (
            ("PublicApiUrl", self.public_api_url, "Public API (CloudFront): what browsers call"),
            (
                "PublicReadsUrl",
                self.public_reads_url,
                "The public API's shared cached reads without the web ACL: where the page polls",
            ),
            ("PrivateApiUrl", self.private_api_url, "Private API (IAM/SigV4): inlets and operators"),
            (
                "PrivateApiGroupName",
                self.private_api_group.group_name,
                "IAM group allowed to call the private API",
            ),
            ("TokenIssuer", self.issuer, "The iss claim of issued tokens"),
            # The retired solution's names for the same values.
            ("PublicApiInvokeURL", self.public_api_url, "Same as PublicApiUrl"),
            ("PrivateApiInvokeURL", self.private_api_url, "Same as PrivateApiUrl"),
            ("PublicTokenIssuer", self.issuer, "Same as TokenIssuer"),
            # The private route issues under the same issuer unless a call passes its own.
            ("PrivateTokenIssuer", self.issuer, "The iss of tokens from the private API's generate_token"),
            ("WaitingRoomEventId", self.event_id, "The event id"),
            ("EventBusName", bus.event_bus_name, "EventBridge bus with the waiting room events"),
            ("AlarmTopicArn", self.monitoring.topic.topic_arn, "Subscribe to get alarm notifications"),
            ("JwtKeysSecretArn", jwt_keys.secret_arn, "Secret holding the token signing key"),
            ("JwtPublicKeyParameter", public_key_name, "SSM parameter holding the signing key's public JWK"),
            ("EdgeKeysSecretArn", edge_keys.secret_arn, "Secret holding the edge gate's pass keys"),
        ):
            CfnOutput(self, name, value=value, description=description)
        CfnOutput(
            self,
            "DashboardName",
            value=self.monitoring.dashboard.dashboard_name,
            description="CloudWatch dashboard (EnableDashboard=true)",
            condition=dashboard_wanted,
        )

        acknowledge_core(self)

    def _origin_lock(self, key_value: str) -> None:
        """The API key that every public method requires; CloudFront adds it to origin requests."""
        api = self.public_api.rest_api
        key = apigw.ApiKey(self, "OriginApiKey", value=key_value, description="Held by CloudFront only")
        plan = api.add_usage_plan("OriginPlan", description="CloudFront origin requests")
        plan.add_api_key(key)
        plan.add_api_stage(stage=api.deployment_stage)


def _generated_secret(
    scope: Construct, construct_id: str, description: str, length: int
) -> secretsmanager.Secret:
    """A random string Secrets Manager generates at deploy time (letters and digits)."""
    return secretsmanager.Secret(
        scope,
        construct_id,
        description=description,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            exclude_punctuation=True, password_length=length
        ),
        removal_policy=RemovalPolicy.DESTROY,
    )
