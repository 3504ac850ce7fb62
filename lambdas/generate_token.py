"""POST /generate_token, public and private: tokens for a served visitor.

The private route also takes `issuer` and `validity_period`, which shape this call's token only.
Tokens are bearer secrets: the answer carries `Cache-Control: no-store`, so no browser or proxy keeps one.
"""

from lambdas.waiting_room import audit
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import (
    NO_STORE,
    HttpError,
    api_handler,
    json_body,
    masked,
    optional_int,
    require_request_id,
    response,
)
from lambdas.waiting_room.registry import require_event
from lambdas.waiting_room.tokens import issue, issue_recorded

MAX_VALIDITY_SECONDS = 7 * 24 * 3600


@api_handler
def public_handler(event, context):
    body = json_body(event)
    return response(200, issue(require_event(body), require_request_id(body)), NO_STORE)


@api_handler
def private_handler(event, context):
    body = json_body(event)
    registered = require_event(body)
    event_id = registered.event_id
    request_id = require_request_id(body)
    issuer = body.get("issuer")
    if issuer is not None and (not isinstance(issuer, str) or not issuer or len(issuer) > 512):
        raise HttpError(400, "issuer must be a non-empty string of at most 512 characters")
    validity = optional_int(body, "validity_period", minimum=1, maximum=MAX_VALIDITY_SECONDS)
    tokens, new = issue_recorded(registered, request_id, issuer=issuer, validity_seconds=validity)
    # The token counter moved with this call's claim; read after it, as a concurrent claim may too.
    after = EventCounters(event_id).counter("token_counter")
    audit.record(
        event,
        "generate_token",
        event_id=event_id,
        counter="token_counter",
        before=after - int(new),
        after=after,
        request=masked(request_id),
        new_token=new,
        issuer=issuer,
    )
    return response(200, tokens, NO_STORE)
