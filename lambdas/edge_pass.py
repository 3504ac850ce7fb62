"""POST /edge_pass (public): a served visitor's way back through the edge gate, with its pass.

Body `{event_id, request_id, return_to, return_sig}`: the address and signature the gate put in
the waiting room's link. 200 `{"location", "expires_in"}`; 202 not served yet; 400 an address the
gate did not sign; 404/410 as for tokens. The pass is a bearer secret: no-store.
"""

from lambdas.waiting_room.edge_pass import issue_pass
from lambdas.waiting_room.http import (
    NO_STORE,
    HttpError,
    api_handler,
    json_body,
    require_request_id,
    response,
)
from lambdas.waiting_room.registry import require_event


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise HttpError(400, f"{name} is required")
    return value


@api_handler
def handler(event, context):
    body = json_body(event)
    registered = require_event(body)
    request_id = require_request_id(body)
    answer = issue_pass(registered, request_id, _text(body, "return_to"), _text(body, "return_sig"))
    return response(200, answer, NO_STORE)
