"""`vwr local`: the whole waiting room on one machine, assembled from the wiring table.

Start-up order matters: the gateway's port is bound first so that the API addresses are known,
the handlers' environment is complete before any handler module is imported (they read their
settings once, like a fresh Lambda container), and the custom resources run before the first
request, as they do during a deployment. Stopping goes the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from lambdas.catalog import (
    FUNCTIONS,
    TABLES,
    CustomResourceTrigger,
    Function,
    QueueTrigger,
    Resource,
    Schedule,
    StreamTrigger,
    TopicTrigger,
    outbox_of,
)
from local import environment, events, gateway, provision, sites, sns_delivery, sqs_poller, vtl, waf
from local.edge import LocalEdgeGate
from local.functions import Functions, FunctionUnavailable
from local.options import Options, is_true
from local.processes import MotoServer, RedisServer
from local.scheduler import OneTimeSchedules
from local.sqs_poller import SqsPoller
from local.stream_poller import StreamPoller
from local.timers import Timer

logger = logging.getLogger("vwr.local")

# One connection per gateway thread and poller at most; botocore's default pool of 10 would make
# a burst of visitors open and drop connections to moto.
_SDK_CONFIG = Config(max_pool_connections=100, retries={"mode": "standard", "max_attempts": 4})
# How often the stand-ins read what AWS would push: a table's stream (Lambda's mapping polls about
# once a second) and the draws' one-time schedules (Scheduler fires to the minute, these to the second).
STREAM_POLL_SECONDS = 0.25
SCHEDULES_POLL_SECONDS = 0.5


class _Deferred:
    """The server's WSGI app until the gateway exists: the port must be bound before the gateway."""

    app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None, "the gateway serves only once it is assembled"
        return self.app(environ, start_response)


