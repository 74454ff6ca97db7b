"""The checkout state machine: create, replace the cart, complete exactly once, cancel, expire.

One service for every surface that sells (the seed RPC routes today, the UCP REST binding next),
so both price, validate and complete carts the same way. Arguments are plain Python values and
the dataclasses of `checkout.pricing` and `checkout.payments`, never request objects.
"""

import logging

from django.db import transaction
from django.utils import timezone

from catalog.models import Customer
from catalog.selectors import stock_for_update
from catalog.services import inventory_reserve
from checkout.address_book import CustomerBinding, customer_binding, with_saved_ids
from checkout.models import CheckoutSession, CheckoutStatus
from checkout.payments import (
    ChargeContext,
    PaymentDeclined,
    PaymentRequest,
    choose_instrument,
    offered_handlers,
)
from checkout.pricing import (
    CartRequest,
    FulfillmentRequest,
    PricedCart,
    RequestedLine,
    message,
    previous_fulfillment_request,
    price_cart,
)
from orders.services import order_create_from_checkout
from orgconfig.selectors import org_settings
from platforms.models import Platform
from ucp import errors
from ucp.revisions import update_if_revision
from webhooks.services import checkout_event_emit

logger = logging.getLogger(__name__)

OPEN_STATUSES = (
    CheckoutStatus.INCOMPLETE,
    CheckoutStatus.REQUIRES_ESCALATION,
    CheckoutStatus.READY_FOR_COMPLETE,
    CheckoutStatus.COMPLETE_IN_PROGRESS,
)


def status_for(messages: list[dict]) -> str:
    has_errors = any(m["type"] == "error" for m in messages)
    return CheckoutStatus.INCOMPLETE if has_errors else CheckoutStatus.READY_FOR_COMPLETE


def priced_fields(cart: PricedCart, buyer: dict) -> dict:
    """The session columns a pricing writes."""
    return dict(
        status=status_for(cart.messages),
        currency=cart.currency,
        line_items=cart.line_items,
        buyer=buyer,
        discounts=cart.discounts,
        fulfillment=cart.fulfillment,
        totals=cart.totals,
        messages=cart.messages,
    )


def checkout_create(
    *,
    platform: Platform,
    lines: list[RequestedLine],
    buyer: dict | None = None,
    discount_codes: list[str] | None = None,
    fulfillment: FulfillmentRequest | None = None,
    customer: Customer | None = None,
) -> CheckoutSession:
    """Opens a session on the platform's org. `customer` is the customer the platform linked
    (identity linking). Whose address book the session may use (offered destinations, sent
    addresses saved under an id) is the org's `saved_addresses` choice: see address_book.py.

    One transaction: an address saved for this checkout is not kept if pricing refuses it."""
    org = platform.org
    if customer is not None and customer.org_id != org.pk:
        raise errors.NotFound("No such customer.")
    buyer = buyer or {}
    settings = org_settings(org=org)

    with transaction.atomic():
        binding = customer_binding(
            org=org,
            policy=settings.saved_addresses,
            current=CustomerBinding.linked(customer),
            buyer=buyer,
        )
        address_book = binding.address_book(settings.saved_addresses)
        cart = price_cart(
            org=org,
            request=CartRequest(
                lines=tuple(lines),
                buyer=buyer,
                discount_codes=tuple(discount_codes or ()),
                fulfillment=with_saved_ids(fulfillment, address_book=address_book),
            ),
            tax_rate_bps=settings.tax_rate_bps,
            buyer_email_required=settings.buyer_email_required,
            customer=address_book,
        )

        session = CheckoutSession.objects.create(
            org=org,
            platform=platform,
            customer=binding.customer,
            customer_source=binding.source,
            expires_at=timezone.now() + settings.checkout_ttl,
            **priced_fields(cart, buyer),
        )

    logger.info("Checkout created", extra={"org": org.orgcode, "checkout": str(session.guid)})
    return session


class CheckoutExpired(errors.InvalidState):
    """Past `expires_at` and not yet canceled by the expiry task: the session can no longer
    change, as a final one. Its own class so that callers that read an invalid state of
    complete as "not ready yet" (the REST binding) can tell the two apart."""


def ensure_open(session: CheckoutSession, *, allow_expired: bool = False) -> None:
    if session.is_final:
        raise errors.InvalidState(f"The checkout session is {session.status}.")
    if not allow_expired and session.expires_at <= timezone.now():
        raise CheckoutExpired("The checkout session has expired.")


