"""Authorization codes: random, single-use, short-lived, stored only as a hash.

A code is 256 random bits handed to the visitor's browser; the table keeps its SHA-256 under the
catalog's `code` key, so reading the table does not yield redeemable codes. Redeeming deletes the
item and returns what it held in the same call (`ReturnValues=ALL_OLD`): of two concurrent
redemptions exactly one gets the grant. The TTL attribute only tidies the table (DynamoDB deletes
expired items within days), so expiry is also checked when a code is redeemed.
"""

from __future__ import annotations

import hashlib
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


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


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
    """A new code for the grant; the code itself is returned and never stored."""
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
    code = secrets.token_urlsafe(32)
    item: dict[str, Any] = {_KEY: {"S": _hash(code)}, _TTL: {"N": str(grant.expires_at)}}
    for name, value in asdict(grant).items():
        if name == "expires_at" or value is None:
            continue
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    _dynamodb().put_item(
        TableName=codes_table(), Item=item, ConditionExpression=f"attribute_not_exists({_KEY})"
    )
    return code


def redeem(code: str, *, now: float | None = None) -> Grant | None:
    """The grant behind `code`, exactly once; None for an unknown, used or expired code."""
    if not code or len(code) > 256:
        return None
    answer = _dynamodb().delete_item(
        TableName=codes_table(), Key={_KEY: {"S": _hash(code)}}, ReturnValues="ALL_OLD"
    )
    item = answer.get("Attributes")
    if not item:
        return None
    grant = Grant(
        client_id=item["client_id"]["S"],
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
