"""Pricing of a cart from the org's own catalog: the one place that turns item ids and quantities
into priced lines, totals and the messages that say what is still missing.

Every amount is an integer in the currency's minor unit. The platform never sets a price.
"""

from dataclasses import dataclass, field

from catalog.selectors import products_by_public_id, stock_of
from orgconfig.models import Org
from ucp import errors


@dataclass(frozen=True)
class RequestedLine:
    item_id: str
    quantity: int
    line_id: str | None = None


@dataclass
class PricedCart:
    currency: str
    line_items: list[dict]
    totals: list[dict]
    messages: list[dict] = field(default_factory=list)


def message(
    *, code: str, path: str, content: str, type: str = "error", severity: str = "recoverable"
) -> dict:
    """A checkout message in UCP's shape: what is wrong, where (a JSON path), and how bad."""
    return {"type": type, "code": code, "path": path, "content": content, "severity": severity}


def line_id_for(index: int, requested: RequestedLine, taken: set[str]) -> str:
    if requested.line_id and requested.line_id not in taken:
        return requested.line_id
    candidate = f"li_{index + 1}"
    while candidate in taken:
        candidate += "_"
    return candidate


def price_line(index: int, requested: RequestedLine, product, taken: set[str]) -> dict:
    subtotal = product.price * requested.quantity
    line_id = line_id_for(index, requested, taken)
    taken.add(line_id)
    return {
        "id": line_id,
        "item": {"id": product.public_id, "title": product.title, "price": product.price},
        "quantity": requested.quantity,
        "totals": [{"type": "subtotal", "amount": subtotal}, {"type": "total", "amount": subtotal}],
    }


def check_availability(lines: list[RequestedLine], products: dict) -> None:
    """Unknown items and quantities beyond stock are the caller's error, named by field."""
    wanted: dict[str, int] = {}
    for index, line in enumerate(lines):
        product = products.get(line.item_id)
        if product is None:
            raise errors.InvalidInput.for_field(
                f"line_items[{index}].item.id", f"unknown item {line.item_id!r}"
            )
        wanted[line.item_id] = wanted.get(line.item_id, 0) + line.quantity
        if wanted[line.item_id] > stock_of(product):
            raise errors.InvalidInput.for_field(
                f"line_items[{index}].quantity",
                f"only {stock_of(product)} of {line.item_id!r} in stock",
            )


def cart_currency(products: dict) -> str:
    currencies = {product.currency for product in products.values()}
    if len(currencies) > 1:
        raise errors.InvalidInput.for_field(
            "line_items", "items are priced in different currencies"
        )
    return currencies.pop()


def price_cart(*, org: Org, lines: list[RequestedLine]) -> PricedCart:
    if not lines:
        raise errors.InvalidInput.for_field("line_items", "at least one line item is required")

    products = products_by_public_id(org=org, public_ids=[line.item_id for line in lines])
    check_availability(lines, products)
    currency = cart_currency(products)

    taken: set[str] = set()
    line_items = [
        price_line(index, line, products[line.item_id], taken) for index, line in enumerate(lines)
    ]
    subtotal = sum(line["totals"][0]["amount"] for line in line_items)
    totals = [{"type": "subtotal", "amount": subtotal}, {"type": "total", "amount": subtotal}]
    return PricedCart(currency=currency, line_items=line_items, totals=totals)


def missing_information(*, buyer: dict) -> list[dict]:
    """Messages for everything a session still needs before it can be completed."""
    missing = []
    if not buyer.get("email"):
        missing.append(
            message(
                code="missing",
                path="$.buyer.email",
                content="The buyer's email is required to complete the checkout.",
            )
        )
    return missing
