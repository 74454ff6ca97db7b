"""Between UCP's request and response shapes (both versions) and the checkout service.

Requests are read liberally: unknown and response-only fields (`id`, `currency`, item `title`,
`payment.handlers`) are accepted and ignored, and only what the business acts on is validated.
Responses are built per version: 2026-01-11 has capability arrays, `payment.handlers` and
positive discount totals; 2026-04-08 has capability maps, `ucp.payment_handlers` and negative
discount totals.
"""

from dataclasses import dataclass, field

from django.conf import settings
from rest_framework import serializers

from checkout.api import (
    MAX_CODES,
    MAX_DESTINATIONS,
    BuyerInput,
    DestinationInput,
    LineItemInput,
)
from checkout.models import CheckoutSession, CheckoutStatus
from checkout.pricing import ADDRESS_FIELDS, RequestedLine
from checkout.rest.handlers import payment_handlers_for
from checkout.rest.negotiation import BUSINESS_CAPABILITIES, CHECKOUT, ORDER, Negotiated
from checkout.rest.versions import signed_totals
from orders.snapshots import order_in_version, order_snapshot
from ucp import errors

MAX_LINE_ITEMS = 250
# As the seed routes' DiscountsInput, and the length of a stored code (catalog Discount.code).
MAX_CODE_LENGTH = 100
DESTINATION_FIELD_LIMITS = {
    name: field.max_length for name, field in DestinationInput().fields.items()
}
CONSENT_FIELDS = ("analytics", "preferences", "marketing", "sale_of_data")


class ConsentInput(serializers.Serializer):
    analytics = serializers.BooleanField(required=False)
    preferences = serializers.BooleanField(required=False)
    marketing = serializers.BooleanField(required=False)
    sale_of_data = serializers.BooleanField(required=False)


class UcpBuyerInput(BuyerInput):
    full_name = serializers.CharField(required=False, allow_blank=True, max_length=400)
    consent = ConsentInput(required=False)


class UcpCartInput(serializers.Serializer):
    line_items = serializers.ListField(
        child=LineItemInput(), allow_empty=False, max_length=MAX_LINE_ITEMS
    )
    buyer = UcpBuyerInput(required=False, allow_null=True)
    fulfillment = serializers.DictField(required=False, allow_null=True)
    discounts = serializers.DictField(required=False, allow_null=True)
    payment = serializers.DictField(required=False, allow_null=True)


@dataclass
class CheckoutInput:
    """Everything a create or a full-replacement update asks for. PUT replaces: what is absent
    here is cleared (buyer, fulfillment, discount codes), never kept from before."""

    lines: list[RequestedLine]
    buyer: dict
    fulfillment: dict | None = None
    discount_codes: list[str] = field(default_factory=list)
    payment_instruments: list[dict] = field(default_factory=list)


def validated_body(serializer_class, body) -> dict:
    if not isinstance(body, dict):
        raise errors.InvalidInput("The request body must be a JSON object.")
    serializer = serializer_class(data=body)
    if not serializer.is_valid():
        fields = {name: [str(p) for p in problems] for name, problems in flat(serializer.errors)}
        first = next(iter(fields.items()), ("body", ["invalid"]))
        raise errors.InvalidInput(f"{first[0]}: {first[1][0]}", details={"fields": fields})
    return serializer.validated_data