def _advertised(host: str) -> str:
    """The host to put in URLs: a wildcard bind address is reached through the loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _triggers(function: Function, kind: type) -> list[Any]:
    return [t for t in function.triggers if isinstance(t, kind)]


class LocalRuntime:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.ready: dict[str, Any] = {}
        self.unavailable: dict[str, str] = {}
        self._redis: RedisServer | None = None
        self._moto: MotoServer | None = None
        self._server: Any = None
        self._serving: Any = None
        # Pollers and timers: all are asked to stop at once, then awaited.
        self._workers: list[SqsPoller | Timer] = []
        self._edge: LocalEdgeGate | None = None

    # -- start -------------------------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        """Starts everything; returns what the READY line says. On failure, stops what started."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> dict[str, Any]:
        options = self.options
        if options.redis_url:
            redis_url = options.redis_url
        else:
            self._redis = RedisServer()
            redis_url = self._redis.start()
        self._moto = MotoServer(own_process=options.moto_process)
        aws_endpoint = self._moto.start()

        deferred = _Deferred()
        self._server = gateway.serve(deferred, options.host, options.port)
        host = options.url_host or _advertised(options.host)
        urls = environment.Urls(f"http://{host}:{self._server.server_port}")

        # The SDK variables first: provisioning goes through the same endpoint as the handlers.
        aws_env = environment.handler_environment(
            options, provisioned={}, urls=urls, redis_url=redis_url, aws_endpoint=aws_endpoint
        )
        environment.apply(aws_env)
        session = boto3.Session(region_name=options.region)
        mapping = next((t for f in FUNCTIONS for t in _triggers(f, QueueTrigger)), QueueTrigger())
        provisioned = provision.provision(
            session,
            prefix=options.prefix,
            max_receive_count=mapping.max_receive_count,
            oidc_redirect_uris=options.oidc_redirect_uris,
            oidc_client_secret=options.oidc_client_secret,
        )
        topics = provision.provision_topics(session, prefix=options.prefix)
        env = environment.handler_environment(
            options, provisioned=provisioned, urls=urls, redis_url=redis_url, aws_endpoint=aws_endpoint
        )
        environment.apply(env)

        wired = [f for f in FUNCTIONS if options.runs(f.name)]
        functions = Functions(
            wired,
            options.region,
            route_concurrency=options.route_concurrency,
            queue_concurrency=options.queue_concurrency,
        )
        self.unavailable = functions.load()
        generated = self._run_custom_resources(functions, wired)
        if "Custom::GenerateKeys" in generated:
            provision.publish_public_key(session.client("ssm"), env, generated["Custom::GenerateKeys"])

        vtl.warm_up()
        sqs = session.client("sqs", config=_SDK_CONFIG)
        served = gateway.Gateway(
            functions,
            region=options.region,
            credentials=gateway.Credentials(options.access_key_id, options.secret_access_key),
            sqs=sqs,
            entry_queue_url=env[Resource.ENTRY_QUEUE.value],
            sites_served=sites.sites(
                {f"{api}_api": urls.api(api) for api in gateway.APIS},
                event_id=options.event_id,
                region=options.region,
                keys={"access_key_id": options.access_key_id, "secret_access_key": options.secret_access_key},
            ),
            entry_rate_limit=waf.EntryRateLimit() if options.waf else None,
            cache_seconds=options.cache_seconds,
        )
        deferred.app = served
        self._start_pollers(functions, wired, sqs, env[Resource.ENTRY_QUEUE.value], mapping)
        self._start_subscriptions(functions, wired, session, sqs, topics)
        self._start_timers(functions, wired, env)
        self._start_schedules(functions, session, env)
        self._start_outbox(functions, wired, session, env)
        self._serving = gateway.start(self._server)

        if options.protect is not None:
            self._edge = LocalEdgeGate(
                host=options.host,
                origin=options.protect,
                event_id=options.event_id,
                room_url=f"{urls.base}/waiting-room/",
            )
            protected = self._edge.start(host)
        else:
            protected = None

        max_size_topic = next((topics[t.topic] for f in wired for t in _triggers(f, TopicTrigger)), None)
        self.ready = {
            "public_api": urls.api("public"),
            "private_api": urls.api("private"),
            "store_api": urls.api("store"),
            "oidc_api": urls.api("oidc"),
            "waiting_room": f"{urls.base}/waiting-room/",
            "control_panel": f"{urls.base}/control-panel/",
            "event_id": options.event_id,
            "region": options.region,
            "aws_endpoint": aws_endpoint,
            "access_key_id": options.access_key_id,
            "secret_access_key": options.secret_access_key,
            "max_size_topic_arn": max_size_topic or next(iter(topics.values()), None),
            "redis_url": redis_url,
            # The child process to look for: tests check that it does not outlive the runtime.
            "redis_pid": self._redis.pid if self._redis else None,
            "moto_pid": self._moto.pid,
            "entry_queue_url": env[Resource.ENTRY_QUEUE.value],
            "entry_dlq_url": env[Resource.ENTRY_DEAD_LETTERS.value],
            "event_bus": env[Resource.EVENT_BUS.value],
            "inlet": options.inlet,
            "unavailable_functions": sorted(self.unavailable),
            # The bounds in force (--cache-seconds shortens them): the longest a CDN copy and an
            # authorizer decision live.
            "cdn_max_ttl_seconds": served.cdn_max_ttl_seconds,
            "authorizer_cache_seconds": served.authorizer_cache_seconds,
            "protected": protected,
        }
        return self.ready

    def _run_custom_resources(self, functions: Functions, wired: list[Function]) -> dict[str, Any]:
        """What the stack's custom resources do at deployment: the signing key, the counters.

        Returns each resource type's answer, for what the stack builds from it (the public key).
        """
        answers: dict[str, Any] = {}
        for function in wired:
            for trigger in _triggers(function, CustomResourceTrigger):
                if not trigger.runs_locally:
                    continue
                event = events.custom_resource_event(
                    resource_type=trigger.resource_type,
                    logical_id=function.name,
                    properties={},
                    region=self.options.region,
                )
                try:
                    answers[trigger.resource_type] = functions.invoke(function.name, event)
                except FunctionUnavailable as error:
                    logger.warning("custom resource %s skipped: %s", trigger.resource_type, error)
        return answers

    def _start_pollers(
        self, functions: Functions, wired: list[Function], sqs: Any, queue_url: str, mapping: QueueTrigger
    ) -> None:
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        for function in wired:
            for trigger in _triggers(function, QueueTrigger):
                queue = sqs_poller.Queue(
                    url=queue_url,
                    batch_size=self.options.batch_size or trigger.batch_size,
                    batching_window_seconds=(
                        trigger.max_batching_window_seconds
                        if self.options.batching_window_seconds is None
                        else self.options.batching_window_seconds
                    ),
                    visibility_timeout_seconds=self.options.visibility_timeout_seconds,
                )

                def invoke(event: dict[str, Any], name: str = function.name) -> Any:
                    return functions.invoke(name, event)

                def build(messages: Any) -> dict[str, Any]:
                    return events.sqs_event(messages, queue_arn=queue_arn, region=self.options.region)

                poller = SqsPoller(
                    sqs,
                    queue,
                    sqs_poller.lambda_delivery(invoke, build, name=function.name),
                    name=function.name,
                    concurrency=self.options.pollers,
                    max_in_flight=self.options.queue_concurrency,
                )
                poller.start()
                self._workers.append(poller)

    def _start_subscriptions(
        self,
        functions: Functions,
        wired: list[Function],
        session: boto3.Session,
        sqs: Any,
        topics: dict[str, str],
    ) -> None:
        sns = session.client("sns", config=_SDK_CONFIG)
        for function in wired:
            for trigger in _triggers(function, TopicTrigger):
                subscription = sns_delivery.subscribe(
                    sns,
                    sqs,
                    function_name=function.name,
                    topic_arn=topics[trigger.topic],
                    queue_name=f"{self.options.prefix}-{function.name}-delivery",
                )

                def invoke(event: dict[str, Any], name: str = function.name) -> Any:
                    return functions.invoke(name, event)

                poller = SqsPoller(
                    sqs,
                    sqs_poller.Queue(
                        url=subscription.queue_url,
                        batch_size=1,
                        batching_window_seconds=0,
                        visibility_timeout_seconds=self.options.visibility_timeout_seconds,
                    ),
                    sns_delivery.delivery(subscription, invoke),
                    name=f"{function.name}-sns",
                )
                poller.start()
                self._workers.append(poller)

    def _start_outbox(
        self, functions: Functions, wired: list[Function], session: boto3.Session, env: dict[str, str]
    ) -> None:
        """What the core stack's event source mappings do: each streamed table's records that are
        outbox events go to the outbox function, the one the stack deploys."""
        for function in wired:
            for trigger in _triggers(function, StreamTrigger):

                def invoke(event: dict[str, Any], name: str = function.name) -> Any:
                    return functions.invoke(name, event)

                for resource in TABLES:
                    if outbox := outbox_of(resource):
                        poller = StreamPoller(
                            session,
                            table_name=env[resource.value],
                            outbox=outbox,
                            invoke=invoke,
                            trigger=trigger,
                            region=self.options.region,
                            config=_SDK_CONFIG,
                        )
                        self._every(f"streams-{resource.name}", STREAM_POLL_SECONDS, poller.poll)

    def _start_timers(self, functions: Functions, wired: list[Function], env: dict[str, str]) -> None:
        for function in wired:
            for schedule in _triggers(function, Schedule):
                if schedule.enabled_by is not None and not is_true(env.get(schedule.enabled_by.value)):
                    continue
                rule_arn = (
                    f"arn:aws:events:{self.options.region}:{events.ACCOUNT_ID}:rule/"
                    f"{self.options.prefix}-{function.name}-schedule"
                )

                def fire(name: str = function.name, arn: str = rule_arn) -> Any:
                    return functions.invoke(
                        name, events.scheduled_event(rule_arn=arn, region=self.options.region)
                    )

                self._every(function.name, self.options.period_of(function.name, schedule), fire)

    def _start_schedules(self, functions: Functions, session: boto3.Session, env: dict[str, str]) -> None:
        """What EventBridge Scheduler does with the draws' one-time schedules: fires them."""
        schedules = OneTimeSchedules(
            session.client("scheduler", config=_SDK_CONFIG),
            env[Resource.DRAW_SCHEDULES.value],
            functions.invoke,
        )
        self._every("draw-schedules", SCHEDULES_POLL_SECONDS, schedules.poll)

    def _every(self, name: str, seconds: float, work: Callable[[], Any]) -> None:
        timer = Timer(name, seconds, work)
        timer.start()
        self._workers.append(timer)

    def failure(self) -> str | None:
        """Why the runtime cannot go on (a child service died), or None while all is well."""
        for name, service in (("redis-server", self._redis), ("the moto server", self._moto)):
            code = service.exit_code() if service is not None else None
            if code is not None:
                return f"{name} exited unexpectedly with code {code}"
        return None

    # -- stop --------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stops timers and pollers (each finishes what it holds), the gateway, moto, redis-server."""
        if self._edge is not None:
            self._edge.stop()
            self._edge = None
        for worker in self._workers:
            worker.request_stop()
        while self._workers:
            self._workers.pop().stop()
        if self._server is not None:
            server, self._server = self._server, None
            # shutdown() waits for serve_forever to return: only call it if it ever ran.
            if self._serving is not None:
                server.shutdown()
                self._serving = None
            server.server_close()
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._redis is not None:
            self._redis.close()
            self._redis = None
