"""The public distribution's web ACL, in us-east-1 whatever the stack's region (custom resource).

A web ACL for CloudFront can only be created in us-east-1 (AWS WAF developer guide, "Resources
that you can protect"), while CloudFormation creates a stack's resources in the stack's region.
This handler runs in the stack's region and calls WAF's us-east-1 endpoint, so one template
protects its distribution in every region and the WAF parameters keep working as parameters.
The CDK provider framework turns the returned value into the CloudFormation answer.

Properties: `Name`, and the web ACL as the WAF API takes it (`DefaultAction`, `VisibilityConfig`,
`Rules`, `CustomResponseBodies`, `Description`). The physical id is the web ACL's ARN, which the
distribution's WebACLId takes. CloudFormation passes every property value as a string; they are
turned back into the types the WAF API declares (numbers, booleans) from botocore's model.
"""

from __future__ import annotations

import re
import time
from typing import Any

from lambdas.waiting_room.aws import client
from lambdas.waiting_room.http import logger

REGION = "us-east-1"
SCOPE = "CLOUDFRONT"
ACL_FIELDS = ("DefaultAction", "VisibilityConfig", "Rules", "CustomResponseBodies", "Description")
_ARN = re.compile(r"arn:[\w-]+:wafv2:us-east-1:\d{12}:global/webacl/(?P<name>[\w-]+)/(?P<id>[\w-]+)")
# A deleted distribution lets go of its web ACL a little after CloudFormation sees it deleted.
ASSOCIATED_RETRIES = 20
ASSOCIATED_WAIT_SECONDS = 15.0
# Another writer (the console, a second update) changed the web ACL between our read and write.
LOCK_RETRIES = 5


def waf() -> Any:
    return client("wafv2", region=REGION)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["RequestType"]
    properties = event.get("ResourceProperties", {})
    if request == "Create":
        arn = _create(properties)
    elif request == "Update":
        arn = event["PhysicalResourceId"]
        if properties.get("Name") != event.get("OldResourceProperties", {}).get("Name"):
            # A new name is a new web ACL; CloudFormation then deletes the old one (its old id).
            arn = _create(properties)
        else:
            _update(arn, properties)
    else:
        arn = event["PhysicalResourceId"]
        _delete(arn)
    match = _ARN.fullmatch(arn)
    return {"PhysicalResourceId": arn, "Data": {"Arn": arn, "Id": match["id"] if match else ""}}


def definition(properties: dict[str, Any], operation: str) -> dict[str, Any]:
    """The web ACL's fields from the resource properties, typed as `operation` declares them."""
    shape = waf().meta.service_model.operation_model(operation).input_shape
    fields = {key: properties[key] for key in ACL_FIELDS if key in properties}
    return {key: _typed(value, shape.members[key]) for key, value in fields.items()}


def _typed(value: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        # An unknown member stays as it is, and botocore refuses it with its name.
        return {k: _typed(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_typed(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _typed(v, shape.value) for k, v in value.items()}
    if kind in ("integer", "long") and isinstance(value, str):
        return int(value)
    if kind == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value


def _create(properties: dict[str, Any]) -> str:
    summary = waf().create_web_acl(
        Name=properties["Name"], Scope=SCOPE, **definition(properties, "CreateWebACL")
    )["Summary"]
    logger.info("web ACL created", extra={"arn": summary["ARN"]})
    return summary["ARN"]


def _update(arn: str, properties: dict[str, Any]) -> None:
    name, acl_id = _name_and_id(arn)
    fields = definition(properties, "UpdateWebACL")
    for attempt in range(LOCK_RETRIES):
        lock = waf().get_web_acl(Name=name, Scope=SCOPE, Id=acl_id)["LockToken"]
        try:
            waf().update_web_acl(Name=name, Scope=SCOPE, Id=acl_id, LockToken=lock, **fields)
            logger.info("web ACL updated", extra={"arn": arn})
            return
        except waf().exceptions.WAFOptimisticLockException:
            if attempt == LOCK_RETRIES - 1:
                raise


def _delete(arn: str) -> None:
    if not _ARN.fullmatch(arn):
        return  # the create failed before a web ACL existed: nothing to delete
    name, acl_id = _name_and_id(arn)
    errors = waf().exceptions
    for attempt in range(ASSOCIATED_RETRIES):
        try:
            lock = waf().get_web_acl(Name=name, Scope=SCOPE, Id=acl_id)["LockToken"]
            waf().delete_web_acl(Name=name, Scope=SCOPE, Id=acl_id, LockToken=lock)
            logger.info("web ACL deleted", extra={"arn": arn})
            return
        except errors.WAFNonexistentItemException:
            return  # deleted already (by hand, or by an earlier try)
        except (errors.WAFAssociatedItemException, errors.WAFOptimisticLockException):
            if attempt == ASSOCIATED_RETRIES - 1:
                raise
            time.sleep(ASSOCIATED_WAIT_SECONDS)


def _name_and_id(arn: str) -> tuple[str, str]:
    match = _ARN.fullmatch(arn)
    if match is None:
        raise ValueError(f"not the ARN of a CloudFront web ACL: {arn}")
    return match["name"], match["id"]
