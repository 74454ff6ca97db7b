"""Pricing of a cart from the org's own catalog: the one place that turns what a platform asked
for (items and quantities, discount codes, a shipping destination and option, a buyer) into
priced lines, discounts, fulfillment options, totals, and the messages that say what is missing.

It takes plain dataclasses and returns plain dicts in UCP's checkout vocabulary, so the seed RPC
routes and the standard REST binding share it. Every amount is an integer in the currency's minor
unit; the platform never sets a price.

The order of the computation, which is also the stacking order of discounts:

1. Line subtotals: unit price × quantity.
2. Discount codes, in the order the platform listed them (`priority` 1, 2, ...). Each applies to
   what is left of the goods after the codes before it: a percentage takes `p %` of that amount
   and the remainder is truncated to the minor unit (10OFF then WELCOME20 on 3500 →
   3500 → 3150 → 2520); a fixed amount takes its value, at most what is left. Each code's amount is
   allocated to the lines in proportion to what is left of each (largest remainder), so the
   allocations sum exactly to the amount. Together they are the `items_discount` total.
3. Fulfillment: the `fulfillment` total is what the buyer pays for the selected option. An
   automatic free-shipping promotion waives the cheapest option(s) of the group: a waived option
   is titled "… (Free)", keeps the promotion's description, and its own `totals` show the saving
   (subtotal, discount, total 0). When the selected option is waived the `fulfillment` total is
   0 and there is no checkout-level `discount` total (clients read that as "a code applied");
   the waiver is listed in `discounts.applied` as an automatic discount allocated to the
   selected option, whose totals carry the matching `discount` entry. A promotion's
   `min_subtotal` is compared with the goods after item discounts.
4. Tax: `OrgSettings.tax_rate_bps` of (goods after discounts + what the buyer pays for
   shipping), rounded half up to the minor unit, once on the whole order (not per line).
5. Total: subtotal + items_discount + fulfillment + tax, where `items_discount` is negative, as
   UCP 2026-04-08 renders it; `discounts.applied[].amount` stays positive. The entries always
   sum to the total.
"""

from dataclasses import dataclass, field

from catalog.addresses import postal_address_of
from catalog.models import Customer, ShippingRate
from catalog.selectors import (
    addresses_by_public_id,
    discounts_by_code,
    free_shipping_promotions,
    products_by_public_id,
    saved_addresses_of,
    shipping_rates_of,
    stock_of,
)
from checkout.money import allocate, format_minor, percent_of_truncated, tax_on
from orgconfig.models import Org
from ucp import errors

METHOD_PATH = "$.fulfillment.methods[0]"
GROUP_PATH = f"{METHOD_PATH}.groups[0]"
ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "street_address",
    "extended_address",
    "address_locality",
    "address_region",
    "postal_code",
    "address_country",
    "phone_number",
)


@dataclass(frozen=True)
class RequestedLine:
    item_id: str
    quantity: int
    line_id: str | None = None


@dataclass(frozen=True)
class DestinationRequest:
    """A shipping destination: a postal address (UCP field names), or only an `id` that names
    an address in the customer's address book or a destination the session already has."""

    id: str | None = None
    address: dict | None = None


@dataclass(frozen=True)
class FulfillmentRequest:
    """The platform's side of `fulfillment.methods[0]` (one shipping method, one group)."""

    destinations: tuple[DestinationRequest, ...] = ()
    selected_destination_id: str | None = None
    selected_option_id: str | None = None
    # True when the platform sent a shipping method (even without an address yet); False for an
    # empty `methods` list, which clears fulfillment.
    method_chosen: bool = False


@dataclass(frozen=True)
class CartRequest:
    lines: tuple[RequestedLine, ...]
    buyer: dict = field(default_factory=dict)
    discount_codes: tuple[str, ...] = ()
    fulfillment: FulfillmentRequest | None = None


@dataclass
class PricedCart:
    currency: str
    line_items: list[dict]
    totals: list[dict]
    messages: list[dict] = field(default_factory=list)
    discounts: dict = field(default_factory=lambda: {"codes": [], "applied": []})
    fulfillment: dict | None = None

    @property
    def has_errors(self) -> bool:
        return any(m["type"] == "error" for m in self.messages)


