"""GET /public_key: the public JWK that verifies every token of this deployment (from the public
key's own parameter: this function cannot read the private key)."""

from lambdas.waiting_room.http import api_handler, query, response
from lambdas.waiting_room.keys import verifying_key
from lambdas.waiting_room.registry import require_event


@api_handler
def handler(event, context):
    require_event(query(event))
    return response(200, verifying_key().public_jwk)
