"""The sample's protected store API: what a visitor reaches once the waiting room lets them in.

Every route sits behind the waiting room's authorizer, so by the time a request gets here API
Gateway has verified the token and put what it learned in `requestContext.authorizer`:
`principalId` (the visitor's request id) and `queue_position`. On AWS those context values arrive
as strings, whatever type the authorizer returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdas.waiting_room.http import HttpError, api_handler, json_body, masked, query, response


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int

    def as_json(self) -> dict[str, Any]:
        return {"sku": self.sku, "name": self.name, "price": self.price_cents / 100}


CATALOG: dict[str, Product] = {
    p.sku: p
    for p in (
        Product("general-admission", "General admission ticket", 4999),
        Product("vip-admission", "VIP ticket with early entry", 14999),
        Product("tour-tshirt", "Tour t-shirt", 2500),
        Product("limited-poster", "Limited-edition poster (numbered)", 1800),
    )
}
# The sample's page may send an empty checkout; it buys one general admission ticket.
DEFAULT_CART = (("general-admission", 1),)
MAX_QUANTITY = 10
MAX_LINES = 20


def _visitor(event: Mapping[str, Any]) -> tuple[str, int | None]:
    """Who is calling, as the authorizer saw it. No authorizer context means no admission."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    principal = authorizer.get("principalId")
    if not isinstance(principal, str) or not principal:
        # Reachable only if the route was wired without the authorizer; fail closed.
        raise HttpError(401, "no waiting room token was verified for this request")
    raw_position = authorizer.get("queue_position")
    try:
        position = int(raw_position) if raw_position not in (None, "") else None
    except (TypeError, ValueError):
        position = None
    return principal, position


def _cart(event: Mapping[str, Any]) -> list[tuple[Product, int]]:
    """The items to buy: `{"items": [{"sku", "quantity"}]}`, or the default cart for an empty body."""
    if event.get("body") in (None, ""):
        return [(CATALOG[sku], quantity) for sku, quantity in DEFAULT_CART]
    items = json_body(event).get("items")
    if items is None:
        return [(CATALOG[sku], quantity) for sku, quantity in DEFAULT_CART]
    if not isinstance(items, list) or not items or len(items) > MAX_LINES:
        raise HttpError(400, f"items must be a list of 1 to {MAX_LINES} entries")
    cart: list[tuple[Product, int]] = []
    for item in items:
        if not isinstance(item, dict):
            raise HttpError(400, "each item must be an object with sku and quantity")
        product = CATALOG.get(item.get("sku")) if isinstance(item.get("sku"), str) else None
        if product is None:
            raise HttpError(400, "unknown sku")
        quantity = item.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise HttpError(400, f"quantity must be an integer from 1 to {MAX_QUANTITY}")
        cart.append((product, quantity))
    return cart


def checkout(event: Mapping[str, Any]) -> dict[str, Any]:
    principal, position = _visitor(event)
    cart = _cart(event)
    # Whole cents, so the total never picks up a binary-float rounding error.
    total_cents = sum(product.price_cents * quantity for product, quantity in cart)
    lines = [
        {**product.as_json(), "quantity": quantity, "subtotal": product.price_cents * quantity / 100}
        for product, quantity in cart
    ]
    return {
        "receipt_id": str(uuid.uuid4()),
        # The request id is the visitor's bearer secret: the receipt shows only its start.
        "request_id": masked(principal),
        "queue_position": position,
        "items": lines,
        "total": total_cents / 100,
        "currency": "USD",
        "message": "Thank you for waiting! Your order is confirmed.",
    }


def search(event: Mapping[str, Any]) -> dict[str, Any]:
    _visitor(event)
    term = query(event).get("q", "").strip().lower()
    if len(term) > 100:
        raise HttpError(400, "q must be at most 100 characters")
    found = [p.as_json() for p in CATALOG.values() if term in p.name.lower() or term in p.sku.lower()]
    return {"query": term, "results": found, "count": len(found)}


def layaway(event: Mapping[str, Any]) -> dict[str, Any]:
    principal, position = _visitor(event)
    cart = _cart(event)
    return {
        "status": "held",
        "layaway_id": str(uuid.uuid4()),
        "request_id": masked(principal),
        "queue_position": position,
        "items": [{"sku": product.sku, "quantity": quantity} for product, quantity in cart],
        "hold_days": 30,
        "message": "Your items are on hold for 30 days.",
    }


# GET is how the retired sample's page calls the store (no body: the default cart); our page POSTs
# an order. Every answer carries the retired store's `"result": "Success"`.
ROUTES = {
    ("GET", "/checkout"): checkout,
    ("POST", "/checkout"): checkout,
    ("GET", "/search"): search,
    ("GET", "/layaway"): layaway,
    ("POST", "/layaway"): layaway,
}


@api_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # `resource` is the route template and carries no stage or custom-domain base path; `path`
    # is the fallback for callers (tests, simple gateways) that set only that.
    route = ROUTES.get((event.get("httpMethod", ""), event.get("resource") or event.get("path") or ""))
    if route is None:
        raise HttpError(404, "no such route")
    return response(200, {"result": "Success", **route(event)})
