"""The checks of `vwr verify-deploy`: one function each, returning pass, fail or skip and advice.

A check reads the deployment (`Context.deployment`) and what earlier checks found (`Context`'s
journey fields); it never changes anything but the throw-away event, its visitor and the temporary
bus rule and queue, each of which registers its own removal with `Context.cleanup` the moment it
exists. A check that needs a part the deployment (or `vwr local`) does not have is skipped with
the reason, never passed silently.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from lambdas.catalog import ENTRY_POW_FIELD, EVENT_SOURCE
from lambdas.waiting_room.proof_of_work import solve
from lambdas.waiting_room.verification import InvalidToken, KeyCache, KeysUnavailable, Verifier
from verify_deploy.context import (
    Context,
    NoCredentials,
    Removal,
    Result,
    failed,
    passed,
    said,
    server_fault_advice,
    skipped,
)
from verify_deploy.deployment import DOCUMENTED_OUTPUTS, HEALTHY_STATES
from verify_deploy.edge import edge

# -- the stacks ------------------------------------------------------------------------------------


def stacks(ctx: Context) -> Result:
    """Every stack is in a complete state and has the outputs DEPLOY.md documents."""
    if ctx.deployment.local:
        return skipped("vwr local has no CloudFormation stacks")
    problems = []
    for stack in ctx.deployment.stacks:
        if stack.status not in HEALTHY_STATES:
            problems.append(f"{stack.name} is {stack.status} {stack.status_reason}".strip())
        missing = [o for o in DOCUMENTED_OUTPUTS.get(stack.kind or "", ()) if o not in stack.outputs]
        if stack.kind is None:
            problems.append(f"{stack.name} is not a waiting room stack (unknown description)")
        elif missing:
            problems.append(f"{stack.name} lacks the outputs {', '.join(missing)}")
    if problems:
        return failed(
            "; ".join(problems),
            "open the stack's Events tab in the CloudFormation console: the first FAILED event names "
            "the resource and the reason; a stack that is not *_COMPLETE needs `cdk deploy` again",
        )
    names = ", ".join(f"{s.name} ({s.kind})" for s in ctx.deployment.stacks)
    return passed(f"complete, with every documented output: {names}")


# -- the private API and the cache --------------------------------------------------------------------


def private_api(ctx: Context) -> Result:
    """The private API refuses an unsigned call and accepts the caller's signed one."""
    unsigned = ctx.http.get(
        ctx.deployment.private_api + "/events", params={"limit": 1}, timeout=ctx.options.http_timeout
    )
    if unsigned.status_code != 403:
        return failed(
            f"an unsigned GET /events answered {said(unsigned)}, not 403",
            "the private API must use IAM authorization on every route: redeploy the core stack "
            "and check no method was changed by hand in the API Gateway console",
        )
    try:
        signed = ctx.signed("GET", "/events", params={"limit": 1})
    except NoCredentials as error:
        return failed(str(error), "configure credentials as for the AWS CLI (`aws configure`, AWS_PROFILE)")
    if signed.status_code == 403:
        group = ctx.deployment.group_name or "the core stack's PrivateApiGroupName"
        return failed(
            f"your signed GET /events was refused: {said(signed)}",
            f"add your IAM user to the group {group} (DEPLOY.md, 'Letting someone call the private "
            "API'), or give your role execute-api:Invoke on the private API's routes",
        )
    if signed.status_code != 200:
        return failed(f"a signed GET /events answered {said(signed)}", server_fault_advice(signed, "Events"))
    return passed("unsigned call refused with 403, signed call accepted")


def cache(ctx: Context) -> Result:
    """The functions reach Redis: the deployment's own event's counters are read (read only)."""
    answer = ctx.signed("GET", "/counters", params={"event_id": ctx.deployment.event_id})
    if answer.status_code != 200:
        return failed(f"GET /counters answered {said(answer)}", server_fault_advice(answer, "Counters"))
    counters = answer.json()
    return passed(
        f"{ctx.deployment.event_id}: serving {counters.get('serving_counter')}, read from the cache"
    )


# -- the throw-away event and its visitor ---------------------------------------------------------------


