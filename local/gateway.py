"""One HTTP port for every API of the product and both browser apps.

Each API of the wiring table lives under its own prefix (`/public`, `/private`, `/store`, `/oidc`),
as each would be a stage of its own API Gateway. In front of the functions the gateway does what
API Gateway and CloudFront do on AWS: the CORS preflight, the SQS integration of
`/assign_queue_num`, SigV4 on the private API, the Lambda authorizer on authorized routes, the CDN
cache of the routes with a cache policy, and the proxy event (REST, v1) that reaches the handler.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from lambdas.catalog import (
    ASSIGN_QUEUE_NUM,
    FUNCTIONS,
    RATE_LIMITED_STATUS,
    Api,
    AuthorizerTrigger,
    Function,
    Route,
    routes_of,
)
from lambdas.waiting_room.http import CORS_HEADERS
from local import authorization, cdn, events, integration, sigv4, sites, waf
from local.functions import Functions

logger = logging.getLogger("vwr.local.gateway")

APIS: tuple[str, ...] = get_args(Api)
# The private API is the one with IAM authorization (API.md); every other API is open.
IAM_APIS = frozenset({"private"})
# API Gateway answers the preflight itself (a mock integration), never signed, never authorized.
PREFLIGHT_HEADERS = {**CORS_HEADERS, "Access-Control-Max-Age": "600"}
# API Gateway's own answers, shaped as the stacks' gateway responses shape them
# (stacks/constructs/rest_api.py: `{"error": $context.error.messageString}`).
MISSING_TOKEN = {"error": "Missing Authentication Token"}
# API Gateway's payload limit for REST APIs: a longer request never reaches a function.
MAX_BODY_BYTES = 10 * 1024 * 1024
TOO_LONG = {"error": "Request Too Long"}
LAMBDA_FAILED = {"error": "Internal server error"}


@dataclass(frozen=True)
class Target:
    route: Route
    # None for /assign_queue_num, which is an integration and not a function.
    function: Function | None


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status,
        {"Content-Type": "application/json", **CORS_HEADERS, **(headers or {})},
    )


def _route_table() -> dict[str, dict[tuple[str, str], Target]]:
    table: dict[str, dict[tuple[str, str], Target]] = {api: {} for api in APIS}
    for api in APIS:
        for route, function in routes_of(api):  # type: ignore[arg-type]
            table[api][(route.method, route.path)] = Target(route, function)
    table[ASSIGN_QUEUE_NUM.api][(ASSIGN_QUEUE_NUM.method, ASSIGN_QUEUE_NUM.path)] = Target(
        ASSIGN_QUEUE_NUM, None
    )
    return table


def _path_parameters(template: str, path: str) -> dict[str, str] | None:
    """The values of a route's `{name}` segments in `path`, or None where the path is not the
    route's (a parameter is one non-empty segment, as API Gateway matches it)."""
    wanted, given = template.split("/"), path.split("/")
    if len(wanted) != len(given):
        return None
    found: dict[str, str] = {}
    for want, value in zip(wanted, given, strict=True):
        if want.startswith("{") and want.endswith("}") and value:
            found[want[1:-1]] = value
        elif want != value:
            return None
    return found


def _find_route(
    routes: Mapping[tuple[str, str], Target], method: str, path: str
) -> tuple[Target, dict[str, str]] | None:
    """The route of a request and its path parameters; a literal path wins over a template."""
    exact = routes.get((method, path))
    if exact is not None:
        return exact, {}
    for (route_method, template), target in routes.items():
        found = _path_parameters(template, path) if route_method == method else None
        if found:
            return target, found
    return None


def _authorizer() -> tuple[str, AuthorizerTrigger] | None:
    found = [(f.name, t) for f in FUNCTIONS for t in f.triggers if isinstance(t, AuthorizerTrigger)]
    return found[0] if found else None