def message(
    *, code: str, path: str, content: str, type: str = "error", severity: str = "recoverable"
) -> dict:
    """A checkout message in UCP's shape: what is wrong, where (a JSON path), and how bad.
    Only errors carry a severity."""
    shaped = {"type": type, "code": code, "path": path, "content": content}
    if type == "error":
        shaped["severity"] = severity
    return shaped


def line_id_for(index: int, requested: RequestedLine, taken: set[str]) -> str:
    if requested.line_id and requested.line_id not in taken:
        return requested.line_id
    candidate = f"li_{index + 1}"
    while candidate in taken:
        candidate += "_"
    return candidate


def check_availability(lines, products: dict) -> None:
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


# --- discounts ---------------------------------------------------------------------------------


@dataclass
class DiscountOutcome:
    applied: list[dict]
    per_line: list[int]
    messages: list[dict]


def apply_discount_codes(*, org: Org, codes, subtotals: list[int]) -> DiscountOutcome:
    found = discounts_by_code(org=org, codes=[c.strip() for c in codes])
    remaining = list(subtotals)
    per_line = [0] * len(subtotals)
    applied: list[dict] = []
    warnings: list[dict] = []
    seen: set[str] = set()

    for index, submitted in enumerate(codes):
        path = f"$.discounts.codes[{index}]"
        canonical = submitted.strip().upper()
        discount = found.get(canonical)
        if canonical in seen:
            warnings.append(
                message(
                    type="warning",
                    code="discount_code_already_applied",
                    path=path,
                    content=f"Code {submitted!r} is already applied.",
                )
            )
            continue
        if discount is None:
            warnings.append(
                message(
                    type="warning",
                    code="discount_code_invalid",
                    path=path,
                    content=f"Code {submitted!r} is not a valid discount code.",
                )
            )
            continue
        seen.add(canonical)

        left = sum(remaining)
        if discount.type == discount.Type.PERCENTAGE:
            amount = percent_of_truncated(left, discount.value)
        else:
            amount = max(0, min(discount.value, left))
        parts = allocate(amount, remaining)
        for line_index, part in enumerate(parts):
            remaining[line_index] -= part
            per_line[line_index] += part

        applied.append(
            {
                "code": submitted,
                "title": discount.description or canonical,
                "amount": amount,
                "automatic": False,
                "method": "across",
                "priority": len(applied) + 1,
                "allocations": [
                    {"path": f"$.line_items[{line_index}]", "amount": part}
                    for line_index, part in enumerate(parts)
                    if part
                ],
            }
        )
    return DiscountOutcome(applied=applied, per_line=per_line, messages=warnings)


# --- fulfillment -------------------------------------------------------------------------------


def resolve_destinations(
    *,
    requested: tuple[DestinationRequest, ...],
    customer: Customer | None,
    previous: dict[str, dict],
) -> list[dict]:
    """Destinations with ids and full addresses. Raises InvalidInput naming the field for an id
    that is neither a known destination nor in the address book of `customer` (the customer
    whose address book the checkout may use, see checkout/address_book.py)."""
    book_ids = [
        d.id for d in requested if not d.address and d.id and d.id not in previous and customer
    ]
    book = addresses_by_public_id(customer=customer, public_ids=book_ids) if book_ids else {}

    destinations: list[dict] = []
    taken: set[str] = set()
    for index, destination in enumerate(requested):
        field_path = f"fulfillment.methods[0].destinations[{index}]"
        if destination.address:
            address = {k: v for k, v in destination.address.items() if k in ADDRESS_FIELDS and v}
            country = address.get("address_country", "")
            if len(country) != 2 or not country.isalpha():
                raise errors.InvalidInput.for_field(
                    f"{field_path}.address_country",
                    "a 2-letter ISO 3166-1 country code is required",
                )
            address["address_country"] = country.upper()
            destination_id = destination.id or f"dest_{index + 1}"
        elif destination.id in previous:
            address = {k: v for k, v in previous[destination.id].items() if k != "id"}
            destination_id = destination.id
        elif destination.id and customer is None:
            raise errors.InvalidInput.for_field(
                f"{field_path}.id",
                "an address book id needs a checkout whose customer's address book this org "
                "allows (saved_addresses); send the address",
            )
        elif destination.id in book:
            address = postal_address_of(book[destination.id])
            destination_id = destination.id
        else:
            raise errors.InvalidInput.for_field(
                f"{field_path}.id", f"no address {destination.id!r} in the customer's address book"
            )
        while destination_id in taken:
            destination_id += "_"
        taken.add(destination_id)
        destinations.append({"id": destination_id, **address})
    return destinations