def throwaway_event(ctx: Context) -> Result:
    """A throw-away event of its own, created through the private API and deleted at the end."""
    event_id = "vwr-verify-" + secrets.token_hex(4)
    # Registered before the call: a creation that fails half-way (registry written, cache not)
    # still leaves an event to delete.
    ctx.cleanup.append(
        Removal(f"delete the event {event_id}", lambda: _delete_event(ctx, event_id), is_event=True)
    )
    answer = ctx.signed("POST", "/events", body={"event_id": event_id})
    if answer.status_code != 201:
        return failed(f"POST /events answered {said(answer)}", server_fault_advice(answer, "Events"))
    changed = ctx.signed("PATCH", f"/events/{event_id}", body={"name": "vwr verify-deploy"})
    if changed.status_code != 200:
        return failed(
            f"PATCH /events/{event_id} answered {said(changed)}",
            "your credentials may create events but not change them: the group's policy must allow "
            "/events/* (DEPLOY.md pre-flight 13)",
        )
    ctx.throwaway_event = event_id
    return passed(f"{event_id} created and changed (deleted at the end)")


def _delete_event(ctx: Context, event_id: str) -> None:
    answer = ctx.signed("DELETE", f"/events/{event_id}")
    if answer.status_code not in (200, 404):
        raise RuntimeError(f"DELETE /events/{event_id} answered {said(answer)}")


def public_key(ctx: Context) -> Result:
    """The signing key was generated: /public_key serves one RSA key."""
    answer = ctx.public("GET", "/public_key", params={"event_id": ctx.throwaway_event})
    key = answer.json() if answer.status_code == 200 else {}
    if key.get("kty") != "RSA" or not key.get("kid"):
        return failed(
            f"GET /public_key answered {said(answer)}",
            "the GenerateKeys custom resource did not publish the key: see its CloudFormation event "
            "and the JwtPublicKeyParameter (DEPLOY.md pre-flight 5)",
        )
    return passed(f"one RSA key, kid {key['kid'][:12]}...")


def entry(ctx: Context) -> Result:
    """API Gateway puts an entry on the queue (the request template, the send role)."""
    body: dict[str, Any] = {"event_id": ctx.throwaway_event}
    challenge = ctx.public("GET", "/pow_challenge", params={"event_id": ctx.throwaway_event})
    difficulty = int(challenge.json().get("difficulty", 0)) if challenge.status_code == 200 else 0
    if difficulty > 0:
        # The event asks each entry for a proof of work: solved here as the page's worker does.
        puzzle = challenge.json()["challenge"]
        body[ENTRY_POW_FIELD] = {"challenge": puzzle, "nonce": solve(puzzle, difficulty)}
    answer = ctx.page_post("/assign_queue_num", body)
    request_id = answer.json().get("api_request_id") if answer.status_code == 200 else None
    if not request_id:
        return failed(
            f"POST /assign_queue_num answered {said(answer)}",
            "a 500 'the queue did not accept the entry' points at the EntrySendRole policy or the "
            "request template; a 403 at the WAF or the origin lock (DEPLOY.md pre-flight 6-7)",
        )
    ctx.request_id = request_id
    solved = f", after a proof of work of {difficulty} bits" if difficulty else ""
    return passed(f"entry accepted, request id issued{solved}")


def position(ctx: Context) -> Result:
    """The worker numbers the entry: /queue_num answers 200 within the position timeout."""
    started = time.monotonic()
    deadline = started + ctx.options.position_timeout
    params = {"event_id": ctx.throwaway_event, "request_id": ctx.request_id}
    while True:
        answer = ctx.public("GET", "/queue_num", params=params)
        if answer.status_code == 200:
            ctx.queue_number = int(answer.json()["queue_number"])
            return passed(f"position {ctx.queue_number} after {time.monotonic() - started:.1f} s")
        if answer.status_code >= 500:
            return failed(f"GET /queue_num answered {said(answer)}", server_fault_advice(answer, "QueueNum"))
        if answer.status_code != 202:
            return failed(
                f"GET /queue_num answered {said(answer)}",
                "the worker refused the entry: see the QueueWorker log group",
            )
        if time.monotonic() >= deadline:
            return failed(
                f"no position within {ctx.options.position_timeout:.0f} s (GET /queue_num still 202)",
                "the entry is on the queue but the worker did not number it: check that the QueueWorker "
                "function runs (its event source mapping is enabled, its concurrency is not 0), its log "
                "group, and the entry queue's backlog (DEPLOY.md pre-flight 6)",
            )
        ctx.progress(f"waiting for a position... {time.monotonic() - started:.0f} s")
        time.sleep(ctx.options.poll_every)


