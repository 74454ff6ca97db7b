"""A delivery attempt runs while other transactions write rows that reference the same org and
platform (an order being completed, an event being emitted): it must not skip the delivery."""

import threading

import pytest
from django.db import connections, transaction

from tests.webhooks.conftest import make_order, subscribe
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("allow_private"),
]


def test_an_open_outbox_insert_does_not_make_an_attempt_skip(flower_shop, receiver):
    platform, _, _ = subscribe(flower_shop, receiver.url)
    make_order(platform)
    event = WebhookEvent.objects.get(event_type="order.created")
    (delivery_id,) = services.event_fan_out(event_id=event.pk)
    inserted, finish = threading.Event(), threading.Event()

    def emit_and_hold():
        try:
            with transaction.atomic():
                # Django's foreign keys are checked (and their rows key-share locked) at commit;
                # checking them at once holds those locks while the test runs, as each commit
                # of a busy emitter does for a moment.
                with connections["default"].cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                services.event_emit(
                    org=flower_shop, event_type="order.updated", payload={}, platform=platform
                )
                inserted.set()
                finish.wait(10)
        finally:
            connections.close_all()

    writer = threading.Thread(target=emit_and_hold)
    writer.start()
    try:
        assert inserted.wait(10)
        outcome = services.delivery_attempt(delivery_id=delivery_id)
    finally:
        finish.set()
        writer.join()

    assert outcome == "succeeded"
    assert WebhookDelivery.objects.get(pk=delivery_id).status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1
