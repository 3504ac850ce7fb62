"""GET /public_key: the public JWK that verifies every token of this deployment (from the public
key's own parameter: this function cannot read the private key)."""

from lambdas.waiting_room.http import api_handler, query, require_event_id, response
from lambdas.waiting_room.keys import verifying_key
from lambdas.waiting_room.settings import settings


@api_handler
def handler(event, context):
    require_event_id(query(event), settings().event_id)
    return response(200, verifying_key().public_jwk)