def serving(ctx: Context) -> Result:
    """A signed increment moves the throw-away event's serving counter up to the visitor."""
    assert ctx.queue_number is not None
    answer = ctx.signed(
        "POST",
        "/increment_serving_counter",
        body={"event_id": ctx.throwaway_event, "increment_by": ctx.queue_number},
    )
    if answer.status_code != 200:
        return failed(
            f"POST /increment_serving_counter answered {said(answer)}",
            server_fault_advice(answer, "IncrementServingCounter"),
        )
    served = int(answer.json()["serving_num"])
    if served < ctx.queue_number:
        return failed(
            f"serving counter {served} < position {ctx.queue_number}", "see the increment's log group"
        )
    return passed(f"serving counter {served}")


def tokens(ctx: Context) -> Result:
    """Tokens are issued and verify against the published key, audience and issuer."""
    answer = ctx.page_post("/generate_token", {"event_id": ctx.throwaway_event, "request_id": ctx.request_id})
    if answer.status_code != 200:
        advice = (
            server_fault_advice(answer, "GenerateToken")
            if answer.status_code >= 500
            else "the position was served but no token came: see the GenerateToken log group"
        )
        return failed(f"POST /generate_token answered {said(answer)}", advice)
    access = answer.json().get("access_token", "")
    key_document = ctx.public("GET", "/public_key", params={"event_id": ctx.throwaway_event}).json()
    issuer = ctx.deployment.issuer or ""
    verifier = Verifier(keys=KeyCache(lambda: key_document), audience=str(ctx.throwaway_event), issuer=issuer)
    try:
        verifier.verify(access)
    except (InvalidToken, KeysUnavailable) as error:
        if str(error) in ("unknown kid", "InvalidSignatureError"):
            advice = (
                "the tokens are signed with another key than the one /public_key publishes: the "
                "signing secret (JwtKeysSecretArn) and the public key parameter (JwtPublicKeyParameter) "
                "disagree; update the core stack so GenerateKeys writes both again"
            )
        elif str(error) == "InvalidIssuerError":
            advice = (
                f"the token's iss is not TokenIssuer ({issuer}): give the authorizer the core's TokenIssuer"
            )
        else:
            advice = "see the GenerateToken log group"
        return failed(f"the access token does not verify: {error}", advice)
    ctx.access_token = access
    return passed("access, id and refresh tokens; the access token verifies with /public_key")


def protected(ctx: Context) -> Result:
    """The protected URL refuses no token, a tampered one and another event's token."""
    url = ctx.deployment.protected_url
    if not url:
        return skipped("no protected URL: pass --protected-url, or the sample stack with --stack")
    token = str(ctx.access_token)
    head, payload, signature = token.split(".")
    # One character of the signature changed: the same claims, a signature that cannot verify.
    tampered = f"{head}.{payload}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    refusals = {
        "no token": {},
        "a tampered token": {"Authorization": f"Bearer {tampered}"},
        "a genuine token of another event": {"Authorization": f"Bearer {token}"},
    }
    let_in = []
    for what, headers in refusals.items():
        answer = ctx.http.get(url, headers=headers, timeout=ctx.options.http_timeout)
        if answer.status_code not in (401, 403):
            let_in.append(f"{what}: {answer.status_code}")
    if let_in:
        return failed(
            f"{url} let in {', '.join(let_in)}",
            "attach the Authorizer stack's AuthorizerArn as a TOKEN authorizer to every route "
            "(DEPLOY.md, 'Protecting your own API'), with the core's EventId and TokenIssuer",
        )
    return passed(
        f"{url} refuses no token, a tampered one and the throw-away event's (its audience is another event)"
    )


# -- CloudFront ----------------------------------------------------------------------------------------


