"""The sample store's routes, called with API Gateway proxy events as the authorizer leaves them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from lambdas import catalog
from lambdas.sample_store import ROUTES, handler

REQUEST_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def event(
    method: str,
    resource: str,
    body: Any = None,
    params: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    # On AWS the authorizer's context values reach the backend as strings.
    context = {"principalId": REQUEST_ID, "queue_position": "42"} if authorizer is None else authorizer
    return {
        "httpMethod": method,
        "resource": resource,
        "path": resource,
        "queryStringParameters": params,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "requestContext": {"authorizer": context},
    }


def call(evt: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = handler(evt, None)
    assert answer["headers"]["Content-Type"] == "application/json"
    assert answer["headers"]["Access-Control-Allow-Origin"] == "*"
    return answer["statusCode"], json.loads(answer["body"])


def test_checkout_with_an_empty_body_buys_the_default_ticket() -> None:
    status, body = call(event("POST", "/checkout"))
    assert status == 200
    uuid.UUID(body["receipt_id"])
    assert body["queue_position"] == 42
    assert body["items"] == [
        {
            "sku": "general-admission",
            "name": "General admission ticket",
            "price": 49.99,
            "quantity": 1,
            "subtotal": 49.99,
        }
    ]
    assert body["total"] == 49.99
    assert body["message"]


def test_checkout_totals_the_cart_in_whole_cents() -> None:
    cart = {"items": [{"sku": "tour-tshirt", "quantity": 3}, {"sku": "limited-poster", "quantity": 1}]}
    status, body = call(event("POST", "/checkout", cart))
    assert status == 200
    assert body["total"] == 93.0  # 3 x 25.00 + 18.00
    assert [line["subtotal"] for line in body["items"]] == [75.0, 18.0]


def test_receipts_do_not_carry_the_full_request_id() -> None:
    answer = handler(event("POST", "/checkout"), None)
    assert REQUEST_ID not in answer["body"]
    assert json.loads(answer["body"])["request_id"] == REQUEST_ID[:8] + "..."


def test_each_checkout_gets_its_own_receipt() -> None:
    first = call(event("POST", "/checkout"))[1]["receipt_id"]
    second = call(event("POST", "/checkout"))[1]["receipt_id"]
    assert first != second


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        {"items": "general-admission"},
        {"items": []},
        {"items": [{"sku": "NOPE", "quantity": 1}]},
        {"items": [{"sku": "general-admission", "quantity": 0}]},
        {"items": [{"sku": "general-admission", "quantity": 11}]},
        {"items": [{"sku": "general-admission", "quantity": True}]},
        {"items": [{"sku": "general-admission", "quantity": 1.5}]},
        {"items": [{"sku": 7}]},
        {"items": ["general-admission"]},
    ],
)
def test_bad_carts_get_a_400(body: Any) -> None:
    status, answer = call(event("POST", "/checkout", body))
    assert status == 400
    assert answer["error"]


def test_search_finds_by_name_and_sku() -> None:
    status, body = call(event("GET", "/search", params={"q": "Ticket"}))
    assert status == 200
    assert {p["sku"] for p in body["results"]} == {"general-admission", "vip-admission"}
    assert body["count"] == 2
    status, body = call(event("GET", "/search"))
    assert status == 200 and body["count"] == 4
    status, body = call(event("GET", "/search", params={"q": "LIMITED-POSTER"}))
    assert [p["sku"] for p in body["results"]] == ["limited-poster"]


def test_search_refuses_an_oversized_query() -> None:
    assert call(event("GET", "/search", params={"q": "x" * 101}))[0] == 400


def test_layaway_holds_the_items() -> None:
    status, body = call(event("POST", "/layaway", {"items": [{"sku": "vip-admission", "quantity": 2}]}))
    assert status == 200
    assert body["status"] == "held"
    assert body["items"] == [{"sku": "vip-admission", "quantity": 2}]
    assert body["queue_position"] == 42


def test_numeric_authorizer_context_is_accepted_too() -> None:
    # The local runtime may pass the authorizer's values through untouched.
    status, body = call(
        event("POST", "/checkout", authorizer={"principalId": REQUEST_ID, "queue_position": 7})
    )
    assert status == 200 and body["queue_position"] == 7


def test_without_an_authorizer_context_the_store_refuses() -> None:
    for context in ({}, {"principalId": ""}):
        status, body = call(event("POST", "/checkout", authorizer=context))
        assert status == 401
        assert body["error"]


def test_unknown_route_and_wrong_method_are_404() -> None:
    assert call(event("POST", "/search"))[0] == 404
    assert call(event("POST", "/admin"))[0] == 404


@pytest.mark.parametrize("path", ["/checkout", "/search", "/layaway"])
def test_the_retired_pages_get_calls_succeed_as_the_retired_store_answered(path: str) -> None:
    # The retired page sends GET {store}/checkout with no body and checks only for 200.
    status, body = call(event("GET", path))
    assert status == 200
    assert body["result"] == "Success"


def test_the_handler_serves_exactly_the_catalogs_store_routes() -> None:
    assert set(ROUTES) == {(r.method, r.path) for r, _ in catalog.routes_of("store")}


def test_options_is_answered_for_cors() -> None:
    assert handler(event("OPTIONS", "/checkout"), None)["statusCode"] == 204


def test_the_waiting_room_pages_default_order_is_accepted() -> None:
    # waiting_room_site/js/app.js sends this order unless its config names another.
    status, body = call(event("POST", "/checkout", {"items": [{"sku": "general-admission", "quantity": 1}]}))
    assert status == 200
    assert body["total"] == 49.99