def flat(tree, prefix=""):
    """DRF's nested error tree as (`line_items[0].quantity`, [problems]) pairs."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            name = (
                f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else key
            )
            yield from flat(value, name)
    elif (
        isinstance(tree, list) and tree and not isinstance(tree[0], (str, serializers.ErrorDetail))
    ):
        for index, value in enumerate(tree):
            yield from flat(value, f"{prefix}[{index}]")
    else:
        yield prefix or "body", tree if isinstance(tree, list) else [tree]


def buyer_from(data: dict) -> dict:
    buyer = dict(data.get("buyer") or {})
    if "consent" in buyer:
        buyer["consent"] = dict(buyer["consent"])
    return buyer


# Card display fields an instrument may carry (at its top level, as 2026-01-11 sends them, or
# in `display`), with the JSON type both releases give them.
DISPLAY_TEXT_FIELDS = (
    "brand",
    "last_digits",
    "description",
    "card_art",
    "rich_text_description",
    "rich_card_art",
)
DISPLAY_NUMBER_FIELDS = ("expiry_month", "expiry_year")


def display_checked(fields: dict, path: str) -> None:
    """The card display fields are stored with the session and its order and shown back to
    every later reader, in either version: a brand that is an object or an expiry month that
    is text would make each of those responses break its schema, so they are refused here."""
    for name in DISPLAY_TEXT_FIELDS:
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise errors.InvalidInput.for_field(f"{path}.{name}", "must be a string")
    for name in DISPLAY_NUMBER_FIELDS:
        value = fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise errors.InvalidInput.for_field(f"{path}.{name}", "must be an integer")


def instrument_checked(instrument: dict, path: str) -> dict:
    """The parts of an instrument the payment service reads must have their types: a display or
    credential that is not an object, or an id that is not a string, is invalid input there."""
    for name in ("display", "credential"):
        if instrument.get(name) is not None and not isinstance(instrument[name], dict):
            raise errors.InvalidInput.for_field(f"{path}.{name}", "must be an object")
    for name in ("id", "handler_id", "type"):
        if instrument.get(name) is not None and not isinstance(instrument[name], str):
            raise errors.InvalidInput.for_field(f"{path}.{name}", "must be a string")
    display_checked(instrument, path)
    display_checked(instrument.get("display") or {}, f"{path}.display")
    return instrument


def instruments_from(body: dict, negotiated: Negotiated) -> list[dict]:
    """The instrument(s) a complete (or an update) carries, in either version's shape."""
    if isinstance(body.get("payment_data"), dict):
        return [instrument_checked(body["payment_data"], "payment_data")]
    payment = body.get("payment") if isinstance(body.get("payment"), dict) else {}
    listed = payment.get("instruments") or []
    if not isinstance(listed, list):
        raise errors.InvalidInput.for_field("payment.instruments", "must be a list")
    instruments = [
        instrument_checked(i, f"payment.instruments[{index}]")
        for index, i in enumerate(listed)
        if isinstance(i, dict)
    ]
    selected = payment.get("selected_instrument_id")
    chosen = [i for i in instruments if i.get("selected") or (selected and i.get("id") == selected)]
    return chosen or instruments


def fulfillment_checked(fulfillment: dict | None) -> dict | None:
    """The lists and ids of `fulfillment.methods` that the checkout service walks must have
    their JSON types; anything else in the object is left to the service."""
    if not fulfillment:
        return fulfillment
    methods = fulfillment.get("methods")
    if methods is None:
        return fulfillment
    if not isinstance(methods, list):
        raise errors.InvalidInput.for_field("fulfillment.methods", "must be a list")
    for index, method in enumerate(methods):
        path = f"fulfillment.methods[{index}]"
        if not isinstance(method, dict):
            raise errors.InvalidInput.for_field(path, "must be an object")
        for name in ("destinations", "groups"):
            if method.get(name) is not None and not isinstance(method[name], list):
                raise errors.InvalidInput.for_field(f"{path}.{name}", "must be a list")
        if len(method.get("destinations") or []) > MAX_DESTINATIONS:
            # As on the seed routes: each destination without an id is matched against (or
            # saved to) the buyer's address book, inside the checkout's transaction.
            raise errors.InvalidInput.for_field(
                f"{path}.destinations", f"at most {MAX_DESTINATIONS} destinations"
            )
        for name in ("selected_destination_id", "type"):
            if method.get(name) is not None and not isinstance(method[name], str):
                raise errors.InvalidInput.for_field(f"{path}.{name}", "must be a string")
        for position, group in enumerate(method.get("groups") or []):
            option = group.get("selected_option_id") if isinstance(group, dict) else None
            if option is not None and not isinstance(option, str):
                raise errors.InvalidInput.for_field(
                    f"{path}.groups[{position}].selected_option_id", "must be a string"
                )
        for position, destination in enumerate(method.get("destinations") or []):
            if not isinstance(destination, dict):
                raise errors.InvalidInput.for_field(
                    f"{path}.destinations[{position}]", "must be an object"
                )
            for name in ("id", *ADDRESS_FIELDS):
                # Pricing reads these as text, and they go on to the order and its webhooks,
                # where every postal address field is a string.
                if destination.get(name) is not None and not isinstance(destination[name], str):
                    raise errors.InvalidInput.for_field(
                        f"{path}.destinations[{position}].{name}", "must be a string"
                    )
                # And of the lengths the seed routes allow: the address is stored with the
                # session, its order and every webhook of that order.
                limit = DESTINATION_FIELD_LIMITS[name]
                if len(destination.get(name) or "") > limit:
                    raise errors.InvalidInput.for_field(
                        f"{path}.destinations[{position}].{name}", f"at most {limit} characters"
                    )
    return fulfillment