def _second_read_missed(ctx: Context, base: str) -> str | None:
    """Two GET /serving_num of the throw-away event on `base`: the X-Cache of a second that is no hit."""
    url, params = base + "/serving_num", {"event_id": ctx.throwaway_event}
    ctx.http.get(url, params=params, timeout=ctx.options.http_timeout)
    second = ctx.http.get(url, params=params, timeout=ctx.options.http_timeout).headers.get("X-Cache")
    # CloudFront says "Hit from cloudfront", or "RefreshHit ..." when it revalidated a kept copy.
    return None if "Hit" in (second or "") else repr(second)


def cdn_cache(ctx: Context) -> Result:
    """CloudFront keeps a second GET /serving_num (on both distributions) and never keeps an error."""
    bases = {"PublicApiUrl": ctx.deployment.public_api}
    if ctx.deployment.public_reads:
        bases["PublicReadsUrl"] = ctx.deployment.public_reads
    missed = {name: x_cache for name, base in bases.items() if (x_cache := _second_read_missed(ctx, base))}
    if missed:
        return failed(
            "the second GET /serving_num was no hit: "
            + ", ".join(f"{name} X-Cache {x_cache}" for name, x_cache in missed.items()),
            "the distribution's cache behaviour for /serving_num must use the wiring table's cache "
            "policy (DEPLOY.md pre-flight 7): redeploy the core stack",
        )
    bad = {"event_id": ctx.throwaway_event, "request_id": "not-a-request-id"}
    if ctx.deployment.public_reads:
        reads = ctx.deployment.public_reads
        answers = {
            "GET /queue_num": ctx.http.get(
                reads + "/queue_num", params=bad, timeout=ctx.options.http_timeout
            ),
            "POST /assign_queue_num": ctx.http.post(
                reads + "/assign_queue_num",
                json={"event_id": ctx.throwaway_event},
                timeout=ctx.options.http_timeout,
            ),
        }
        answered = {what: a.status_code for what, a in answers.items() if a.status_code != 403}
        if answered:
            return failed(
                f"PublicReadsUrl answered {answered}, not 403",
                "the reads distribution must serve the shared cached reads only, GET and HEAD "
                "(DEPLOY.md pre-flight 15): redeploy the core stack",
            )
    errors = [ctx.public("GET", "/queue_num", params=bad) for _ in range(2)]
    kept = [e for e in errors if "Hit" in e.headers.get("X-Cache", "")]
    if any(e.status_code != 400 for e in errors) or kept:
        return failed(
            f"a bad GET /queue_num answered {[e.status_code for e in errors]}, "
            f"X-Cache {[e.headers.get('X-Cache') for e in errors]}",
            "errors must carry Cache-Control: no-store and never be a hit: check the public API's "
            "gateway responses and the distribution's error caching",
        )
    refusal = "; PublicReadsUrl refuses the rest" if ctx.deployment.public_reads else ""
    return passed(f"second /serving_num a hit on {' and '.join(bases)}; a 400 never kept{refusal}")


def origin_lock(ctx: Context) -> Result:
    """The public API's own execute-api address refuses whoever is not CloudFront."""
    if ctx.deployment.origin_url is None:
        return skipped(
            "vwr local has no origin behind its CDN" if ctx.deployment.local else "no public RestApi"
        )
    answer = ctx.http.get(
        ctx.deployment.origin_url + "/serving_num",
        params={"event_id": ctx.throwaway_event},
        timeout=ctx.options.http_timeout,
    )
    if answer.status_code != 403:
        return failed(
            f"the execute-api address answered {answer.status_code}, not 403",
            "every public method must require the origin API key that only CloudFront sends "
            "(DEPLOY.md pre-flight 7)",
        )
    return passed("execute-api address answers 403 to callers other than CloudFront")


