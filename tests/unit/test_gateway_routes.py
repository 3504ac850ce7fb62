"""The local gateway finds a route as API Gateway does: a `{parameter}` is one non-empty path
segment, and a literal path wins over a template."""

from __future__ import annotations

import pytest

from local.gateway import _find_route, _route_table

PRIVATE = _route_table()["private"]


@pytest.mark.parametrize(
    ("method", "path", "route", "parameters"),
    [
        ("GET", "/events", "/events", {}),
        ("POST", "/events", "/events", {}),
        ("GET", "/events/spring-2027", "/events/{event_id}", {"event_id": "spring-2027"}),
        ("PATCH", "/events/spring-2027", "/events/{event_id}", {"event_id": "spring-2027"}),
        ("DELETE", "/events/a b", "/events/{event_id}", {"event_id": "a b"}),
    ],
)
def test_a_route_and_its_path_parameters_are_found(method, path, route, parameters) -> None:
    found = _find_route(PRIVATE, method, path)
    assert found is not None
    target, got = found
    assert (target.route.path, target.route.method, got) == (route, method, parameters)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/events/"),  # an empty segment is no event id
        ("GET", "/events/a/b"),  # a parameter is one segment
        ("POST", "/events/spring"),
        ("PUT", "/events/spring"),
        ("PATCH", "/events"),
        ("DELETE", "/events"),
    ],
)
def test_any_other_path_or_method_is_no_route(method: str, path: str) -> None:
    assert _find_route(PRIVATE, method, path) is None
