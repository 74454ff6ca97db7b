"""Delivery through a real Celery worker on Redis to a loopback receiver.

Rows are committed (transaction=True) so the worker process sees them; backoff delays, the
retry window and the pause threshold are shrunk through the worker's environment
(tests/webhooks/support.py WORKER_ENV).
"""

import json
import time

import pytest
from django.core.management import call_command
from django.db import transaction

from orders.models import Order
from orders.snapshots import order_snapshot
from tests.checkout.support import shipping
from tests.webhooks.conftest import make_order, subscribe
from tests.webhooks.support import Receiver, Reply, free_port, wait_until
from tests.webhooks.verify import verify_rfc9421, verify_standard_webhook
from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery, WebhookEvent

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("celery_worker", "allow_private"),
]


def finished(platform, count=1, event_type="order.created"):
    """Waits until `count` deliveries of the platform have left the pending state."""

    def done():
        deliveries = list(
            WebhookDelivery.objects.filter(platform=platform, event_type=event_type)
            .exclude(status=DeliveryStatus.PENDING)
            .order_by("pk")
        )
        return deliveries if len(deliveries) >= count else None

    return wait_until(done, timeout=30, message=f"{count} finished {event_type} deliveries")


def attempts_of(delivery):
    return [(a.number, a.status_code, a.outcome) for a in delivery.attempts.order_by("number")]


def test_500_500_200_gets_the_same_id_and_bytes_three_times(flower_shop, receiver):
    receiver.script = [Reply(500), Reply(500)]
    platform, _, secret = subscribe(flower_shop, receiver.url)

    order = make_order(platform)

    received = receiver.wait_for(3)
    (delivery,) = finished(platform)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert {r.headers["webhook-id"] for r in received} == {str(delivery.guid)}
    assert {r.body for r in received} == {delivery.body.encode()}
    for request in received:
        assert verify_standard_webhook(secret, request)["id"] == str(order.guid)
    assert attempts_of(delivery) == [(1, 500, "retry"), (2, 500, "retry"), (3, 200, "succeeded")]
    time.sleep(1)
    assert len(receiver.requests) == 3


def test_a_receiver_down_for_the_first_attempts_still_gets_everything(flower_shop):
    port = free_port()
    platform, _, _ = subscribe(flower_shop, f"http://127.0.0.1:{port}/hooks")
    orders = [make_order(platform), make_order(platform, item="bouquet_tulips")]
    wait_until(
        lambda: (
            all(d.attempt_count >= 2 for d in WebhookDelivery.objects.filter(platform=platform))
            and WebhookDelivery.objects.filter(platform=platform).count() == 2
        ),
        message="failed attempts while the receiver is down",
    )

    receiver = Receiver(port).start()
    try:
        deliveries = finished(platform, count=2)
    finally:
        receiver.stop()

    assert all(d.status == DeliveryStatus.SUCCEEDED for d in deliveries)
    assert {json.loads(r.body)["id"] for r in receiver.requests} == {str(o.guid) for o in orders}
    first_attempt = deliveries[0].attempts.order_by("number").first()
    assert first_attempt.status_code is None and "ConnectionError" in first_attempt.error


def test_a_rolled_back_change_sends_nothing(flower_shop, receiver):
    platform, _, _ = subscribe(flower_shop, receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        make_order(platform)
        raise RuntimeError("the request failed after the order was written")
    marker = make_order(platform, item="bouquet_tulips")

    finished(platform)
    time.sleep(1)
    assert [json.loads(r.body)["id"] for r in receiver.requests] == [str(marker.guid)]
    assert Order.objects.count() == 1
    assert WebhookEvent.objects.filter(event_type="order.created").count() == 1


def test_fan_out_reaches_each_subscribed_platform_of_the_org_only(flower_shop, other_org, receiver):
    platforms = [subscribe(flower_shop, receiver.url, caption=f"p{i}")[0] for i in range(3)]
    outsider_receiver = Receiver().start()
    outsider, _, _ = subscribe(other_org, outsider_receiver.url, caption="other org")
    unsubscribed, _, _ = subscribe(
        flower_shop, receiver.url, caption="checkout only", event_filters=["checkout.canceled"]
    )

    order = make_order(platforms[0])

    received = receiver.wait_for(3)
    time.sleep(1)
    outsider_receiver.stop()
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in received}) == 3
    assert {json.loads(r.body)["id"] for r in received} == {str(order.guid)}
    assert outsider_receiver.requests == []
    assert not WebhookDelivery.objects.filter(platform__in=[outsider, unsubscribed]).exists()


def test_429_retry_after_is_honoured(flower_shop, receiver):
    receiver.script = [Reply(429, headers={"Retry-After": "2"})]
    platform, _, _ = subscribe(flower_shop, receiver.url)

    make_order(platform)

    first, second = receiver.wait_for(2)
    assert second.at - first.at >= 1.9
    (delivery,) = finished(platform)
    assert attempts_of(delivery) == [(1, 429, "retry"), (2, 200, "succeeded")]


def test_a_timeout_is_retried_with_the_same_bytes(flower_shop, receiver):
    receiver.script = [Reply(200, hang_seconds=4)]
    platform, _, _ = subscribe(flower_shop, receiver.url)

    make_order(platform)

    first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    (delivery,) = finished(platform)
    attempt = delivery.attempts.order_by("number").first()
    assert attempt.error == "timeout" and attempt.outcome == "retry"
    assert delivery.status == DeliveryStatus.SUCCEEDED