def waf(ctx: Context) -> Result:
    """The WAF web ACL is attached to the public distribution when EnableWaf is on."""
    deployment = ctx.deployment
    if deployment.local:
        return skipped("vwr local has no CloudFront distribution (--waf imitates the entry rate rule only)")
    if not deployment.waf_enabled:
        return passed("EnableWaf is false: no web ACL expected")
    if deployment.distribution_id is None:
        return failed("the core stack has no CloudFront distribution", "redeploy the core stack")
    config = deployment.client("cloudfront").get_distribution_config(Id=deployment.distribution_id)
    web_acl = config["DistributionConfig"].get("WebACLId", "")
    if not web_acl:
        return failed(
            f"distribution {deployment.distribution_id} has no web ACL although EnableWaf is true",
            "see the CdnWebAcl event of the core stack and `aws wafv2 list-web-acls --scope CLOUDFRONT "
            "--region us-east-1` (DEPLOY.md pre-flight 12)",
        )
    return passed(f"web ACL {web_acl.rsplit('/', 2)[-2] if '/' in web_acl else web_acl} attached")


# -- events ----------------------------------------------------------------------------------------------


def outbox(ctx: Context) -> Result:
    """The outbox function is Active and its event source mappings (the tables' streams) Enabled."""
    if ctx.deployment.outbox_mappings is None or ctx.deployment.outbox_function is None:
        return skipped(
            "vwr local polls the streams itself (no Lambda event source mappings); the bus check covers it"
        )
    client = ctx.deployment.client("lambda")
    state = client.get_function_configuration(FunctionName=ctx.deployment.outbox_function)["State"]
    states = {
        uuid: client.get_event_source_mapping(UUID=uuid)["State"] for uuid in ctx.deployment.outbox_mappings
    }
    stopped = {uuid: mapping for uuid, mapping in states.items() if mapping != "Enabled"}
    if state != "Active" or not states or stopped:
        return failed(
            f"outbox function {state}; mappings not enabled: {stopped or 'none found'}",
            "`aws lambda get-event-source-mapping --uuid <uuid>` shows StateTransitionReason and "
            "LastProcessingResult; a mapping that cannot read its stream points at the function's "
            "role (DEPLOY.md pre-flight 4)",
        )
    return passed(f"outbox function Active, {len(states)} stream mappings Enabled")


def bus_listener(ctx: Context) -> Result:
    """A temporary rule and queue on the bus catch the throw-away event's token_generated."""
    bus = ctx.deployment.event_bus
    if bus is None:
        return skipped("no event bus")
    name = f"{ctx.throwaway_event}-bus"
    sqs, events = ctx.deployment.client("sqs"), ctx.deployment.client("events")
    url = sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "300"})["QueueUrl"]
    ctx.cleanup.append(Removal(f"delete the queue {name}", lambda: sqs.delete_queue(QueueUrl=url)))
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": [EVENT_SOURCE],
        "detail-type": ["token_generated"],
        "detail": {"event_id": [ctx.throwaway_event]},
    }
    rule_arn = events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))["RuleArn"]

    def remove_rule() -> None:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=["verify"])
        events.delete_rule(Name=name, EventBusName=bus)

    ctx.cleanup.append(Removal(f"delete the rule {name}", remove_rule))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "verify", "Arn": arn}])
    ctx.bus_queue_url = url
    return passed(f"temporary rule and queue {name} (deleted at the end)")


