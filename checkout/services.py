"""The checkout state machine: create, replace the cart, complete exactly once, cancel.

One service for every surface that sells (the seed RPC routes today, the UCP REST binding next),
so both price, validate and complete carts the same way.
"""

import logging

from django.db import transaction
from django.utils import timezone

from catalog.models import Product
from catalog.services import inventory_reserve
from checkout.models import CheckoutSession, CheckoutStatus
from checkout.pricing import RequestedLine, missing_information, price_cart
from orders.services import order_create_from_checkout
from orgconfig.selectors import org_settings
from platforms.models import Platform
from ucp import errors
from ucp.revisions import update_if_revision
from webhooks.services import checkout_event_emit

logger = logging.getLogger(__name__)


def status_for(messages: list[dict]) -> str:
    has_errors = any(m["type"] == "error" for m in messages)
    return CheckoutStatus.INCOMPLETE if has_errors else CheckoutStatus.READY_FOR_COMPLETE


def checkout_create(
    *, platform: Platform, lines: list[RequestedLine], buyer: dict
) -> CheckoutSession:
    org = platform.org
    cart = price_cart(org=org, lines=lines)
    messages = cart.messages + missing_information(buyer=buyer)

    session = CheckoutSession.objects.create(
        org=org,
        platform=platform,
        status=status_for(messages),
        currency=cart.currency,
        line_items=cart.line_items,
        buyer=buyer,
        totals=cart.totals,
        messages=messages,
        expires_at=timezone.now() + org_settings(org=org).checkout_ttl,
    )

    logger.info("Checkout created", extra={"org": org.orgcode, "checkout": str(session.guid)})
    return session


def ensure_open(session: CheckoutSession) -> None:
    if session.is_final:
        raise errors.InvalidState(f"The checkout session is {session.status}.")
    if session.expires_at <= timezone.now():
        raise errors.InvalidState("The checkout session has expired.")


def checkout_update(
    *,
    session: CheckoutSession,
    expected_revision: int,
    lines: list[RequestedLine],
    buyer: dict | None,
) -> CheckoutSession:
    """Replaces the whole cart (and the buyer, when given) if the session is still at
    `expected_revision`. A complete or cancel in between bumps the revision, so it wins."""
    ensure_open(session)
    buyer = session.buyer if buyer is None else buyer
    cart = price_cart(org=session.org, lines=lines)
    messages = cart.messages + missing_information(buyer=buyer)

    update_if_revision(
        session,
        expected_revision=expected_revision,
        status=status_for(messages),
        currency=cart.currency,
        line_items=cart.line_items,
        buyer=buyer,
        totals=cart.totals,
        messages=messages,
        updated_at=timezone.now(),
    )
    return session


@transaction.atomic
def checkout_cancel(*, session: CheckoutSession, expected_revision: int) -> CheckoutSession:
    ensure_open(session)
    now = timezone.now()
    update_if_revision(
        session,
        expected_revision=expected_revision,
        status=CheckoutStatus.CANCELED,
        canceled_at=now,
        updated_at=now,
    )
    checkout_event_emit(session=session, event_type="checkout.canceled")

    logger.info("Checkout canceled", extra={"checkout": str(session.guid)})
    return session


def reserved_quantities(session: CheckoutSession) -> dict[int, int]:
    """Units per product pk that completing this session takes from stock."""
    item_ids = {line["item"]["id"] for line in session.line_items}
    pks = dict(
        Product.objects.filter(org=session.org, public_id__in=item_ids).values_list(
            "public_id", "pk"
        )
    )
    quantities: dict[int, int] = {}
    for line in session.line_items:
        pk = pks.get(line["item"]["id"])
        if pk is None:
            raise errors.InvalidState(
                f"Item {line['item']['id']!r} is no longer sold.",
                details={"out_of_stock": [line["item"]["id"]]},
            )
        quantities[pk] = quantities.get(pk, 0) + line["quantity"]
    return quantities


@transaction.atomic
def checkout_complete(*, session: CheckoutSession) -> CheckoutSession:
    """Turns the session into an order exactly once.

    The session row is locked and re-read first, so of any number of concurrent completes one
    creates the order and the others, once they get the lock, find it completed and return it.
    """
    session = (
        CheckoutSession.objects.select_for_update()
        .select_related("org", "platform")
        .get(pk=session.pk)
    )
    if session.status == CheckoutStatus.COMPLETED:
        return session
    ensure_open(session)
    if session.status != CheckoutStatus.READY_FOR_COMPLETE:
        raise errors.InvalidState(
            "The checkout session is not ready to complete.", details={"messages": session.messages}
        )

    inventory_reserve(org=session.org, quantities=reserved_quantities(session))
    payment = {"handler_id": "none", "status": "none"}
    order_create_from_checkout(session=session, payment=payment)

    now = timezone.now()
    update_if_revision(
        session,
        expected_revision=session.revision,
        status=CheckoutStatus.COMPLETED,
        completed_at=now,
        updated_at=now,
    )
    checkout_event_emit(session=session, event_type="checkout.completed")

    logger.info("Checkout completed", extra={"checkout": str(session.guid)})
    return session
