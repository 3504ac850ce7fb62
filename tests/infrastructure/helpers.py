"""Small readers of synthesized templates used by several test modules."""

from __future__ import annotations

from typing import Any

from stacks.constructs.function import CATALOG_TAG


def catalog_functions(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> catalog name of every function built from the wiring table."""
    return {
        logical: resource["Metadata"][CATALOG_TAG]
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and CATALOG_TAG in resource.get("Metadata", {})
    }


def by_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def api_routes(template: dict[str, Any]) -> dict[str, set[tuple[str, str, str | None]]]:
    """Catalog API name -> {(method, path, integrated function logical id or integration type)}.

    OPTIONS (CORS preflight) methods are left out: every resource has one and none is a route.
    """
    apis = {
        logical: resource["Properties"]["Name"].rsplit("-", 1)[-1]
        for logical, resource in by_type(template, "AWS::ApiGateway::RestApi").items()
    }
    resources = by_type(template, "AWS::ApiGateway::Resource")

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and "Fn::GetAtt" in ref:  # the API's root resource
            return ""
        logical = ref["Ref"]
        props = resources[logical]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    routes: dict[str, set[tuple[str, str, str | None]]] = {name: set() for name in apis.values()}
    for method in by_type(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        api = apis[props["RestApiId"]["Ref"]]
        routes[api].add((props["HttpMethod"], path_of(props["ResourceId"]), integration_target(props)))
    return routes


def integration_target(method_props: dict[str, Any]) -> str | None:
    integration = method_props.get("Integration", {})
    uri = integration.get("Uri")
    if integration.get("Type") == "AWS_PROXY":
        parts = uri["Fn::Join"][1]
        for part in parts:
            if isinstance(part, dict) and "Fn::GetAtt" in part:
                return part["Fn::GetAtt"][0]
    return integration.get("Type")


def env(template: dict[str, Any], logical: str) -> dict[str, Any]:
    return template["Resources"][logical]["Properties"].get("Environment", {}).get("Variables", {})


def flatten(value: Any) -> str:
    """A CloudFormation value as text (for searching literal pieces such as `*`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(flatten(v) for v in value)
    if isinstance(value, dict):
        if "Fn::Join" in value:
            return flatten(value["Fn::Join"][1])
        if "Ref" in value:
            return "<" + value["Ref"] + ">"
        if "Fn::GetAtt" in value:
            return "<" + ".".join(value["Fn::GetAtt"]) + ">"
        return "".join(flatten(v) for v in value.values())
    return str(value)


def policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for resource in by_type(template, kind).values():
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    for resource in by_type(template, "AWS::IAM::Role").values():
        for policy in resource["Properties"].get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
