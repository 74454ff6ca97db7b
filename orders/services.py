"""Writes for orders. An order is only ever created by completing a checkout session."""

import logging

from catalog.models import Product
from orders.models import Order, OrderLine

logger = logging.getLogger(__name__)


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

    logger.info("Order created", extra={"org": session.org.orgcode, "order": str(order.guid)})
    return order
