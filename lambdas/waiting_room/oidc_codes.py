"""Authorization codes: random, single-use, short-lived, one live code per place in line.

A code is `<place>.<secret>`. The place names the visitor's position without being it: a SHA-256
of the client and the request id (the request id is a random UUID, so the hash cannot be turned
back into it). The table keeps one item per place, holding the SHA-256 of the secret, so reading
the table does not yield redeemable codes.

- Issuing a code overwrites the place's item: a new code voids the place's previous unredeemed
  one. A visitor who comes back to /authorize (a reload, a second tab) gets a working code, and a
  place never has two live codes to hand to two parties.
- Redeeming deletes the item on the condition that it holds this code's secret, and returns what
  it held in the same call (`ReturnValues=ALL_OLD`): of two concurrent redemptions exactly one
  gets the grant, and a voided code finds another secret and gets nothing.
- Redeeming also requires the code to be the presenting client's: a code of another client (another
  event's adapter sharing the table) is refused and left alone, so only its own client can use
  or burn it (RFC 6749 4.1.3 binds a code to its client).
- The TTL attribute only tidies the table (DynamoDB deletes expired items within days), so expiry
  is also checked when a code is redeemed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import boto3

from lambdas.catalog import TABLES, Resource
from lambdas.waiting_room.oidc_settings import CODE_LIFETIME_SECONDS, codes_table

_KEY = TABLES[Resource.OIDC_CODES_TABLE].partition_key.name
_TTL = TABLES[Resource.OIDC_CODES_TABLE].ttl_attribute
_SECRET_HASH = "secret_hash"
_CLIENT_ID = "client_id"
_CODE = re.compile(r"([0-9a-f]{64})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class Grant:
    """What a code stands for: who was let in, for which client, under which conditions."""

    client_id: str
    redirect_uri: str
    request_id: str
    scope: str
    code_challenge: str | None
    nonce: str | None
    issued_at: int
    expires_at: int


@cache
def _dynamodb() -> Any:
    return boto3.client("dynamodb")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def place_of(client_id: str, request_id: str) -> str:
    return _sha256(f"oidc-place\0{client_id}\0{request_id}")


def issue(
    *,
    client_id: str,
    redirect_uri: str,
    request_id: str,
    scope: str,
    code_challenge: str | None,
    nonce: str | None,
    now: float | None = None,
) -> str:
    """A new code for the grant, voiding the place's previous one; the code itself is never stored."""
    issued_at = int(time.time() if now is None else now)
    grant = Grant(
        client_id=client_id,
        redirect_uri=redirect_uri,
        request_id=request_id,
        scope=scope,
        code_challenge=code_challenge,
        nonce=nonce,
        issued_at=issued_at,
        expires_at=issued_at + CODE_LIFETIME_SECONDS,
    )
    place, secret = place_of(client_id, request_id), secrets.token_urlsafe(32)
    item: dict[str, Any] = {
        _KEY: {"S": place},
        _SECRET_HASH: {"S": _sha256(secret)},
        _TTL: {"N": str(grant.expires_at)},
    }
    for name, value in asdict(grant).items():
        if name == "expires_at" or value is None:
            continue
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    _dynamodb().put_item(TableName=codes_table(), Item=item)
    return f"{place}.{secret}"


def redeem(code: str, *, client_id: str, now: float | None = None) -> Grant | None:
    """The grant behind `code`, exactly once, for the client it was issued to.

    None for an unknown, voided, used or expired code, and for another client's code.
    """
    match = _CODE.fullmatch(code or "")
    if match is None:
        return None
    place, secret = match.groups()
    dynamodb = _dynamodb()
    try:
        answer = dynamodb.delete_item(
            TableName=codes_table(),
            Key={_KEY: {"S": place}},
            ConditionExpression=f"{_SECRET_HASH} = :secret_hash AND {_CLIENT_ID} = :client_id",
            ExpressionAttributeValues={
                ":secret_hash": {"S": _sha256(secret)},
                ":client_id": {"S": client_id},
            },
            ReturnValues="ALL_OLD",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return None
    item = answer["Attributes"]
    grant = Grant(
        client_id=item[_CLIENT_ID]["S"],
        redirect_uri=item["redirect_uri"]["S"],
        request_id=item["request_id"]["S"],
        scope=item["scope"]["S"],
        code_challenge=item.get("code_challenge", {}).get("S"),
        nonce=item.get("nonce", {}).get("S"),
        issued_at=int(item["issued_at"]["N"]),
        expires_at=int(item[_TTL]["N"]),
    )
    if grant.expires_at <= (time.time() if now is None else now):
        return None
    return grant