def rates_for_country(rates: list[ShippingRate], country: str) -> list[ShippingRate]:
    """One rate per service level: the country's own row, or else the `default` row."""
    by_level: dict[str, ShippingRate] = {}
    for rate in rates:
        if rate.country_code == ShippingRate.DEFAULT_COUNTRY:
            by_level.setdefault(rate.service_level, rate)
    for rate in rates:
        if rate.country_code.upper() == country:
            by_level[rate.service_level] = rate
    return sorted(by_level.values(), key=lambda rate: (rate.price, rate.public_id))


def free_shipping_promotion(*, org: Org, goods_total: int, item_ids: set[str]):
    """The first active free-shipping promotion the cart qualifies for, or None. A promotion
    with both a minimum and eligible items needs both; eligible items need one such line."""
    for promotion in free_shipping_promotions(org=org):
        conditions = []
        if promotion.min_subtotal is not None:
            conditions.append(goods_total >= promotion.min_subtotal)
        if promotion.eligible_item_ids:
            conditions.append(bool(item_ids & set(promotion.eligible_item_ids)))
        if conditions and all(conditions):
            return promotion
    return None


@dataclass
class FulfillmentOutcome:
    fulfillment: dict | None
    # What the buyer pays for the selected option: its price, or 0 when a promotion waives it.
    charge: int = 0
    # The automatic applied discount of a waived selected option (for `discounts.applied`).
    waiver: dict | None = None
    messages: list[dict] = field(default_factory=list)


def price_fulfillment(
    *,
    org: Org,
    request: FulfillmentRequest | None,
    line_ids: list[str],
    item_ids: set[str],
    goods_total: int,
    customer: Customer | None,
    previous: dict | None,
) -> FulfillmentOutcome:
    rates = shipping_rates_of(org=org)
    if not rates:
        # An org without shipping rates ships nothing (digital goods, pickup arranged apart).
        return FulfillmentOutcome(fulfillment=None)

    offered = offered_destinations(request, customer)
    if (request is None or not request.destinations) and not offered:
        # A platform that chose shipping but has no address yet sees its method echoed (with no
        # destinations), so it knows what to fill in next.
        shell = without_destinations(method_shell(line_ids, [], None))
        methods = [shell] if request is not None and request.method_chosen else []
        return FulfillmentOutcome(
            fulfillment={"methods": methods},
            messages=[
                message(
                    code="missing",
                    path=f"{METHOD_PATH}.destinations",
                    content="A shipping address is required.",
                )
            ],
        )

    previous_destinations = {
        d["id"]: d
        for method in (previous or {}).get("methods", [])
        for d in method.get("destinations", [])
    }
    destinations = offered or resolve_destinations(
        requested=request.destinations, customer=customer, previous=previous_destinations
    )
    selected = select_destination(request, destinations)
    method = method_shell(line_ids, destinations, selected and selected["id"])
    if selected is None:
        return FulfillmentOutcome(
            fulfillment={"methods": [method]},
            messages=[
                message(
                    code="missing",
                    path=f"{METHOD_PATH}.selected_destination_id",
                    content="Choose which of the destinations to ship to.",
                )
            ],
        )

    country = selected["address_country"]
    available = rates_for_country(rates, country)
    promotion = free_shipping_promotion(org=org, goods_total=goods_total, item_ids=item_ids)
    cheapest = min((rate.price for rate in available), default=0)
    waived_ids = {
        rate.public_id for rate in available if promotion and rate.price == cheapest and rate.price
    }
    options = [option_of(rate, rate.public_id in waived_ids, promotion) for rate in available]
    messages: list[dict] = []
    if not options:
        messages.append(
            message(
                code="address_undeliverable",
                path=f"{METHOD_PATH}.destinations",
                content=f"This shop does not ship to {country}.",
            )
        )
    if promotion and waived_ids:
        messages.append(
            message(
                type="info",
                code="free_shipping",
                path=f"{GROUP_PATH}.options",
                content=promotion.description or "Free shipping applies to this order.",
            )
        )

    chosen = next((r for r in available if r.public_id == request.selected_option_id), None)
    if request.selected_option_id and chosen is None and options:
        messages.append(
            message(
                code="invalid",
                path=f"{GROUP_PATH}.selected_option_id",
                content=f"Option {request.selected_option_id!r} is not available for {country}.",
            )
        )
    elif chosen is None and options:
        messages.append(
            message(
                code="missing",
                path=f"{GROUP_PATH}.selected_option_id",
                content="Choose a shipping option.",
            )
        )
    method["groups"] = [
        {
            "id": "group_1",
            "line_item_ids": line_ids,
            "options": options,
            "selected_option_id": chosen.public_id if chosen else None,
        }
    ]

    outcome = FulfillmentOutcome(fulfillment={"methods": [method]}, messages=messages)
    if chosen is not None and chosen.public_id in waived_ids:
        # Allocated to the option whose own totals show the matching `discount` entry.
        option_path = f"{GROUP_PATH}.options[{available.index(chosen)}]"
        outcome.waiver = {
            "title": promotion.description or "Free shipping",
            "amount": chosen.price,
            "automatic": True,
            "method": "across",
            "allocations": [{"path": option_path, "amount": chosen.price}],
        }
    elif chosen is not None:
        outcome.charge = chosen.price
    return outcome


