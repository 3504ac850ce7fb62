"""Redis for the counters: ElastiCache Serverless (Valkey by default) or a node-based replication
group, always TLS (`rediss://`) and always authenticated.

Authentication is role-based: a user group with one password user for the application, whose
username and password live in a generated Secrets Manager secret (`{"username", "password"}`), and
a `default` user that is turned off (access string `off`), so no connection gets in without the
application's password. ElastiCache wants a user named default in every group, and a Valkey group
admits only users that authenticate (password or IAM), so the default user has a password too: the
application's, which costs no second secret and opens nothing, because a user that is off cannot
authenticate whatever the password. The password reaches CloudFormation as a dynamic reference,
so it never appears in a template.
"""

from __future__ import annotations

import json

from aws_cdk import Names, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.config import AppConfig
from stacks.nag import acknowledge_replication_group

# ElastiCache Serverless listens on this port, and on the next one for its reader endpoint.
SERVERLESS_PORT = 6379
# Node-based groups may choose their port: a non-default one turns away scans aimed at 6379.
# Their reader endpoint (more than one node) listens on the same port.
REPLICATION_GROUP_PORT = 6390
APP_USER = "vwr-app"
# Only the waiting room's own keys (DESIGN: every key is `vwr:{<event_id>}:...`), no admin commands.
ACCESS_STRING = "on ~vwr:* &* +@all -@dangerous"


class RedisCache(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        vpc: ec2.IVpc,
        clients: ec2.ISecurityGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        engine = config.redis_engine
        # ElastiCache ids are account-wide and lowercase: derive them from this construct's path.
        prefix = "vwr-" + Names.unique_id(self)[-8:].lower()

        self.auth_secret = secretsmanager.Secret(
            self,
            "AuthSecret",
            description="Waiting room Redis user (JSON: username, password)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": APP_USER}),
                generate_string_key="password",
                exclude_punctuation=True,
                password_length=40,
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # CfnUser types this property as `Any`, so it is written with CloudFormation's own keys
        # (the AuthenticationModeProperty class would come out as lowercase `type`/`passwords`).
        password = {
            "Type": "password",
            "Passwords": [self.auth_secret.secret_value_from_json("password").unsafe_unwrap()],
        }
        app_user = elasticache.CfnUser(
            self,
            "AppUser",
            engine=engine,
            user_id=f"{prefix}-app",
            user_name=APP_USER,
            access_string=ACCESS_STRING,
            authentication_mode=password,
        )
        default_user = elasticache.CfnUser(
            self,
            "DisabledDefaultUser",
            engine=engine,
            user_id=f"{prefix}-default",
            user_name="default",
            access_string="off -@all",
            authentication_mode=password,
        )
        user_group = elasticache.CfnUserGroup(
            self,
            "Users",
            engine=engine,
            user_group_id=f"{prefix}-users",
            user_ids=[app_user.user_id, default_user.user_id],
        )
        user_group.add_resource_dependency(app_user)
        user_group.add_resource_dependency(default_user)

        self.security_group = ec2.SecurityGroup(
            self, "Sg", vpc=vpc, description="Waiting room Redis", allow_all_outbound=False
        )
        # The cache's own port, and the reader endpoint's where it has one of its own.
        ports = (
            ec2.Port.tcp(REPLICATION_GROUP_PORT)
            if config.redis_node_type
            else ec2.Port.tcp_range(SERVERLESS_PORT, SERVERLESS_PORT + 1)
        )
        self.security_group.add_ingress_rule(clients, ports, "Redis from functions")
        subnet_ids = [subnet.subnet_id for subnet in vpc.isolated_subnets]
        major = "8" if engine == "valkey" else "7"

        self.resource: elasticache.CfnServerlessCache | elasticache.CfnReplicationGroup
        if not config.redis_node_type:
            cache = elasticache.CfnServerlessCache(
                self,
                "Serverless",
                engine=engine,
                serverless_cache_name=prefix,
                major_engine_version=major,
                description="Waiting room counters",
                subnet_ids=subnet_ids,
                security_group_ids=[self.security_group.security_group_id],
                user_group_id=user_group.user_group_id,
                # A ceiling so a runaway client cannot run up the storage bill.
                cache_usage_limits=elasticache.CfnServerlessCache.CacheUsageLimitsProperty(
                    data_storage=elasticache.CfnServerlessCache.DataStorageProperty(unit="GB", maximum=5)
                ),
            )
            cache.add_resource_dependency(user_group)
            self.resource = cache
            host, port = cache.attr_endpoint_address, cache.attr_endpoint_port
        else:
            subnet_group = elasticache.CfnSubnetGroup(
                self, "Subnets", description="Waiting room Redis", subnet_ids=subnet_ids
            )
            multi_az = config.redis_nodes > 1
            group = elasticache.CfnReplicationGroup(
                self,
                "ReplicationGroup",
                replication_group_description="Waiting room counters",
                engine=engine,
                engine_version=f"{major}.0" if engine == "valkey" else "7.1",
                cache_node_type=config.redis_node_type,
                num_cache_clusters=config.redis_nodes,
                automatic_failover_enabled=multi_az,
                multi_az_enabled=multi_az,
                transit_encryption_enabled=True,
                at_rest_encryption_enabled=True,
                user_group_ids=[user_group.user_group_id],
                cache_subnet_group_name=subnet_group.ref,
                security_group_ids=[self.security_group.security_group_id],
                port=REPLICATION_GROUP_PORT,
            )
            group.add_resource_dependency(user_group)
            acknowledge_replication_group(group, multi_az=multi_az)
            self.resource = group
            host, port = group.attr_primary_end_point_address, group.attr_primary_end_point_port
        # Database 0 is the only one on Serverless and in cluster mode; TLS is always on.
        self.url = f"rediss://{host}:{port}/0"
        # Serverless speaks only cluster mode; the replication group here has cluster mode off.
        self.cluster_mode = not config.redis_node_type
