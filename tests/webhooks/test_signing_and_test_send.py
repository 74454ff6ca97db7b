"""Signatures a platform can verify, and POST /ucp/webhook/test through the same path.

These run the delivery in-process (services.delivery_attempt) against a loopback receiver; the
worker tests run the same code inside a real Celery worker.
"""

import json

import pytest
from http_message_signatures import InvalidSignature
from jwcrypto.jws import InvalidJWSSignature
from standardwebhooks.webhooks import WebhookVerificationError

from orders.models import OrderStatus
from orgconfig.signing import signing_key_rotate
from tests.webhooks.conftest import make_order, subscribe
from tests.webhooks.verify import (
    verify_detached_jws,
    verify_rfc9421,
    verify_standard_webhook,
)
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookAttempt, WebhookEvent

pytestmark = pytest.mark.usefixtures("allow_private")


def deliver_pending(org):
    """Fans out every pending event of the org and makes each delivery's first attempt."""
    outcomes = []
    for event in WebhookEvent.objects.filter(org=org, fanned_out_at__isnull=True).order_by("pk"):
        for delivery_id in services.event_fan_out(event_id=event.pk):
            outcomes.append(services.delivery_attempt(delivery_id=delivery_id))
    return outcomes


def test_order_webhook_2026_04_08_is_signed_both_ways(flower_shop, receiver):
    platform, config, secret = subscribe(flower_shop, receiver.url)
    order = make_order(platform)

    assert deliver_pending(flower_shop) == ["succeeded"]

    (received,) = receiver.requests
    assert received.headers["Webhook-Event-Type"] == "order.created"
    body = verify_standard_webhook(secret, received)
    assert received.headers["webhook-id"]
    results = verify_rfc9421(flower_shop, receiver.url, received)
    assert results[0].label == "sig1"
    assert received.headers["UCP-Agent"] == (
        'profile="http://testserver/ucp/.well-known/ucp?orgcode=FLOWERS"'
    )
    assert received.headers["Content-Digest"].startswith("sha-256=:")
    assert "alg=" not in received.headers["Signature-Input"]

    # The flat, full order snapshot: no envelope, every UCP order field.
    assert body["id"] == str(order.guid)
    assert body["checkout_id"] == str(order.checkout_session.guid)
    assert body["ucp"]["version"] == "2026-04-08"
    assert body["ucp"]["capabilities"] == {"dev.ucp.shopping.order": [{"version": "2026-04-08"}]}
    assert body["currency"] == "USD"
    assert body["line_items"][0]["item"]["id"] == "bouquet_roses"
    assert body["line_items"][0]["quantity"] == {"original": 1, "total": 1, "fulfilled": 0}
    assert body["line_items"][0]["status"] == "processing"
    assert body["fulfillment"]["events"] == []
    expectation = body["fulfillment"]["expectations"][0]
    assert expectation["method_type"] == "shipping"
    assert expectation["line_items"] == [{"id": body["line_items"][0]["id"], "quantity": 1}]
    assert expectation["destination"]["address_country"]
    assert {t["type"] for t in body["totals"]} >= {"subtotal", "total"}
    assert body["permalink_url"].endswith(f"/orders/{order.guid}")


def test_a_tampered_body_fails_every_signature(flower_shop, receiver):
    platform, config, secret = subscribe(flower_shop, receiver.url)
    make_order(platform)
    deliver_pending(flower_shop)
    (received,) = receiver.requests

    received.body = received.body.replace(b'"USD"', b'"EUR"')

    with pytest.raises(WebhookVerificationError):
        verify_standard_webhook(secret, received)
    with pytest.raises(InvalidSignature):
        verify_rfc9421(flower_shop, receiver.url, received)


def test_order_webhook_2026_01_11_carries_a_detached_jws(flower_shop, receiver):
    platform, config, secret = subscribe(flower_shop, receiver.url, ucp_version="2026-01-11")
    order = make_order(platform)

    deliver_pending(flower_shop)

    (received,) = receiver.requests
    body = verify_detached_jws(flower_shop, received)
    verify_standard_webhook(secret, received)
    assert "Signature" not in received.headers
    assert body["id"] == str(order.guid)
    assert body["event_id"] == received.headers["webhook-id"]
    assert body["created_time"].endswith("Z")
    assert body["ucp"]["capabilities"] == [
        {"name": "dev.ucp.shopping.order", "version": "2026-01-11"}
    ]

    tampered = received.body.replace(b'"created_time":"', b'"created_time":"1')
    received.body = tampered
    with pytest.raises(InvalidJWSSignature):
        verify_detached_jws(flower_shop, received)


def test_a_rotated_signing_key_is_picked_up_and_published(flower_shop, receiver):
    platform, _, _ = subscribe(flower_shop, receiver.url)
    make_order(platform)
    deliver_pending(flower_shop)
    old_kid = verify_rfc9421(flower_shop, receiver.url, receiver.requests[0])[0].parameters["keyid"]

    new_key = signing_key_rotate(org=flower_shop)
    make_order(platform, item="bouquet_tulips")
    deliver_pending(flower_shop)

    result = verify_rfc9421(flower_shop, receiver.url, receiver.requests[1])
    assert result[0].parameters["keyid"] == new_key.kid != old_kid
    # The old one stays published, so a retry signed before the rotation still verifies.
    verify_rfc9421(flower_shop, receiver.url, receiver.requests[0])