def offered_destinations(request: FulfillmentRequest | None, customer: Customer | None) -> list:
    """The customer's saved addresses, offered as destinations when the platform chose shipping
    without sending any; `customer` is the one whose address book the checkout may use."""
    if request is None or not request.method_chosen or request.destinations or customer is None:
        return []
    return [
        {"id": address.public_id, **postal_address_of(address)}
        for address in saved_addresses_of(customer=customer)
    ]


def select_destination(request: FulfillmentRequest, destinations: list[dict]) -> dict | None:
    if request.selected_destination_id is not None:
        wanted = request.selected_destination_id
        selected = next((d for d in destinations if d["id"] == wanted), None)
        if selected is None:
            raise errors.InvalidInput.for_field(
                "fulfillment.methods[0].selected_destination_id", "no destination has this id"
            )
        return selected
    return destinations[0] if len(destinations) == 1 else None


def method_shell(line_ids: list[str], destinations: list[dict], selected_id: str | None) -> dict:
    return {
        "id": "shipping_1",
        "type": "shipping",
        "line_item_ids": line_ids,
        "destinations": destinations,
        "selected_destination_id": selected_id,
        "groups": [],
    }


def without_destinations(method: dict) -> dict:
    return {key: value for key, value in method.items() if key != "destinations"}


def option_of(rate: ShippingRate, waived: bool, promotion) -> dict:
    """One shipping option. A waived one says so in its title (platforms show titles, and look
    for "Free" there) and shows the saving in its totals: subtotal, discount, total 0."""
    if not waived:
        return {
            "id": rate.public_id,
            "title": rate.title,
            "totals": [
                {"type": "subtotal", "amount": rate.price},
                {"type": "total", "amount": rate.price},
            ],
        }
    return {
        "id": rate.public_id,
        "title": f"{rate.title} (Free)",
        "description": promotion.description or "Free shipping",
        "totals": [
            {"type": "subtotal", "amount": rate.price},
            {"type": "discount", "amount": -rate.price},
            {"type": "total", "amount": 0},
        ],
    }


def previous_fulfillment_request(fulfillment: dict | None) -> FulfillmentRequest | None:
    """The request that produced a stored fulfillment object, so that an update that leaves
    fulfillment out re-prices the same destination and option against the new cart."""
    methods = (fulfillment or {}).get("methods") or []
    if not methods:
        return None
    method = methods[0]
    groups = method.get("groups") or [{}]
    return FulfillmentRequest(
        destinations=tuple(
            DestinationRequest(id=d["id"], address={k: v for k, v in d.items() if k != "id"})
            for d in method.get("destinations", [])
        ),
        selected_destination_id=method.get("selected_destination_id"),
        selected_option_id=groups[0].get("selected_option_id"),
        method_chosen=True,
    )