class Gateway:
    """The WSGI application: API Gateway, CloudFront and S3 website in one."""

    def __init__(
        self,
        functions: Functions,
        *,
        region: str,
        credentials: Credentials,
        sqs: Any,
        entry_queue_url: str,
        sites_served: list[sites.Site],
        entry_rate_limit: waf.EntryRateLimit | None = None,
        cache_seconds: float | None = None,
    ) -> None:
        self._functions = functions
        self._region = region
        self._credentials = credentials
        self._sqs = sqs
        self._entry_queue_url = entry_queue_url
        self._sites = sites_served
        self._entry_rate_limit = entry_rate_limit
        self._routes = _route_table()
        self._authorizer = _authorizer()
        decision_ttl = self._authorizer[1].result_cache_seconds if self._authorizer else 0
        self.authorizer_cache_seconds = (
            decision_ttl if cache_seconds is None else min(decision_ttl, cache_seconds)
        )
        self._decisions = authorization.ResultCache(self.authorizer_cache_seconds)
        self.cdn = cdn.Cdn(max_ttl_seconds=cache_seconds)
        # The longest any cached answer lives: a reset or a closed session shows within it.
        self.cdn_max_ttl_seconds = max(
            (
                self.cdn.ttl_of(t.route.cache)
                for table in self._routes.values()
                for t in table.values()
                if t.route.cache
            ),
            default=0,
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        started = time.perf_counter()
        try:
            response = self._dispatch(request)
        except Exception:
            logger.exception("the gateway failed on %s %s", request.method, request.path)
            response = _json(500, LAMBDA_FAILED)
        # The path only: query strings and bodies carry request ids, which are bearer secrets.
        logger.info(
            "%s %s %d %.1f ms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path == "/":
            return Response(status=302, headers={"Location": "/waiting-room/"})
        site = sites.find(self._sites, request)
        if isinstance(site, sites.Site):
            return sites.serve(site, request)
        if site is not None:
            return site
        api, _, rest = request.path.lstrip("/").partition("/")
        if api not in self._routes:
            return Response("not found\n", 404, {"Content-Type": "text/plain"})
        return self._api_call(api, "/" + rest, request)

    def _api_call(self, api: str, path: str, request: Request) -> Response:
        routes = self._routes[api]
        if request.method == "OPTIONS":
            if any(_path_parameters(template, path) is not None for _, template in routes):
                return Response(status=204, headers=PREFLIGHT_HEADERS)
            return _json(403, MISSING_TOKEN)
        found = _find_route(routes, request.method, path)
        if found is None:
            # API Gateway's answer for a path or method it does not know.
            return _json(403, MISSING_TOKEN)
        target, path_parameters = found
        # Refused from Content-Length before a byte is read; a chunked body stops at the limit.
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _json(413, TOO_LONG)
        request.max_content_length = MAX_BODY_BYTES
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return _json(413, TOO_LONG)
        request_id = str(uuid.uuid4())
        caller = events.Caller()
        if api in IAM_APIS:
            refused = self._check_signature(request, body)
            if refused is not None:
                return refused
            caller = events.Caller(
                access_key=self._credentials.access_key_id,
                user_arn=f"arn:aws:iam::{events.ACCOUNT_ID}:user/vwr-local",
            )
        if target.function is None:
            if self._entry_rate_limit and not self._entry_rate_limit.allows(request.remote_addr or ""):
                return _json(RATE_LIMITED_STATUS, waf.BLOCKED_BODY)
            answer = integration.assign_queue_num(
                self._sqs,
                self._entry_queue_url,
                body,
                request_id,
                request.headers.get("Content-Type"),
                request.remote_addr or "",
            )
            return _json(answer.status, answer.body)
        return self._function_call(api, path, path_parameters, request, body, request_id, target, caller)

    def _check_signature(self, request: Request, body: bytes) -> Response | None:
        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        signed = sigv4.SignedRequest(
            method=request.method,
            host=request.host,
            raw_path=raw_uri.split("?", 1)[0],
            raw_query=request.query_string.decode("latin-1"),
            headers=list(request.headers.items()),
            body=body,
        )
        try:
            sigv4.verify(
                signed,
                access_key_id=self._credentials.access_key_id,
                secret_access_key=self._credentials.secret_access_key,
                region=self._region,
            )
        except sigv4.SignatureRejected as error:
            return _json(403, {"error": str(error)})
        return None

    def _function_call(
        self,
        api: str,
        path: str,
        path_parameters: dict[str, str],
        request: Request,
        body: bytes,
        request_id: str,
        target: Target,
        caller: events.Caller,
    ) -> Response:
        assert target.function is not None
        query = list(request.args.items(multi=True))
        policy = target.route.cache if request.method == "GET" else None
        key: tuple[Any, ...] | None = None
        if policy is not None:
            query = cdn.forwarded_query(policy, query)
            key = cdn.cache_key(request.method, f"/{api}{path}", policy, query)
            hit = self.cdn.get(key)
            if hit is not None:
                return Response(hit.body, hit.status, {**hit.headers, "X-Cache": "Hit from cloudfront"})
        http_request = events.HttpRequest(
            method=request.method,
            path=path,
            headers=list(request.headers.items()),
            query=query,
            body=body,
            source_ip=request.remote_addr or "127.0.0.1",
            host=request.host,
        )
        event = events.proxy_event(
            http_request,
            api=api,
            stage=api,
            resource=target.route.path,
            path_parameters=path_parameters,
            request_id=request_id,
            caller=caller,
        )
        if target.route.authorized:
            verdict = self._authorize(api, event)
            if verdict.status != 200:
                return _json(verdict.status, verdict.body)
            event["requestContext"]["authorizer"] = dict(verdict.context or {})
        status, headers, payload = self._invoke(target.function.name, event)
        if key is not None and policy is not None:
            self.cdn.put(key, policy, status, headers, payload)
            headers = {**headers, "X-Cache": "Miss from cloudfront"}
        return Response(payload, status, headers)

    def _authorize(self, api: str, event: dict[str, Any]) -> authorization.Decision:
        if self._authorizer is None:
            return authorization.MISCONFIGURED
        name, trigger = self._authorizer
        arn = events.method_arn(self._region, api, api, event["httpMethod"], event["path"])
        authorizer_event = events.authorizer_event(event, arn=arn, kind=trigger.kind)
        if authorizer_event is None:
            return authorization.UNAUTHORIZED
        identity = next((v for k, v in (event["headers"] or {}).items() if k.lower() == "authorization"), "")
        answer = self._decisions.get(identity) if identity else None
        if answer is None:
            try:
                answer = self._functions.invoke(name, authorizer_event)
            except Exception as error:
                if str(error) != "Unauthorized":
                    logger.exception("the authorizer failed")
                return authorization.refused(error)
            if identity:
                self._decisions.put(identity, answer)
        return authorization.decide(answer, arn)

    def _invoke(self, name: str, event: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """The function's proxy response as (status, headers, body); a failure is API Gateway's 502."""
        try:
            result = self._functions.invoke(name, event)
            return _proxy_response(result)
        except Exception:
            logger.exception("function %s failed", name)
            return (
                502,
                {"Content-Type": "application/json", **CORS_HEADERS},
                json.dumps(LAMBDA_FAILED).encode(),
            )


def _proxy_response(result: Any) -> tuple[int, dict[str, str], bytes]:
    """Reads a Lambda proxy integration response; a malformed one raises, as API Gateway rejects it."""
    if not isinstance(result, Mapping):
        raise TypeError("a proxy integration must return an object")
    status = result.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError("statusCode must be an integer")
    headers: dict[str, str] = {}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(str(v) for v in values)
    for name, value in (result.get("headers") or {}).items():
        headers[name] = str(value)
    body = result.get("body")
    if body is None:
        payload = b""
    elif not isinstance(body, str):
        raise TypeError("body must be a string")
    elif result.get("isBase64Encoded"):
        payload = base64.b64decode(body)
    else:
        payload = body.encode()
    return status, headers, payload


class _JsonErrorsHandler(WSGIRequestHandler):
    """The HTTP server's own refusals (a request line over 64 KiB: 414; a malformed one: 400)
    happen before the gateway sees a request; they answer the JSON error shape of every other
    error instead of the standard library's HTML page."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        reason = message or self.responses.get(code, ("error",))[0]
        self.log_error("code %d, message %s", code, reason)
        body = json.dumps({"error": reason}, separators=(",", ":")).encode()
        self.send_response(code, reason)
        self.send_header("Connection", "close")
        for name, value in {"Content-Type": "application/json", **CORS_HEADERS}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def serve(app: Gateway | Callable[..., Any], host: str, port: int) -> BaseWSGIServer:
    """Binds now (so a port 0 is known before anything else starts); serve it with `start()`."""
    server = make_server(host, port, app, threaded=True, request_handler=_JsonErrorsHandler)
    # A burst of visitors opens hundreds of connections at once; a short backlog drops SYNs and
    # costs each dropped client a one-second retransmission.
    server.socket.listen(1024)
    return server


def start(server: BaseWSGIServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="vwr-gateway", daemon=True)
    thread.start()
    return thread
