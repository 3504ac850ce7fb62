"""docs/openapi.yaml describes exactly the public and private routes of the wiring table."""

from __future__ import annotations

from pathlib import Path

import schemathesis
import yaml
from openapi_spec_validator import validate

from lambdas.catalog import ASSIGN_QUEUE_NUM, routes_of

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.yaml"
DOCUMENTED_APIS = ("public", "private")
METHODS = {"get", "post", "put", "patch", "delete"}


def documented_routes() -> set[tuple[str, str]]:
    paths = yaml.safe_load(DOCUMENT.read_text())["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item if method in METHODS}


def catalog_routes() -> set[tuple[str, str]]:
    routes = [ASSIGN_QUEUE_NUM, *(route for api in DOCUMENTED_APIS for route, _ in routes_of(api))]
    return {(route.method, f"/{route.api}{route.path}") for route in routes}


def test_the_document_lists_every_route_of_the_catalog_and_no_other() -> None:
    documented, catalog = documented_routes(), catalog_routes()
    assert catalog - documented == set(), "routes of the catalog missing from docs/openapi.yaml"
    assert documented - catalog == set(), "routes in docs/openapi.yaml that the catalog does not have"


def test_the_document_is_valid_openapi_3() -> None:
    validate(yaml.safe_load(DOCUMENT.read_text()))  # raises on any violation of the specification
    operations = [result.ok() for result in schemathesis.openapi.from_path(DOCUMENT).get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == documented_routes()
