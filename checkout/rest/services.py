"""The REST binding's calls into the checkout and order services.

Each function is the one place a REST operation reaches the service layer: the translated
`CheckoutInput` (UCP shapes of either version) becomes the service's own request types here.
"""

import logging
import uuid

from django.db import transaction

from checkout import services
from checkout.models import CheckoutSession
from checkout.payments import PaymentInstrument, PaymentRequest
from checkout.pricing import DestinationRequest, FulfillmentRequest
from checkout.rest.models import RestBinding
from checkout.rest.negotiation import Negotiated
from checkout.rest.translators import CheckoutInput
from orders.models import Order, OrderStatus
from orders.services import order_mark_shipped
from platforms.models import Platform
from ucp import errors
from ucp.ids import parse_guid

logger = logging.getLogger(__name__)

DISPLAY_FIELDS = ("brand", "last_digits", "expiry_month", "expiry_year", "description", "card_art")


def fulfillment_request_from(fulfillment: dict | None):
    """`fulfillment.methods[0]` as the service's request: destinations (addresses, or ids of
    known ones), the selected destination and the selected option of its first group."""
    methods = (fulfillment or {}).get("methods") or []
    method = methods[0] if methods and isinstance(methods[0], dict) else None
    if method is None:
        return None
    destinations = []
    for destination in method.get("destinations") or []:
        if not isinstance(destination, dict):
            continue
        address = {k: v for k, v in destination.items() if k != "id"}
        destinations.append(DestinationRequest(id=destination.get("id"), address=address or None))
    groups = [g for g in method.get("groups") or [] if isinstance(g, dict)]
    return FulfillmentRequest(
        destinations=tuple(destinations),
        method_chosen=True,
        selected_destination_id=method.get("selected_destination_id"),
        selected_option_id=groups[0].get("selected_option_id") if groups else None,
    )


def payment_request_from(instruments: list[dict]):
    if not instruments:
        return None
    chosen = []
    for raw in instruments:
        display = dict(raw.get("display") or {})
        display.update({k: raw[k] for k in DISPLAY_FIELDS if k in raw})
        credential = raw.get("credential") if isinstance(raw.get("credential"), dict) else {}
        chosen.append(
            PaymentInstrument(
                id=str(raw.get("id", "")),
                handler_id=str(raw.get("handler_id", "")),
                type=str(raw.get("type", "card")),
                display=display,
                credential=credential,
            )
        )
    return PaymentRequest(instruments=tuple(chosen))


def extension_arguments(data: CheckoutInput) -> dict:
    return {
        "discount_codes": data.discount_codes,
        "fulfillment": fulfillment_request_from(data.fulfillment),
    }


@transaction.atomic
def rest_checkout_create(
    *, platform: Platform, data: CheckoutInput, negotiated: Negotiated, customer=None
) -> CheckoutSession:
    """`customer` is the buyer an identity-linked token acts for (checkout.rest.auth)."""
    session = services.checkout_create(
        platform=platform,
        lines=data.lines,
        buyer=data.buyer,
        customer=customer,
        **extension_arguments(data),
    )
    RestBinding.objects.create(
        session=session,
        version=negotiated.version,
        agent_profile_url=negotiated.agent.profile_url[:2000]
        if negotiated.agent.profile_url.startswith(("http://", "https://"))
        else "",
        order_webhook_url=negotiated.profile.order_webhook_url,
        capabilities=list(negotiated.capabilities),
    )
    return session


def rest_checkout_update(*, session: CheckoutSession, data: CheckoutInput) -> CheckoutSession:
    """PUT is a full replacement: the buyer sent (or none) replaces the stored one."""
    return services.checkout_update(
        session=session,
        expected_revision=session.revision,
        lines=data.lines,
        buyer=data.buyer,
        **extension_arguments(data),
    )


def rest_checkout_complete(*, session: CheckoutSession, instruments: list[dict]) -> CheckoutSession:
    return services.checkout_complete(session=session, payment=payment_request_from(instruments))


def rest_checkout_cancel(*, session: CheckoutSession) -> CheckoutSession:
    return services.checkout_cancel(session=session, expected_revision=session.revision)


def resource_guid(resource_id: str) -> uuid.UUID | None:
    """The UUID a path id names, or None. UCP ids are opaque to the platform, so an id in
    another format names no resource and is answered as an unknown id is (`not_found`), not as
    invalid input."""
    try:
        return uuid.UUID(resource_id)
    except (TypeError, ValueError):
        return None


def canonical_id(resource_id: str) -> str:
    """The path id as one spelling: uuid.UUID reads upper case, braces and `urn:uuid:` too, and
    an idempotency key retried under another spelling of the same id must replay, not run the
    operation again."""
    guid = resource_guid(resource_id)
    return str(guid) if guid is not None else resource_id


def rest_session_get(*, platform: Platform, session_id: str, customer=None) -> CheckoutSession:
    """The platform's session; with `customer` (a buyer's identity-linked token), only if it is
    that buyer's."""
    guid = resource_guid(session_id)
    if guid is None:
        raise errors.NotFound("No such checkout session.")
    sessions = CheckoutSession.objects.select_related("org", "platform").filter(
        guid=guid, platform=platform, org_id=platform.org_id
    )
    if customer is not None:
        sessions = sessions.filter(customer=customer)
    session = sessions.first()
    if session is None:
        raise errors.NotFound("No such checkout session.")
    return session


def rest_order_get(*, platform: Platform, order_id: str, customer=None) -> Order:
    """The platform's order; with `customer` (a buyer's identity-linked token), only if it is
    that buyer's."""
    guid = resource_guid(order_id)
    if guid is None:
        raise errors.NotFound("No such order.")
    orders = (
        Order.objects.select_related("org", "checkout_session")
        .prefetch_related("lines")
        .filter(guid=guid, platform=platform, org_id=platform.org_id)
    )
    if customer is not None:
        orders = orders.filter(checkout_session__customer=customer)
    order = orders.first()
    if order is None:
        raise errors.NotFound("No such order.")
    return order


class OrderNotShippable(errors.InvalidState):
    """The order service's invalid state, named for an order: the binding's generic mapping of
    an invalid state is `checkout_not_modifiable`, which names the wrong resource here."""

    error_code = "order-not-shippable"


def order_simulate_shipped(*, org, order_id: str) -> Order:
    """Conformance-suite simulation: marks an order shipped through the order service, so the
    fulfillment event is recorded and `order.shipped` goes out as for a real shipment."""
    # The suite's operator reads a malformed id here as their own mistake (400), apart from the
    # 404 of a route that is switched off.
    guid = parse_guid(order_id, "id")
    order = Order.objects.filter(guid=guid, org=org).first()
    if order is None:
        raise errors.NotFound("No such order.")

    with transaction.atomic():
        # The status is read under the order's row lock: concurrent simulations of one order
        # queue here, and each after the first finds it shipped (read unlocked, they all saw it
        # processing, and all but one were refused by the order service with a 409).
        order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
        if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            return order  # the suite may simulate the same shipment again
        try:
            order = order_mark_shipped(order=order, actor="simulation", carrier="simulation")
        except errors.InvalidState as exc:
            raise OrderNotShippable(exc.message, details=exc.details) from None
    logger.info("Order marked shipped by simulation", extra={"order": str(guid)})
    return order
