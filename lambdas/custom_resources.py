"""CloudFormation custom resources (CDK Provider framework: return the result, the framework replies).

GenerateKeys fills the JWT key secret once; a stack update keeps the key, so tokens already issued
stay valid. It answers the public JWK (`PublicJwk`, every time), which the stack publishes in an
SSM parameter for the functions that must not read the private key. InitializeState creates the
event's counters. Neither deletes anything on Delete (the secret, the parameter and the cache go
with the stack).
"""

import json

from aws_lambda_powertools.utilities import parameters

from lambdas.waiting_room.aws import client
from lambdas.waiting_room.counters import EventCounters
from lambdas.waiting_room.http import logger
from lambdas.waiting_room.keys import generate_key_material, parse_key_material
from lambdas.waiting_room.settings import settings


def _stored_key(secret_id: str) -> dict[str, str] | None:
    try:
        value = json.loads(parameters.get_secret(secret_id, force_fetch=True) or "{}")
    except (json.JSONDecodeError, client("secretsmanager").exceptions.ResourceNotFoundException):
        return None
    return value if isinstance(value, dict) and value.get("kid") else None


def generate_keys_handler(event, context):
    secret_id = event.get("ResourceProperties", {}).get("SecretId") or settings().jwt_secret_id
    data = {"kid": ""}
    if event["RequestType"] in ("Create", "Update"):
        material = _stored_key(secret_id)
        if material is None:
            material = generate_key_material()
            client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(material))
            logger.info("signing key generated", extra={"kid": material["kid"]})
        key = parse_key_material(material)
        data = {"kid": key.kid, "PublicJwk": json.dumps(key.public_jwk, separators=(",", ":"))}
    return {"PhysicalResourceId": f"signing-key:{secret_id}", "Data": data}


def initialize_state_handler(event, context):
    event_id = settings().event_id
    if event["RequestType"] in ("Create", "Update"):
        EventCounters(event_id).initialize()
    return {"PhysicalResourceId": f"state:{event_id}", "Data": {"event_id": event_id}}
