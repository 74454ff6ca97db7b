"""Writes for orders: creation by completing a checkout session, and the fulfillment transitions
(shipped, delivered, canceled). Each change emits its webhook event in the same transaction."""

import logging
import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from catalog.models import Product
from catalog.services import inventory_release
from orders.models import Order, OrderLine, OrderStatus
from orders.snapshots import order_snapshot
from orgconfig.audit import audit_record
from ucp import errors
from webhooks.services import event_emit

logger = logging.getLogger(__name__)

# Which states each transition may start from.
SHIPPABLE = (OrderStatus.CONFIRMED,)
DELIVERABLE = (OrderStatus.CONFIRMED, OrderStatus.SHIPPED)
CANCELABLE = (OrderStatus.CONFIRMED,)


def order_event_emit(*, order: Order, event_type: str) -> None:
    """Queues the full order snapshot as `event_type`; call inside the change's transaction."""
    event_emit(org=order.org, event_type=event_type, payload=order_snapshot(order))


def order_create_from_checkout(
    *,
    session,
    payment: dict,
    payment_status: str = "none",
    payment_reference: str = "",
    product_ids: dict[str, int] | None = None,
) -> Order:
    """Creates the order of a session being completed. Runs inside the completion transaction,
    which holds the session's row lock; the unique key on `checkout_session` backs that up.

    `payment` is the instrument used without its credential; `product_ids` (item id → product
    pk) saves a query when the caller already has them. Two queries whatever the line count."""
    order = Order.objects.create(
        org=session.org,
        platform=session.platform,
        checkout_session=session,
        currency=session.currency,
        buyer=session.buyer,
        totals=session.totals,
        discounts=session.discounts,
        fulfillment=session.fulfillment,
        payment=payment,
        payment_handler_id=payment.get("handler_id", ""),
        payment_status=payment_status,
        payment_reference=payment_reference,
    )

    if product_ids is None:
        product_ids = dict(
            Product.objects.filter(
                org=session.org, public_id__in={line["item"]["id"] for line in session.line_items}
            ).values_list("public_id", "pk")
        )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_id=line["id"],
            product_id=product_ids.get(line["item"]["id"]),
            item_id=line["item"]["id"],
            title=line["item"]["title"],
            unit_price=line["item"]["price"],
            quantity=line["quantity"],
            totals=line["totals"],
        )
        for line in session.line_items
    )
    order_event_emit(order=order, event_type="order.created")

    logger.info("Order created", extra={"org": session.org.orgcode, "order": str(order.guid)})
    return order


def order_locked(order: Order, allowed: tuple, action: str) -> Order:
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("org", "checkout_session")
        .get(pk=order.pk)
    )
    if order.status not in allowed:
        raise errors.InvalidState(
            f"An order that is {order.status} cannot be {action}.",
            details={"status": order.status},
        )
    return order


def whole_order_lines(order: Order) -> list[dict]:
    return [{"id": line.line_id, "quantity": line.quantity} for line in order.lines.all()]


def fulfillment_event(order: Order, event_type: str, now, **extra) -> dict:
    event = {
        "id": f"fe_{uuid.uuid4().hex[:16]}",
        "occurred_at": now.isoformat().replace("+00:00", "Z"),
        "type": event_type,
        "line_items": [
            {"id": line.line_id, "quantity": line.quantity} for line in order.lines.all()
        ],
    }
    event.update({key: value for key, value in extra.items() if value})
    return event


def order_transition_finish(*, order: Order, before: str, actor: str, event_type: str) -> Order:
    order.save()
    audit_record(
        org=order.org,
        actor=actor,
        action=event_type,
        target_type="order",
        target_id=str(order.guid),
        before={"status": before},
        after={"status": order.status},
    )
    order_event_emit(order=order, event_type=event_type)
    logger.info("Order %s", order.status, extra={"order": str(order.guid)})
    return order


@transaction.atomic
def order_mark_shipped(
    *,
    order: Order,
    actor: str,
    tracking_number: str = "",
    tracking_url: str = "",
    carrier: str = "",
) -> Order:
    order = order_locked(order, SHIPPABLE, "marked shipped")
    before, now = order.status, timezone.now()
    order.status, order.shipped_at = OrderStatus.SHIPPED, now
    order.fulfillment_events = [
        *order.fulfillment_events,
        fulfillment_event(
            order,
            "shipped",
            now,
            tracking_number=tracking_number,
            tracking_url=tracking_url,
            carrier=carrier,
        ),
    ]
    return order_transition_finish(
        order=order, before=before, actor=actor, event_type="order.shipped"
    )


@transaction.atomic
def order_mark_delivered(*, order: Order, actor: str) -> Order:
    order = order_locked(order, DELIVERABLE, "marked delivered")
    before, now = order.status, timezone.now()
    order.status, order.delivered_at = OrderStatus.DELIVERED, now
    order.shipped_at = order.shipped_at or now
    order.fulfillment_events = [
        *order.fulfillment_events,
        fulfillment_event(order, "delivered", now),
    ]
    return order_transition_finish(
        order=order, before=before, actor=actor, event_type="order.delivered"
    )


@transaction.atomic
def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Cancels an order not yet shipped; the whole amount becomes a cancellation adjustment and
    the units it took at completion go back in stock (nothing has left the shelf yet)."""
    order = order_locked(order, CANCELABLE, "canceled")
    before, now = order.status, timezone.now()

    # Read once: the stock release, the canceled event and the adjustment all list the lines.
    prefetch_related_objects([order], "lines")
    taken = defaultdict(int)
    for line in order.lines.all():
        if line.product_id is not None:
            taken[line.product_id] += line.quantity
    inventory_release(org=order.org, quantities=dict(taken))

    total = next((t["amount"] for t in order.totals if t.get("type") == "total"), 0)
    order.status, order.canceled_at = OrderStatus.CANCELED, now
    order.fulfillment_events = [
        *order.fulfillment_events,
        fulfillment_event(order, "canceled", now, description=reason),
    ]
    adjustment = {
        "id": f"adj_{uuid.uuid4().hex[:16]}",
        "type": "cancellation",
        "occurred_at": now.isoformat().replace("+00:00", "Z"),
        "status": "completed",
        "line_items": [
            {"id": line.line_id, "quantity": line.quantity} for line in order.lines.all()
        ],
        "totals": [{"type": "total", "amount": -total}],
    }
    if reason:
        adjustment["description"] = reason
    order.adjustments = [*order.adjustments, adjustment]
    return order_transition_finish(
        order=order, before=before, actor=actor, event_type="order.canceled"
    )