def checkout_update(
    *,
    session: CheckoutSession,
    expected_revision: int,
    lines: list[RequestedLine],
    buyer: dict | None = None,
    discount_codes: list[str] | None = None,
    fulfillment: FulfillmentRequest | None = None,
) -> CheckoutSession:
    """Replaces the cart if the session is still at `expected_revision`, and re-prices it.

    `lines` always replaces the lines. `buyer`, `discount_codes` and `fulfillment` replace what
    the session had when given and keep it when None (an empty code list clears the codes). A
    complete or cancel in between bumps the revision, so it wins, and nothing this update saved
    (a customer, an address) is kept.
    """
    ensure_open(session)
    buyer = session.buyer if buyer is None else buyer
    if discount_codes is None:
        discount_codes = (session.discounts or {}).get("codes", [])
    if fulfillment is None:
        fulfillment = previous_fulfillment_request(session.fulfillment)
    settings = org_settings(org=session.org)

    with transaction.atomic():
        binding = customer_binding(
            org=session.org,
            policy=settings.saved_addresses,
            current=CustomerBinding.of_session(session),
            buyer=buyer,
        )
        address_book = binding.address_book(settings.saved_addresses)
        cart = price_cart(
            org=session.org,
            request=CartRequest(
                lines=tuple(lines),
                buyer=buyer,
                discount_codes=tuple(discount_codes),
                fulfillment=with_saved_ids(fulfillment, address_book=address_book),
            ),
            tax_rate_bps=settings.tax_rate_bps,
            buyer_email_required=settings.buyer_email_required,
            customer=address_book,
            previous_fulfillment=session.fulfillment,
        )

        update_if_revision(
            session,
            expected_revision=expected_revision,
            updated_at=timezone.now(),
            customer=binding.customer,
            customer_source=binding.source,
            **priced_fields(cart, buyer),
        )
    return session


@transaction.atomic
def checkout_cancel(
    *, session: CheckoutSession, expected_revision: int, reason: str = "canceled"
) -> CheckoutSession:
    """Cancels an open session. `reason="expired"` is the expiry task's cancel, which may act on
    a session past its `expires_at`."""
    ensure_open(session, allow_expired=reason == "expired")
    now = timezone.now()
    messages = session.messages
    if reason == "expired":
        messages = [
            message(type="info", code="expired", path="$", content="The checkout session expired.")
        ]
    update_if_revision(
        session,
        expected_revision=expected_revision,
        status=CheckoutStatus.CANCELED,
        messages=messages,
        canceled_at=now,
        updated_at=now,
    )
    checkout_event_emit(session=session, event_type="checkout.canceled")

    logger.info("Checkout canceled", extra={"checkout": str(session.guid), "reason": reason})
    return session


def checkout_expire_if_due(session: CheckoutSession) -> CheckoutSession:
    """The session as a read should show it: one past its `expires_at` that the expiry task has
    not reached yet is canceled now, as the task would cancel it, so a platform polling a session
    sees it expire on time rather than up to a sweep interval later (and never a
    `ready_for_complete` it can no longer complete)."""
    if session.is_final or session.expires_at > timezone.now():
        return session
    try:
        return checkout_cancel(
            session=session, expected_revision=session.revision, reason="expired"
        )
    except (errors.RevisionMismatch, errors.InvalidState):
        # The task, or a request of the platform, changed it first: show what it became.
        session.refresh_from_db()
        return session


def checkout_expire_due(*, now=None, batch_size: int = 500) -> int:
    """Cancels open sessions whose `expires_at` has passed; returns how many. Each goes through
    `checkout_cancel`, so whatever a cancel triggers happens for an expiry too. A session that a
    platform completes or changes meanwhile is left to that request."""
    now = now or timezone.now()
    due = list(
        CheckoutSession.objects.select_related("org", "platform")
        .filter(status__in=OPEN_STATUSES, expires_at__lte=now)
        .order_by("expires_at")[:batch_size]
    )
    expired = 0
    for session in due:
        try:
            checkout_cancel(session=session, expected_revision=session.revision, reason="expired")
            expired += 1
        except (errors.RevisionMismatch, errors.InvalidState):
            continue
    if expired:
        logger.info("Expired checkouts canceled", extra={"count": expired})
    return expired


def out_of_stock_messages(session: CheckoutSession, stock: dict) -> list[dict]:
    wanted: dict[str, int] = {}
    for line in session.line_items:
        wanted[line["item"]["id"]] = wanted.get(line["item"]["id"], 0) + line["quantity"]
    short = []
    for index, line in enumerate(session.line_items):
        item_id = line["item"]["id"]
        on_hand = stock[item_id][1] if item_id in stock else 0
        if wanted[item_id] > on_hand:
            short.append(
                message(
                    code="out_of_stock",
                    path=f"$.line_items[{index}]",
                    content=f"Only {on_hand} of {line['item']['title']!r} left in stock.",
                )
            )
    return short