def checkout_input_from(body, negotiated: Negotiated) -> CheckoutInput:
    data = validated_body(UcpCartInput, body)
    discounts = data.get("discounts") or {}
    codes = discounts.get("codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise errors.InvalidInput.for_field("discounts.codes", "must be a list of strings")
    # The seed routes' limits: each code sent is echoed in the stored discounts and may add a
    # message, so a body of short codes grew some thirty times into every later read.
    if len(codes) > MAX_CODES:
        raise errors.InvalidInput.for_field("discounts.codes", f"at most {MAX_CODES} codes")
    if any(len(code) > MAX_CODE_LENGTH for code in codes):
        raise errors.InvalidInput.for_field(
            "discounts.codes", f"each code has at most {MAX_CODE_LENGTH} characters"
        )
    return CheckoutInput(
        lines=[
            RequestedLine(
                item_id=line["item"]["id"], quantity=line["quantity"], line_id=line.get("id")
            )
            for line in data["line_items"]
        ],
        buyer=buyer_from(data),
        fulfillment=fulfillment_checked(data.get("fulfillment")),
        discount_codes=codes,
        payment_instruments=instruments_from(body, negotiated),
    )


def shaped_tree(value, version_is_legacy: bool):
    """An extension object (fulfillment, discounts) with every nested `totals` list signed for
    the version and JSON nulls dropped (the schemas type optional fields, never as null)."""
    if isinstance(value, dict):
        return {
            key: signed_totals(item, version_is_legacy)
            if key == "totals" and isinstance(item, list)
            else shaped_tree(item, version_is_legacy)
            for key, item in value.items()
            if item is not None
        }
    if isinstance(value, list):
        return [shaped_tree(item, version_is_legacy) for item in value]
    return value


def capability_block(names, negotiated: Negotiated) -> list | dict:
    if negotiated.legacy:
        return [{"name": name, "version": negotiated.version} for name in names]
    return {name: [{"version": negotiated.version}] for name in names}


def checkout_capabilities(negotiated: Negotiated) -> list[str]:
    """Checkout and the extensions of it that were negotiated: what a checkout response lists
    (the order and catalog capabilities answer on their own routes)."""
    return [
        name
        for name in negotiated.capabilities
        if name == CHECKOUT or BUSINESS_CAPABILITIES[name] == CHECKOUT
    ]


def ucp_block(negotiated: Negotiated, org, *, for_order: bool = False) -> dict:
    names = [ORDER] if for_order else checkout_capabilities(negotiated)
    block = {"version": negotiated.version, "capabilities": capability_block(names, negotiated)}
    if not for_order and not negotiated.legacy:
        block["payment_handlers"] = payment_handlers_for(org, negotiated.version)
    return block


def public_base(request) -> str:
    return (settings.UCP_PUBLIC_BASE_URL or request.build_absolute_uri("/")).rstrip("/")


def order_permalink(request, org, order_guid) -> str:
    return f"{public_base(request)}/ucp/rest/{org.orgcode}/orders/{order_guid}"


# Well-known codes renamed between the releases.
CODES_2026_04 = {"payment_declined": "payment_failed"}
CODES_2026_01 = {"payment_failed": "payment_declined"}


def message_for(message: dict, negotiated: Negotiated) -> dict:
    shaped = {k: v for k, v in message.items() if v not in (None, "")}
    renames = CODES_2026_01 if negotiated.legacy else CODES_2026_04
    if shaped.get("code") in renames:
        shaped["code"] = renames[shaped["code"]]
    if shaped.get("type") != "error":
        shaped.pop("severity", None)
    return shaped


def line_item_out(line: dict, legacy: bool) -> dict:
    item = line["item"]
    shaped_item = {"id": item["id"], "title": item["title"], "price": item["price"]}
    if item.get("image_url"):
        shaped_item["image_url"] = item["image_url"]
    return {
        "id": line["id"],
        "item": shaped_item,
        "quantity": line["quantity"],
        "totals": signed_totals(line.get("totals") or [], legacy),
    }


def session_extension(session, name: str):
    """Fields the checkout service adds for its extensions (fulfillment, discounts, payment),
    already in UCP's vocabulary; absent until that service stores them."""
    value = getattr(session, name, None)
    return value if value not in (None, {}, []) else None


def checkout_out(session: CheckoutSession, negotiated: Negotiated, request) -> dict:
    org = session.org
    legacy = negotiated.legacy
    body = {
        "ucp": ucp_block(negotiated, org),
        "id": str(session.guid),
        "line_items": [line_item_out(line, legacy) for line in session.line_items],
        "status": session.status,
        "currency": session.currency,
        "totals": signed_totals(session.totals, legacy),
        "messages": [message_for(m, negotiated) for m in session.messages or []],
        "links": org_links(org),
        "expires_at": session.expires_at.isoformat().replace("+00:00", "Z"),
    }
    if session.buyer:
        body["buyer"] = buyer_out(session.buyer, legacy)

    payment = dict(session_extension(session, "payment") or {})
    payment.pop("credential", None)
    if legacy:
        payment["handlers"] = payment_handlers_for(org, negotiated.version)
        payment["instruments"] = [
            i for i in payment.get("instruments") or [] if legacy_card_instrument(i)
        ]
        body["payment"] = payment
    elif payment.get("instruments"):
        body["payment"] = {"instruments": payment["instruments"]}

    for extension in ("fulfillment", "discounts"):
        value = session_extension(session, extension)
        if value is not None:
            body[extension] = shaped_tree(value, legacy)
    if extension_discounts := body.get("discounts"):
        body["discounts"] = discounts_out(extension_discounts)

    if session.status == CheckoutStatus.COMPLETED and hasattr(session, "order"):
        body["order"] = {
            "id": str(session.order.guid),
            "permalink_url": order_permalink(request, org, session.order.guid),
        }
    return body


def legacy_card_instrument(instrument: dict) -> bool:
    """Whether 2026-01-11 can show this instrument: that release knows only card instruments,
    which need a string brand and last digits. An instrument paid without them (a token with
    no card details, sent in 2026-04-08 or without display fields) is left out of its
    `payment.instruments` rather than shown in a shape its clients reject; the order keeps it."""
    return (
        instrument.get("type") == "card"
        and isinstance(instrument.get("brand"), str)
        and isinstance(instrument.get("last_digits"), str)
        and all(
            isinstance(instrument.get(name, 0), int) and not isinstance(instrument.get(name), bool)
            for name in DISPLAY_NUMBER_FIELDS
        )
    )


def discounts_out(discounts: dict) -> dict:
    shaped = dict(discounts)
    shaped["applied"] = [
        {**applied, "amount": abs(applied.get("amount", 0))}
        for applied in discounts.get("applied") or []
    ]
    return shaped


def buyer_out(buyer: dict, legacy: bool) -> dict:
    shaped = {k: v for k, v in buyer.items() if v not in (None, "")}
    if not legacy:
        shaped.pop("full_name", None)
    return shaped


def org_links(org) -> list[dict]:
    """Policy links from the org config (terms, privacy, refunds, shipping)."""
    from orgconfig.selectors import policy_links

    return [link for link in policy_links(org=org) if link.get("url")]


def order_out(order, negotiated: Negotiated, request) -> dict:
    """The order snapshot (the one webhooks carry) in the request's version, with the permalink
    of the host the platform called."""
    body = order_in_version(order_snapshot(order), negotiated.version)
    body["permalink_url"] = order_permalink(request, order.org, order.guid)
    return {"ucp": ucp_block(negotiated, order.org, for_order=True), **body}
