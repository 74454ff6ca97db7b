"""The full order snapshot UCP order webhooks carry (dev.ucp.shopping.order), without the `ucp`
member, which depends on the receiving platform's version and is added by webhooks/."""

from django.conf import settings

from orders.models import Order, OrderStatus


def permalink_url(order: Order) -> str:
    base = settings.UCP_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/ucp/rest/{order.org.orgcode}/orders/{order.guid}"


def line_status(*, total: int, fulfilled: int) -> str:
    if total == 0:
        return "removed"
    if fulfilled >= total:
        return "fulfilled"
    return "partial" if fulfilled else "processing"


def order_snapshot(order: Order) -> dict:
    canceled = order.status == OrderStatus.CANCELED
    shipped = order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
    line_items = []
    for line in order.lines.all():
        total = 0 if canceled else line.quantity
        fulfilled = total if shipped else 0
        line_items.append(
            {
                "id": line.line_id,
                "item": {"id": line.item_id, "title": line.title, "price": line.unit_price},
                "quantity": {"original": line.quantity, "total": total, "fulfilled": fulfilled},
                "totals": line.totals,
                "status": line_status(total=total, fulfilled=fulfilled),
            }
        )
    return {
        "id": str(order.guid),
        "checkout_id": str(order.checkout_session.guid),
        "permalink_url": permalink_url(order),
        "currency": order.currency,
        "line_items": line_items,
        "fulfillment": {"expectations": [], "events": list(order.fulfillment_events)},
        "adjustments": list(order.adjustments),
        "totals": order.totals,
    }