def bus_delivery(ctx: Context) -> Result:
    """token_generated for the throw-away visitor reached the bus."""
    sqs = ctx.deployment.client("sqs")
    started = time.monotonic()
    while time.monotonic() - started < ctx.options.event_timeout:
        messages = sqs.receive_message(
            QueueUrl=ctx.bus_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            detail = json.loads(message["Body"]).get("detail", {})
            if detail.get("request_id") == ctx.request_id:
                return passed(f"token_generated on the bus after {time.monotonic() - started:.1f} s")
        ctx.progress(f"waiting for token_generated on the bus... {time.monotonic() - started:.0f} s")
    return failed(
        f"no token_generated within {ctx.options.event_timeout:.0f} s",
        "the outbox function carries the tokens table's stream to the bus: see the outbox line, "
        "its logs and the outbox alarms; on AWS, the AWS/Events PutEvents metric of the bus "
        "(DEPLOY.md pre-flight 4)",
    )


# -- alarms and dead letters -------------------------------------------------------------------------------


def dead_letters(ctx: Context) -> Result:
    """The entry queue's dead-letter queue is empty."""
    url = ctx.deployment.dead_letter_queue_url
    if url is None:
        return skipped("no dead-letter queue found")
    attributes = ctx.deployment.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    count = int(attributes["ApproximateNumberOfMessages"])
    if count:
        return failed(
            f"{count} entries in the dead-letter queue",
            "entries the worker failed five times: read them (`aws sqs receive-message`) and the "
            "QueueWorker log group; purge the queue once understood",
        )
    return passed("empty")


def alarms(ctx: Context) -> Result:
    """No alarm of the core stack is in ALARM."""
    names = ctx.deployment.alarms
    if names is None:
        return skipped("vwr local has no CloudWatch alarms")
    client = ctx.deployment.client("cloudwatch")
    found = [
        a
        for i in range(0, len(names), 100)
        for a in client.describe_alarms(AlarmNames=names[i : i + 100])["MetricAlarms"]
    ]
    firing = [a["AlarmName"] for a in found if a["StateValue"] == "ALARM"]
    if firing:
        return failed(f"in ALARM: {', '.join(firing)}", "see each alarm's reason in the CloudWatch console")
    return passed(f"{len(found)} alarms, none in ALARM")


def openid(ctx: Context) -> Result:
    """The OpenID adapter's discovery document names its issuer exactly."""
    issuer = ctx.deployment.oidc_issuer
    if issuer is None:
        return skipped("no OpenId stack given")
    answer = ctx.http.get(issuer + "/.well-known/openid-configuration", timeout=ctx.options.http_timeout)
    found = answer.json().get("issuer") if answer.status_code == 200 else None
    if found != issuer:
        return failed(
            f"discovery answered {answer.status_code} with issuer {found!r}, not {issuer!r}",
            "the OpenId stack's PublicApiUrl/issuer settings (DEPLOY.md pre-flight 11)",
        )
    return passed("discovery document's issuer is OidcIssuer")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    run: Callable[[Context], Result]
    # Checks that must have passed first; otherwise this one is skipped, naming them.
    needs: tuple[str, ...] = ()


CHECKS: tuple[Check, ...] = (
    Check("stacks", "stacks complete, documented outputs", stacks),
    Check("private-api", "private API: IAM only", private_api),
    Check("cache", "functions reach the cache", cache, ("private-api",)),
    Check("event", "throw-away event created", throwaway_event, ("private-api",)),
    Check("public-key", "signing key published", public_key, ("event",)),
    Check("bus-listener", "temporary bus rule and queue", bus_listener, ("event",)),
    Check("entry", "entry reaches the queue", entry, ("event",)),
    Check("position", "position within the timeout", position, ("entry",)),
    Check("serving", "signed increment serves it", serving, ("position",)),
    Check("tokens", "tokens issued and verified", tokens, ("serving",)),
    Check("protected", "protected URL refuses bad tokens", protected, ("tokens",)),
    Check("bus", "token_generated reached the bus", bus_delivery, ("tokens", "bus-listener")),
    Check("outbox", "outbox function and stream mappings enabled", outbox),
    Check("cdn", "CloudFront caching", cdn_cache, ("event",)),
    Check("origin-lock", "origin refuses all but CloudFront", origin_lock, ("event",)),
    Check("waf", "WAF attached", waf),
    Check("dead-letters", "dead-letter queue empty", dead_letters),
    Check("alarms", "no alarm in ALARM", alarms),
    Check("openid", "OpenID issuer", openid),
    Check("edge", "edge gate", edge),
)

# DEPLOY.md's pre-flight points no check above can prove from outside, read-only.
REMINDERS = (
    "1-3: ElastiCache users, TLS and ports are proven only indirectly (the cache line); "
    "look for REJECT in the VPC flow log once",
    "8: the alarm topic's KMS key: subscribe an e-mail and set one alarm to ALARM by hand",
    "9: the scheduled jobs: Invocations and Errors of MetricsEvent and ExpirySweeper",
    "10: a token of the deployment's own event gets through: open WaitingRoomURL and check out "
    "(the command never enters the real event, and the authorizer admits that event only)",
    "14: after `destroy`, nothing but what 'Tearing down' lists stays",
)

# What a check's failure can raise: AWS and network faults, and answers of an unexpected shape (a
# deployment that answers a list where an object was expected is a failed check, not a traceback).
ERRORS = (
    requests.RequestException,
    BotoCoreError,
    ClientError,
    NoCredentials,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)
