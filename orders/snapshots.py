"""The full UCP order (dev.ucp.shopping.order) as one version-neutral snapshot, and its shape in
each protocol version. `GET /orders/{id}` of the REST binding and every order webhook render the
same snapshot, so a platform never sees two versions of the truth. The `ucp` member depends on
who receives it and is added by the caller."""

from django.conf import settings

from checkout.rest.versions import is_legacy, signed_totals
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
        "fulfillment": {
            "expectations": expectations_of(order),
            "events": list(order.fulfillment_events),
        },
        "adjustments": list(order.adjustments),
        "totals": order.totals,
    }


def expectations_of(order: Order) -> list[dict]:
    """One expectation per fulfillment method with a chosen destination and option: what the
    buyer was promised at checkout (the checkout service stores the fulfillment it priced)."""
    fulfillment = order.fulfillment or {}
    quantities = {line.line_id: line.quantity for line in order.lines.all()}
    expectations = []
    for index, method in enumerate(fulfillment.get("methods") or []):
        selected_id = method.get("selected_destination_id")
        destination = next(
            (d for d in method.get("destinations") or [] if d.get("id") == selected_id), None
        )
        option = next(
            (
                o
                for group in method.get("groups") or []
                for o in group.get("options") or []
                if o.get("id") == group.get("selected_option_id")
            ),
            None,
        )
        if destination is None or option is None:
            continue

        line_ids = method.get("line_item_ids") or list(quantities)
        expectations.append(
            {
                "id": f"exp_{index + 1}",
                "line_items": [
                    {"id": line_id, "quantity": quantities[line_id]}
                    for line_id in line_ids
                    if line_id in quantities
                ],
                "method_type": method.get("type", "shipping"),
                "destination": {k: v for k, v in destination.items() if v is not None},
                "description": option.get("title", ""),
            }
        )
    return expectations


def order_in_version(snapshot: dict, version: str) -> dict:
    """The snapshot in the shape of one protocol version, without the `ucp` member.

    2026-01-11 has positive discount totals, no `quantity.original`, no `currency`, no
    `removed` line status (its rule derives `fulfilled` when fulfilled equals total, which is
    what a line canceled to zero becomes there) and adjustments with an unsigned `amount` instead
    of signed `totals`. Empty adjustments are left out (optional).
    """
    legacy = is_legacy(version)
    shaped = {key: value for key, value in snapshot.items() if key != "adjustments"}
    if snapshot.get("adjustments"):
        adjustments = snapshot["adjustments"]
        if legacy:
            adjustments = [legacy_adjustment(adjustment) for adjustment in adjustments]
        shaped["adjustments"] = adjustments
    shaped["totals"] = signed_totals(snapshot["totals"], legacy)

    lines = []
    for line in snapshot["line_items"]:
        line = {**line, "totals": signed_totals(line["totals"], legacy)}
        if legacy:
            line["quantity"] = {k: v for k, v in line["quantity"].items() if k != "original"}
            if line["status"] == "removed":
                line["status"] = "fulfilled"
        lines.append(line)
    shaped["line_items"] = lines
    if legacy:
        shaped.pop("currency", None)
    return shaped


def legacy_adjustment(adjustment: dict) -> dict:
    """An adjustment as 2026-01-11 states it: the magnitude of its signed `total` as `amount`
    (that release's adjustment has no `totals`)."""
    shaped = {key: value for key, value in adjustment.items() if key != "totals"}
    total = next(
        (t.get("amount") for t in adjustment.get("totals") or [] if t.get("type") == "total"),
        None,
    )
    if isinstance(total, int):
        shaped["amount"] = abs(total)
    return shaped
