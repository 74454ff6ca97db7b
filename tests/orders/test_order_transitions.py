"""Shipping, delivering and canceling orders: state rules, the snapshot, and the webhook event
each change writes to the outbox in its own transaction."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from catalog.models import InventoryLevel
from checkout.pricing import RequestedLine
from checkout.services import checkout_cancel, checkout_create
from orders import services
from orders.models import OrderStatus
from orgconfig.models import AuditEntry, Membership, Role
from platforms.services import platform_register
from tests.checkout.support import place_order
from ucp import errors
from webhooks.models import WebhookEvent

BUYER = {"email": "jane@example.com"}


@pytest.fixture
def platform(flower_shop):
    platform, _ = platform_register(org=flower_shop, caption="Agent")
    return platform


@pytest.fixture
def order(platform):
    return place_order(platform, item="bouquet_roses", quantity=2, buyer=BUYER)


def events(event_type):
    return list(WebhookEvent.objects.filter(event_type=event_type).order_by("pk"))


def test_completing_a_checkout_writes_order_created_and_checkout_completed(order):
    (created,) = events("order.created")
    (completed,) = events("checkout.completed")

    assert created.org_id == order.org_id
    assert created.payload["id"] == str(order.guid)
    assert created.payload["line_items"][0]["quantity"] == {
        "original": 2,
        "total": 2,
        "fulfilled": 0,
    }
    assert completed.payload["scm_order_guid"] == str(order.guid)
    assert completed.payload["status"] == "completed"


def test_canceling_a_checkout_writes_checkout_canceled(platform):
    session = checkout_create(
        platform=platform, lines=[RequestedLine(item_id="bouquet_roses", quantity=1)], buyer={}
    )

    checkout_cancel(session=session, expected_revision=1)

    (canceled,) = events("checkout.canceled")
    assert canceled.payload["checkout_guid"] == str(session.guid)
    assert canceled.payload["status"] == "canceled"
    assert canceled.payload["scm_order_guid"] is None


def test_shipped_then_delivered(order):
    services.order_mark_shipped(
        order=order, actor="test", tracking_number="1Z9", tracking_url="https://t.example/1Z9"
    )
    services.order_mark_delivered(order=order, actor="test")

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert order.shipped_at and order.delivered_at
    (shipped,) = events("order.shipped")
    (delivered,) = events("order.delivered")
    event = shipped.payload["fulfillment"]["events"][0]
    assert event["type"] == "shipped"
    assert event["tracking_number"] == "1Z9"
    assert event["line_items"] == [{"id": order.lines.get().line_id, "quantity": 2}]
    assert "carrier" not in event
    assert [e["type"] for e in delivered.payload["fulfillment"]["events"]] == [
        "shipped",
        "delivered",
    ]
    assert AuditEntry.objects.filter(target_id=str(order.guid)).count() == 2


def test_cancel_records_a_cancellation_adjustment(order):
    services.order_cancel(order=order, actor="test", reason="buyer asked")

    (canceled,) = events("order.canceled")
    snapshot = canceled.payload
    assert snapshot["line_items"][0]["quantity"]["total"] == 0
    assert snapshot["line_items"][0]["status"] == "removed"
    (adjustment,) = snapshot["adjustments"]
    assert adjustment["type"] == "cancellation"
    total = next(t["amount"] for t in order.totals if t["type"] == "total")
    assert adjustment["totals"] == [{"type": "total", "amount": -total}]
    assert adjustment["description"] == "buyer asked"


def stock_of_roses(org) -> int:
    return InventoryLevel.objects.get(product__org=org, product__public_id="bouquet_roses").quantity


def test_cancel_puts_the_units_back_in_stock_once(order, flower_shop):
    before = stock_of_roses(flower_shop)

    services.order_cancel(order=order, actor="test")
    with pytest.raises(errors.InvalidState):
        services.order_cancel(order=order, actor="test")

    assert stock_of_roses(flower_shop) == before + 2


def test_shipping_takes_nothing_more_and_gives_nothing_back(order, flower_shop):
    before = stock_of_roses(flower_shop)

    services.order_mark_shipped(order=order, actor="test")

    assert stock_of_roses(flower_shop) == before


@pytest.mark.parametrize(
    "first, second",
    [
        (services.order_mark_shipped, services.order_mark_shipped),
        (services.order_mark_shipped, services.order_cancel),
        (services.order_cancel, services.order_mark_shipped),
        (services.order_cancel, services.order_mark_delivered),
        (services.order_mark_delivered, services.order_cancel),
    ],
)
def test_transitions_that_make_no_sense_are_invalid_state(order, first, second):
    from ucp import errors

    first(order=order, actor="test")
    count = WebhookEvent.objects.count()

    with pytest.raises(errors.InvalidState):
        second(order=order, actor="test")
    assert WebhookEvent.objects.count() == count


def test_mark_order_command(order, other_org, capsys):
    call_command("mark_order", str(order.guid), "shipped", "--carrier", "UPS", "--json")

    output = json.loads(capsys.readouterr().out)
    assert output == {"scm_order_guid": str(order.guid), "status": "shipped", "org": "FLOWERS"}
    assert events("order.shipped")[0].payload["fulfillment"]["events"][0]["carrier"] == "UPS"

    with pytest.raises(CommandError, match="cannot be marked shipped"):
        call_command("mark_order", str(order.guid), "shipped")
    with pytest.raises(CommandError, match="No order"):
        call_command("mark_order", str(order.guid), "delivered", "--org", other_org.orgcode)
    with pytest.raises(CommandError, match="not an order guid"):
        call_command("mark_order", "nope", "delivered")


def test_admin_actions_move_orders_and_emit(order, client):
    user = get_user_model().objects.create_user(
        "shipper", "shipper@example.com", "pw-12345678", is_staff=True
    )
    Membership.objects.create(org=order.org, user=user, role=Role.UCP_ADMIN)
    client.force_login(user)

    asked = client.post(
        "/admin/orders/order/", {"action": "mark_shipped", "_selected_action": [order.pk]}
    )

    assert asked.status_code == 200
    assert b'name="tracking_number"' in asked.content
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert events("order.shipped") == []

    response = client.post(
        "/admin/orders/order/",
        {
            "action": "mark_shipped",
            "apply": "1",
            "_selected_action": [order.pk],
            "carrier": "UPS",
            "tracking_number": "1Z77",
            "tracking_url": "https://t.example/1Z77",
        },
        follow=True,
    )

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    (shipped,) = events("order.shipped")
    assert shipped.payload["fulfillment"]["events"][0]["tracking_number"] == "1Z77"
    assert AuditEntry.objects.get(action="order.shipped").actor == f"user:{user.pk}"

    client.post(
        "/admin/orders/order/",
        {"action": "mark_delivered", "_selected_action": [order.pk]},
        follow=True,
    )

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert len(events("order.delivered")) == 1