def test_during_secret_rotation_both_secrets_verify(flower_shop, receiver):
    platform, config, old_secret = subscribe(flower_shop, receiver.url)
    config, new_secret = services.config_set(
        config=config, expected_revision=config.revision, actor="test", rotate_secret=True
    )

    make_order(platform)
    deliver_pending(flower_shop)

    (received,) = receiver.requests
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    verify_standard_webhook(new_secret, received)
    verify_standard_webhook(old_secret, received)


def test_events_follow_the_filter_and_checkout_events_are_opt_in(flower_shop, receiver):
    orders_only, _, _ = subscribe(flower_shop, receiver.url, caption="default filter")
    shipped_only, _, _ = subscribe(
        flower_shop, receiver.url, caption="shipped", event_filters=["order.shipped"]
    )
    checkout_too, _, _ = subscribe(
        flower_shop,
        receiver.url,
        caption="checkout",
        event_filters=["checkout.completed", "order.created"],
    )

    make_order(orders_only)
    deliver_pending(flower_shop)

    by_platform = {}
    for event in WebhookEvent.objects.filter(org=flower_shop):
        for delivery in event.deliveries.all():
            by_platform.setdefault(delivery.platform_id, []).append(delivery.event_type)
    assert sorted(by_platform[orders_only.pk]) == ["order.created"]
    assert shipped_only.pk not in by_platform
    assert sorted(by_platform[checkout_too.pk]) == ["checkout.completed", "order.created"]
    completed = next(
        r for r in receiver.requests if r.headers["Webhook-Event-Type"] == "checkout.completed"
    )
    payload = json.loads(completed.body)
    assert payload["type"] == "checkout.completed"
    assert payload["data"]["status"] == "completed"
    assert payload["data"]["scm_order_guid"]


def test_the_test_send_is_signed_and_never_echoes_the_receivers_body(flower_shop, receiver, admin):
    platform, config, secret = subscribe(flower_shop, receiver.url)
    receiver.default.body = b"RECEIVER-PRIVATE-ANSWER"

    response = admin.post("webhook/test", {"platform_guid": str(platform.guid)})

    assert response.status_code == 200
    assert b"RECEIVER-PRIVATE-ANSWER" not in response.content
    data = response.json()["data"]
    assert data["success"] is True
    assert data["status_code"] == 200
    assert data["event_type"] == "webhook.test"
    (received,) = receiver.requests
    assert received.headers["webhook-id"] == data["delivery_id"]
    payload = verify_standard_webhook(secret, received)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["platform_guid"] == str(platform.guid)
    attempt = WebhookAttempt.objects.get(delivery__guid=data["delivery_id"])
    assert attempt.response_body == "RECEIVER-PRIVATE-ANSWER"


def test_the_test_send_reports_a_failure_without_retrying(flower_shop, receiver, admin):
    platform, _, _ = subscribe(flower_shop, receiver.url)
    receiver.default.status = 503

    data = admin.post("webhook/test", {"platform_guid": str(platform.guid)}).json()["data"]

    assert data["success"] is False
    assert data["status_code"] == 503
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.filter(delivery__guid=data["delivery_id"]).count() == 1


def test_the_test_send_is_rate_limited(flower_shop, receiver, admin, settings):
    settings.UCP_WEBHOOK_TEST_RATE = "2/m"
    platform, _, _ = subscribe(flower_shop, receiver.url)

    statuses = [
        admin.post("webhook/test", {"platform_guid": str(platform.guid)}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]
    assert len(receiver.requests) == 2


def test_the_test_send_needs_a_callback_url(org, admin):
    from platforms.services import platform_register

    platform, _ = platform_register(org=org, caption="no url")

    response = admin.post("webhook/test", {"platform_guid": str(platform.guid)})

    assert response.status_code == 409
    assert response.json()["error"]["error_code"] == "invalid-state"


def test_order_transitions_send_full_snapshots(flower_shop, receiver):
    from orders.services import order_mark_delivered, order_mark_shipped

    platform, _, secret = subscribe(flower_shop, receiver.url)
    order = make_order(platform)
    order_mark_shipped(order=order, actor="test", tracking_number="1Z999", carrier="UPS")
    order_mark_delivered(order=order, actor="test")
    deliver_pending(flower_shop)

    kinds = [r.headers["Webhook-Event-Type"] for r in receiver.requests]
    assert kinds == ["order.created", "order.shipped", "order.delivered"]
    delivered = verify_standard_webhook(secret, receiver.requests[2])
    assert [e["type"] for e in delivered["fulfillment"]["events"]] == ["shipped", "delivered"]
    assert delivered["fulfillment"]["events"][0]["tracking_number"] == "1Z999"
    assert delivered["line_items"][0]["status"] == "fulfilled"
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert all(
        d.status == DeliveryStatus.SUCCEEDED
        for e in WebhookEvent.objects.all()
        for d in e.deliveries.all()
    )