# --- the whole cart ----------------------------------------------------------------------------


def buyer_messages(buyer: dict, *, email_required: bool) -> list[dict]:
    if buyer.get("email") or not email_required:
        return []
    return [
        message(
            code="missing",
            path="$.buyer.email",
            content="The buyer's email is required to complete the checkout.",
        )
    ]


def price_cart(
    *,
    org: Org,
    request: CartRequest,
    tax_rate_bps: int = 0,
    buyer_email_required: bool = True,
    customer: Customer | None = None,
    previous_fulfillment: dict | None = None,
) -> PricedCart:
    """Prices `request` on the org's catalog. Raises InvalidInput (nothing to save) for unknown
    items, quantities over stock and bad destinations; everything the buyer can still fix comes
    back as `messages`. Costs a fixed number of queries whatever the number of lines."""
    lines = request.lines
    if not lines:
        raise errors.InvalidInput.for_field("line_items", "at least one line item is required")

    products = products_by_public_id(org=org, public_ids=[line.item_id for line in lines])
    check_availability(lines, products)
    currency = cart_currency(products)

    taken: set[str] = set()
    line_ids: list[str] = []
    for index, line in enumerate(lines):
        line_ids.append(line_id_for(index, line, taken))
        taken.add(line_ids[-1])
    subtotals = [products[line.item_id].price * line.quantity for line in lines]
    subtotal = sum(subtotals)

    codes = apply_discount_codes(org=org, codes=request.discount_codes, subtotals=subtotals)
    items_discount = sum(codes.per_line)
    goods_total = subtotal - items_discount

    shipping = price_fulfillment(
        org=org,
        request=request.fulfillment,
        line_ids=line_ids,
        item_ids={line.item_id for line in lines},
        goods_total=goods_total,
        customer=customer,
        previous=previous_fulfillment,
    )
    applied = list(codes.applied)
    if shipping.waiver:
        applied.append({**shipping.waiver, "priority": len(applied) + 1})

    taxable = goods_total + shipping.charge
    tax = tax_on(taxable, tax_rate_bps)
    total = taxable + tax

    line_items = [
        priced_line(line_ids[i], line, products[line.item_id], subtotals[i], codes.per_line[i])
        for i, line in enumerate(lines)
    ]
    totals = [{"type": "subtotal", "amount": subtotal}]
    if items_discount:
        totals.append({"type": "items_discount", "amount": -items_discount})
    if request.fulfillment is not None and shipping.fulfillment and shipping_selected(shipping):
        # What the buyer pays for shipping; a waiver shows in the option's totals, not here.
        totals.append({"type": "fulfillment", "amount": shipping.charge})
    if tax_rate_bps:
        totals.append({"type": "tax", "amount": tax})
    totals.append({"type": "total", "amount": total})

    messages = (
        codes.messages
        + shipping.messages
        + buyer_messages(request.buyer, email_required=buyer_email_required)
    )
    if applied:
        saved = sum(entry["amount"] for entry in applied)
        messages.append(
            message(
                type="info",
                code="discount_applied",
                path="$.discounts.applied",
                content=f"Discounts save {format_minor(saved, currency)}.",
            )
        )
    return PricedCart(
        currency=currency,
        line_items=line_items,
        totals=totals,
        messages=messages,
        discounts={"codes": list(request.discount_codes), "applied": applied},
        fulfillment=shipping.fulfillment,
    )


def shipping_selected(shipping: FulfillmentOutcome) -> bool:
    methods = shipping.fulfillment.get("methods") or []
    groups = methods[0].get("groups") if methods else []
    return bool(groups and groups[0].get("selected_option_id"))


def priced_line(line_id: str, line: RequestedLine, product, subtotal: int, discount: int) -> dict:
    totals = [{"type": "subtotal", "amount": subtotal}]
    if discount:
        totals.append({"type": "items_discount", "amount": -discount})
    totals.append({"type": "total", "amount": subtotal - discount})
    return {
        "id": line_id,
        "item": {"id": product.public_id, "title": product.title, "price": product.price},
        "quantity": line.quantity,
        "totals": totals,
    }