def checkout_complete(
    *, session: CheckoutSession, payment: PaymentRequest | None = None
) -> CheckoutSession:
    """Turns the session into an order exactly once.

    The session row is locked and re-read first, so of any number of concurrent completes one
    creates the order and the others, once they get the lock, find it completed and return it.
    Under the lock: stock is re-checked with the inventory rows locked, the payment handler
    charges, then stock is taken and the order created, all in one transaction.

    Stock that ran out since the cart was priced makes the session `incomplete` with
    `out_of_stock` messages (InvalidState); a declined payment leaves it `ready_for_complete`
    with a `payment_declined` message (PaymentDeclined, 402). Both outcomes are saved.

    Known limit: the handler runs while the session and stock rows are locked, which is right
    for the mock and `none` handlers; a remote PSP would want an authorize-outside, capture-inside
    split, which a handler can implement behind the same `charge` call.
    """
    with transaction.atomic():
        session = (
            CheckoutSession.objects.select_for_update(of=("self",))
            .select_related("org", "platform")
            .get(pk=session.pk)
        )
        if session.status == CheckoutStatus.COMPLETED:
            return session
        ensure_open(session)
        if session.status != CheckoutStatus.READY_FOR_COMPLETE:
            raise errors.InvalidState(
                "The checkout session is not ready to complete.",
                details={"messages": session.messages},
            )
        settings = org_settings(org=session.org)
        handler, instrument, index = choose_instrument(
            payment=payment, offered=offered_handlers(configured_names=settings.payment_handlers)
        )

        stock = stock_for_update(
            org=session.org, public_ids={line["item"]["id"] for line in session.line_items}
        )
        short = out_of_stock_messages(session, stock)
        if short:
            messages = [m for m in session.messages if m["code"] != "out_of_stock"] + short
            update_if_revision(
                session,
                expected_revision=session.revision,
                status=CheckoutStatus.INCOMPLETE,
                messages=messages,
                updated_at=timezone.now(),
            )
            failure = errors.InvalidState(
                "Some items are no longer in stock.", details={"messages": short}
            )
        else:
            result = handler.charge(
                context=ChargeContext(
                    org_id=session.org_id,
                    checkout_guid=str(session.guid),
                    currency=session.currency,
                    amount=session.total_of("total"),
                ),
                instrument=instrument,
            )
            if not result.declined:
                return complete_paid(session, stock, handler, instrument, result)

            declined = message(
                code="payment_declined",
                path=f"$.payment.instruments[{index or 0}]",
                content=f"{result.reason or 'The payment was declined.'} "
                "Complete the checkout with another payment instrument.",
            )
            update_if_revision(
                session,
                expected_revision=session.revision,
                messages=[m for m in session.messages if m["code"] != "payment_declined"]
                + [declined],
                updated_at=timezone.now(),
            )
            logger.info(
                "Checkout payment declined",
                extra={"checkout": str(session.guid), "handler": handler.handler_id},
            )
            failure = PaymentDeclined(details={"messages": [declined]})
    raise failure


def complete_paid(session, stock, handler, instrument, result) -> CheckoutSession:
    quantities: dict[int, int] = {}
    for line in session.line_items:
        product_pk = stock[line["item"]["id"]][0]
        quantities[product_pk] = quantities.get(product_pk, 0) + line["quantity"]
    inventory_reserve(org=session.org, quantities=quantities)

    used = [{**instrument.public(), **result.display, "selected": True}] if instrument else []
    order_create_from_checkout(
        session=session,
        payment={**(used[0] if used else {}), "handler_id": handler.handler_id},
        payment_status=result.status,
        payment_reference=result.reference,
        product_ids={item_id: pk for item_id, (pk, _) in stock.items()},
    )

    now = timezone.now()
    update_if_revision(
        session,
        expected_revision=session.revision,
        status=CheckoutStatus.COMPLETED,
        messages=[m for m in session.messages if m["type"] != "error"],
        payment={"instruments": used},
        completed_at=now,
        updated_at=now,
    )
    checkout_event_emit(session=session, event_type="checkout.completed")

    logger.info(
        "Checkout completed",
        extra={"checkout": str(session.guid), "handler": handler.handler_id},
    )
    return session