def test_other_4xx_is_final_and_repeated_failures_pause_the_platform(flower_shop, receiver, admin):
    receiver.default = Reply(404, body=b"no such hook")
    platform, config, _ = subscribe(flower_shop, receiver.url)

    for n in range(1, 4):  # WORKER_ENV pauses after 3 failed deliveries in a row
        make_order(platform)
        finished(platform, count=n)
    assert len(receiver.requests) == 3
    assert all(
        attempts_of(d) == [(1, 404, "failed")]
        for d in WebhookDelivery.objects.filter(platform=platform)
    )
    config.refresh_from_db()
    assert config.is_paused and config.consecutive_failures == 3
    shown = admin.post("webhook/config/get", {"platform_guid": str(platform.guid)}).json()
    assert shown["data"]["status"] == "paused"
    assert "3 deliveries in a row failed" in shown["data"]["pause_reason"]

    held_order = make_order(platform)
    (held,) = wait_until(
        lambda: list(WebhookDelivery.objects.filter(platform=platform, status="held")),
        message="a held delivery",
    )
    assert len(receiver.requests) == 3

    receiver.default = Reply(200)
    resumed = admin.post(
        "webhook/config/set",
        {
            "platform_guid": str(platform.guid),
            "expected_revision": shown["revision"],
            "enabled": True,
        },
    )
    assert resumed.json()["data"]["status"] == "active"
    received = receiver.wait_for(4)
    assert json.loads(received[3].body)["id"] == str(held_order.guid)
    assert received[3].headers["webhook-id"] == str(held.guid)
    wait_until(
        lambda: WebhookDelivery.objects.get(pk=held.pk).status == DeliveryStatus.SUCCEEDED,
        message="the held delivery to succeed",
    )
    assert WebhookConfig.objects.get(pk=config.pk).consecutive_failures == 0


def test_retries_stop_when_the_window_ends(flower_shop, receiver):
    receiver.default = Reply(503)
    platform, config, _ = subscribe(flower_shop, receiver.url)

    make_order(platform)

    (delivery,) = finished(platform)
    assert delivery.status == DeliveryStatus.FAILED
    attempts = attempts_of(delivery)
    assert len(attempts) >= 4
    assert all(outcome == "retry" for _, _, outcome in attempts[:-1])
    assert attempts[-1] == (len(attempts), 503, "failed")
    assert (delivery.completed_at - delivery.created_at).total_seconds() < 7
    assert WebhookConfig.objects.get(pk=config.pk).consecutive_failures == 1


def test_retry_webhooks_redelivers_the_same_bytes(flower_shop, receiver):
    platform, _, _ = subscribe(flower_shop, receiver.url)
    make_order(platform)
    (delivery,) = finished(platform)

    call_command("retry_webhooks", "--delivery", str(delivery.guid))

    first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.guid)
    wait_until(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).attempts.count() == 2,
        message="the second attempt record",
    )


def test_an_event_whose_task_was_lost_is_swept_up(flower_shop, receiver):
    """As after a broker outage at commit time: the event row exists, no task was queued."""
    platform, _, _ = subscribe(flower_shop, receiver.url)
    order = make_order(platform)
    finished(platform)
    lost = WebhookEvent.objects.create(
        org=flower_shop, event_type="order.updated", payload=order_snapshot(order)
    )
    WebhookEvent.objects.filter(pk=lost.pk).update(created_at=lost.created_at.replace(year=2020))

    call_command("retry_webhooks")  # what beat runs every UCP_WEBHOOK_SWEEP_INTERVAL_SECONDS

    received = receiver.wait_for(2)
    assert received[1].headers["Webhook-Event-Type"] == "order.updated"


def test_checkout_to_shipped_through_the_api_and_the_command(
    flower_shop, as_platform, platform_credentials, receiver
):
    platform, _, secret = subscribe(
        flower_shop,
        receiver.url,
        platform=platform_credentials["platform"],
        event_filters=["order.created", "order.shipped", "checkout.completed"],
    )
    buyer = {"email": "jane@example.com"}
    created = as_platform.post(
        "checkout/create",
        {
            "line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 2}],
            "buyer": buyer,
            **shipping(option_id="std-ship"),
        },
    ).json()["data"]
    completed = as_platform.post(
        "checkout/complete", {"checkout_guid": created["checkout_guid"]}
    ).json()["data"]
    order_guid = completed["scm_order_guid"]
    receiver.wait_for(2)

    call_command("mark_order", order_guid, "shipped", "--tracking-number", "1Z42")

    received = receiver.wait_for(3)
    kinds = sorted(r.headers["Webhook-Event-Type"] for r in received)
    assert kinds == ["checkout.completed", "order.created", "order.shipped"]
    shipped = next(r for r in received if r.headers["Webhook-Event-Type"] == "order.shipped")
    body = verify_standard_webhook(secret, shipped)
    verify_rfc9421(flower_shop, receiver.url, shipped)
    assert body["id"] == order_guid
    assert body["fulfillment"]["events"][0]["tracking_number"] == "1Z42"
    assert body["line_items"][0]["quantity"] == {"original": 2, "total": 2, "fulfilled": 2}
