"""Request builders and checks shared by the checkout tests."""

import re

from django.utils import timezone

from checkout.pricing import DestinationRequest, FulfillmentRequest, RequestedLine
from checkout.services import checkout_complete, checkout_create

BUYER = {"email": "john.doe@example.com", "first_name": "John", "last_name": "Doe"}
US_ADDRESS = {
    "street_address": "123 Main St",
    "address_locality": "Springfield",
    "address_region": "IL",
    "postal_code": "62704",
    "address_country": "US",
}
DE_ADDRESS = {
    "street_address": "Unter den Linden 1",
    "address_locality": "Berlin",
    "postal_code": "10117",
    "address_country": "DE",
}
SUCCESS_CARD = {
    "id": "instr_1",
    "handler_id": "mock_payment_handler",
    "type": "card",
    "brand": "Visa",
    "last_digits": "1234",
    "credential": {"type": "token", "token": "success_token"},
}


def raw_card_credential(number: str, **fields) -> dict:
    """A raw card credential (no token), as the conformance suite sends one."""
    return {
        "type": "card",
        "card_number_type": "fpan",
        "number": number,
        "expiry_month": 12,
        "expiry_year": timezone.now().year + 4,
        "cvc": "123",
        "name": "John Doe",
        **fields,
    }


FAILING_CARD = {
    **SUCCESS_CARD,
    "id": "instr_fail",
    "credential": {"type": "token", "token": "fail_token"},
}


# Service-level twin of `shipping(option_id="std-ship")`: an org with shipping rates (every
# org with the flower_shop catalog) only completes a session that has a destination and a
# selected option.
US_STANDARD_SHIPPING = FulfillmentRequest(
    destinations=(DestinationRequest(address=US_ADDRESS),), selected_option_id="std-ship"
)


def place_order(platform, *, item="bouquet_roses", quantity=1, buyer=BUYER):
    """Creates and completes a shippable session on `platform` through the services (payment
    handler `none`, the default when the org configures none); returns the order."""
    session = checkout_create(
        platform=platform,
        lines=[RequestedLine(item_id=item, quantity=quantity)],
        buyer=buyer,
        fulfillment=US_STANDARD_SHIPPING,
    )
    return checkout_complete(session=session).order


def cart(*lines, **extra) -> dict:
    return {"line_items": [{"item": {"id": i}, "quantity": q} for i, q in lines], **extra}


def shipping(option_id=None, address=None) -> dict:
    method = {"type": "shipping", "destinations": [address or US_ADDRESS]}
    if option_id:
        method["groups"] = [{"selected_option_id": option_id}]
    return {"fulfillment": {"methods": [method]}}


def codes(*values) -> dict:
    return {"discounts": {"codes": list(values)}}


def pay(card=SUCCESS_CARD) -> dict:
    return {"payment": {"instruments": [card]}}


def totals_of(data) -> dict:
    return {entry["type"]: entry["amount"] for entry in data["totals"]}


def node_at(data, path: str):
    """The object a simple JSONPath (`$.line_items[0]`, `$.fulfillment.methods[0].groups[0]...`)
    points at."""
    node = data
    for name, index in re.findall(r"\.(\w+)(?:\[(\d+)\])?", path):
        node = node[name]
        if index:
            node = node[int(index)]
    return node


def options_of(data) -> list[dict]:
    return [
        option
        for method in (data.get("fulfillment") or {}).get("methods") or []
        for group in method.get("groups") or []
        for option in group.get("options") or []
    ]


def assert_totals_add_up(data) -> None:
    """UCP's rendering contract: the non-total entries sum to the total, in the stated order; the
    same holds for every line and shipping option; and every discount allocation lands on an
    object (a line, an option) whose own totals show that much discount."""
    entries = data["totals"]
    order = ["subtotal", "items_discount", "discount", "fulfillment", "tax", "total"]
    assert [e["type"] for e in entries] == [t for t in order if t in totals_of(data)]
    assert sum(e["amount"] for e in entries[:-1]) == entries[-1]["amount"]
    for part in data["line_items"] + options_of(data):
        assert sum(e["amount"] for e in part["totals"][:-1]) == part["totals"][-1]["amount"]
    line_discounts = sum(
        -e["amount"]
        for line in data["line_items"]
        for e in line["totals"]
        if e["type"] == "items_discount"
    )
    assert line_discounts == -totals_of(data).get("items_discount", 0)

    allocated: dict[str, int] = {}
    for applied in data["discounts"]["applied"]:
        assert sum(a["amount"] for a in applied["allocations"]) == applied["amount"]
        for allocation in applied["allocations"]:
            path = allocation["path"]
            allocated[path] = allocated.get(path, 0) + allocation["amount"]
    for path, amount in allocated.items():
        shown = -sum(
            e["amount"]
            for e in node_at(data, path)["totals"]
            if e["type"] in ("items_discount", "discount")
        )
        assert shown == amount, path
