"""The events AWS hands to a Lambda function, built the way each AWS service builds them.

One builder per trigger kind of the wiring table: an API Gateway REST (v1) proxy request, an
authorizer request, an SQS batch, an SNS notification, an EventBridge scheduled event and a
CloudFormation custom-resource request (CDK Provider framework). The handlers run on AWS with
these shapes, so the local runtime gives them exactly these shapes and nothing more convenient.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Moto's default account: every ARN the runtime makes names the account moto itself uses.
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class HttpRequest:
    """What the gateway read off the wire, before it becomes a proxy event."""

    method: str
    # The resource path inside the API ("/queue_num"), without the API's prefix.
    path: str
    headers: Sequence[tuple[str, str]]
    query: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str
    host: str


@dataclass(frozen=True)
class Caller:
    """Who API Gateway says called: filled on IAM (SigV4) routes; the authorizer's context is added
    to `requestContext.authorizer` by the gateway once the authorizer has run."""

    access_key: str | None = None
    user_arn: str | None = None


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]] | None:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    # API Gateway sends null, not {}, when there is nothing.
    return grouped or None


def _last(grouped: dict[str, list[str]] | None) -> dict[str, str] | None:
    return {name: values[-1] for name, values in grouped.items()} if grouped else None


def _body(raw: bytes) -> tuple[str | None, bool]:
    """A text body as a string; anything that is not UTF-8 base64-encoded, as API Gateway does."""
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True


def method_arn(region: str, api: str, stage: str, method: str, path: str) -> str:
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api}/{stage}/{method}{path}"


def proxy_event(
    request: HttpRequest,
    *,
    api: str,
    stage: str,
    resource: str,
    request_id: str,
    caller: Caller,
    path_parameters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API (v1) Lambda proxy integration event.

    The stage is named after the API's path prefix, so `https://{domainName}/{stage}{path}` gives
    back the URL the client called, as it does on an execute-api endpoint.
    """
    headers = _multi(request.headers)
    query = _multi(request.query)
    body, is_base64 = _body(request.body)
    now = datetime.now(UTC)
    identity: dict[str, Any] = {
        "sourceIp": request.source_ip,
        "userAgent": (_last(headers) or {}).get("User-Agent"),
        "accessKey": caller.access_key,
        "userArn": caller.user_arn,
        "user": caller.access_key and f"{ACCOUNT_ID}:{caller.access_key}",
        "caller": caller.access_key,
        "accountId": ACCOUNT_ID if caller.access_key else None,
        "cognitoIdentityPoolId": None,
        "cognitoIdentityId": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
    }
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api,
        "domainName": request.host,
        "domainPrefix": request.host.split(".")[0].split(":")[0],
        "extendedRequestId": request_id,
        "httpMethod": request.method,
        "identity": identity,
        "path": f"/{stage}{request.path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourceId": resource,
        "resourcePath": resource,
        "stage": stage,
    }
    return {
        "resource": resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": _last(headers),
        "multiValueHeaders": headers,
        "queryStringParameters": _last(query),
        "multiValueQueryStringParameters": query,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def authorizer_event(proxy: Mapping[str, Any], *, arn: str, kind: str) -> dict[str, Any] | None:
    """The authorizer's event for a request; None when a TOKEN authorizer has no token to look at.

    TOKEN: the `Authorization` header alone (API Gateway answers 401 without invoking the
    authorizer when it is missing); REQUEST: the request's headers and query.
    """
    if kind == "TOKEN":
        headers = {name.lower(): value for name, value in (proxy["headers"] or {}).items()}
        token = headers.get("authorization")
        return None if not token else {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
    return {
        "type": "REQUEST",
        "methodArn": arn,
        "resource": proxy["resource"],
        "path": proxy["path"],
        "httpMethod": proxy["httpMethod"],
        "headers": proxy["headers"],
        "multiValueHeaders": proxy["multiValueHeaders"],
        "queryStringParameters": proxy["queryStringParameters"],
        "multiValueQueryStringParameters": proxy["multiValueQueryStringParameters"],
        "pathParameters": proxy["pathParameters"],
        "stageVariables": None,
        "requestContext": {k: v for k, v in proxy["requestContext"].items() if k != "authorizer"},
    }


def sqs_event(messages: Sequence[Mapping[str, Any]], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The batch a Lambda SQS event source mapping passes to its function."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {
                    name: {
                        "stringValue": value.get("StringValue"),
                        "binaryValue": value.get("BinaryValue"),
                        "stringListValues": [],
                        "binaryListValues": [],
                        "dataType": value.get("DataType"),
                    }
                    for name, value in message.get("MessageAttributes", {}).items()
                },
                "md5OfBody": message.get("MD5OfBody"),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def sns_event(envelope: Mapping[str, Any], *, subscription_arn: str) -> dict[str, Any]:
    """The event SNS passes to a subscribed function: one record per notification.

    `envelope` is the notification as SNS delivers it to an SQS subscriber (not raw), which carries
    every field the Lambda record has.
    """
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Timestamp": envelope.get("Timestamp"),
                    "Signature": envelope.get("Signature", ""),
                    "SigningCertUrl": envelope.get("SigningCertURL", ""),
                    "MessageId": envelope.get("MessageId"),
                    "Message": envelope.get("Message"),
                    "MessageAttributes": dict(envelope.get("MessageAttributes") or {}),
                    "Type": envelope.get("Type", "Notification"),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", ""),
                    "TopicArn": envelope.get("TopicArn"),
                    "Subject": envelope.get("Subject"),
                },
            }
        ]
    }


def scheduled_event(*, rule_arn: str, region: str) -> dict[str, Any]:
    """What an EventBridge schedule rule sends to its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def custom_resource_event(
    *, resource_type: str, logical_id: str, properties: Mapping[str, Any], region: str
) -> dict[str, Any]:
    """A CloudFormation Create request as the CDK Provider framework hands it to `onEvent`."""
    stack_id = f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/vwr-local/{uuid.uuid4()}"
    return {
        "RequestType": "Create",
        "ServiceToken": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{logical_id}",
        "ResponseURL": "",
        "StackId": stack_id,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": {
            "ServiceToken": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{logical_id}",
            **properties,
        },
    }
