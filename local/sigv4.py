"""IAM authorization of the private API: the SigV4 check API Gateway does before any function runs.

The signature is computed again from the request as received, with botocore's own SigV4 signer
(the same code that signs requests for every AWS SDK for Python), and compared in constant time.
The answers to a refused request are API Gateway's: 403 with its `{"message": ...}` wording.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
# API Gateway refuses a signature dated more than five minutes away from its own clock.
MAX_SKEW = timedelta(minutes=5)

_FIELD = re.compile(r"\s*(Credential|SignedHeaders|Signature)\s*=\s*([^,\s]+)\s*")


class SignatureRejected(Exception):
    """API Gateway would answer 403 with this message."""


@dataclass(frozen=True)
class SignedRequest:
    method: str
    host: str
    # The path and the query exactly as sent (still percent-encoded).
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes


class _Recompute(SigV4Auth):
    """botocore's signer, told to sign exactly the headers the client said it signed.

    botocore leaves some headers out of what it signs itself (User-Agent, for one); a client may
    sign them, and API Gateway then checks them, so the list comes from the request, not from here.
    """

    def __init__(self, credentials: Credentials, region: str, signed: list[str]) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                headers[name] = value
        return headers


def canonical_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query's pairs, decoded as SigV4 decodes them: a `+` is a plus sign, not a space.

    Form decoding (what a web framework's parsed arguments hold) turns `+` into a space, which
    the signer then encodes as %20 where the client signed %2B: a valid signature refused.
    """
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _parse_authorization(value: str) -> dict[str, str]:
    algorithm, _, rest = value.strip().partition(" ")
    fields: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for part in rest.split(","):
            match = _FIELD.fullmatch(part)
            if match:
                fields[match.group(1)] = match.group(2)
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields]
    if missing:
        raise SignatureRejected(
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
            + f" Authorization={value}"
        )
    return fields


def verify(
    request: SignedRequest,
    *,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    now: datetime | None = None,
) -> str:
    """Checks the request's SigV4 signature; returns the caller's access key id.

    Raises `SignatureRejected` with API Gateway's message when the request is not signed, signed
    with other credentials, for another region or service, too long ago, or altered after signing.
    """
    headers = HTTPHeaders()
    for name, value in request.headers:
        headers[name] = value
    authorization = headers.get("Authorization")
    if not authorization:
        raise SignatureRejected("Missing Authentication Token")
    fields = _parse_authorization(authorization)

    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise SignatureRejected(
            f"Credential should be scoped to a valid region, not '{fields['Credential']}'."
        )
    key_id, date, scope_region, service, _ = scope
    if key_id != access_key_id:
        raise SignatureRejected("The security token included in the request is invalid.")
    if scope_region != region:
        raise SignatureRejected(f"Credential should be scoped to a valid region, not '{scope_region}'.")
    if service != SERVICE:
        raise SignatureRejected(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if headers.get("X-Amz-Security-Token"):
        # The local credentials are long-term keys: a session token belongs to someone else.
        raise SignatureRejected("The security token included in the request is invalid.")

    amz_date = headers.get("X-Amz-Date")
    if not amz_date:
        raise SignatureRejected(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    try:
        signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError as error:
        raise SignatureRejected(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from error
    if not amz_date.startswith(date):
        raise SignatureRejected(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            f"HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    now = now or datetime.now(UTC)
    if signed_at < now - MAX_SKEW:
        raise SignatureRejected(
            f"Signature expired: {amz_date} is now earlier than "
            f"{(now - MAX_SKEW).strftime(SIGV4_TIMESTAMP)} ({now.strftime(SIGV4_TIMESTAMP)} - 5 min.)"
        )
    if signed_at > now + MAX_SKEW:
        raise SignatureRejected(
            f"Signature not yet current: {amz_date} is still later than "
            f"{(now + MAX_SKEW).strftime(SIGV4_TIMESTAMP)} ({now.strftime(SIGV4_TIMESTAMP)} + 5 min.)"
        )

    declared_hash = headers.get("X-Amz-Content-SHA256")
    if declared_hash and declared_hash != hashlib.sha256(request.body).hexdigest():
        # The declared hash is what gets signed: it must be the body's, or the body was altered. No
        # `UNSIGNED-PAYLOAD` either: a signature that leaves the body out lets anyone who saw one
        # signed request send any body with it.
        raise SignatureRejected(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )

    signed_names = [name.strip().lower() for name in fields["SignedHeaders"].split(";") if name.strip()]
    if "host" not in signed_names:
        raise SignatureRejected("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")

    aws_request = AWSRequest(
        method=request.method,
        url=f"http://{request.host}{request.raw_path}",
        headers=headers,
        data=request.body,
        params=canonical_pairs(request.raw_query),
    )
    aws_request.context["timestamp"] = amz_date
    signer = _Recompute(Credentials(access_key_id, secret_access_key), region, signed_names)
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise SignatureRejected(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation "
            "for details."
        )
    return key_id
