"""A worker killed in the middle of a delivery loses nothing: the attempt's transaction dies with
it, the delivery stays pending, and the beat sweeper of the next worker queues it again."""

import json

import pytest
from django.db import connection

from tests.webhooks.conftest import make_order, subscribe
from tests.webhooks.support import CeleryWorker, Reply, wait_until
from ucp.celery import app as celery_app
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("allow_private"),
]


def test_a_worker_killed_mid_delivery_loses_nothing(flower_shop, receiver, tmp_path):
    celery_app.control.purge()
    database_name = connection.settings_dict["NAME"]
    receiver.script = [Reply(200, hang_seconds=120)]  # the first request never gets its answer
    platform, _, _ = subscribe(flower_shop, receiver.url)
    first = CeleryWorker(database_name, log_dir=tmp_path).start()
    try:
        order = make_order(platform)
        receiver.wait_for(1)
        first.kill()
    finally:
        first.stop()

    delivery = WebhookDelivery.objects.get(platform=platform)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempt_count == 0 and not delivery.attempts.exists()

    second = CeleryWorker(database_name, beat=True, log_dir=tmp_path).start()
    try:
        received = receiver.wait_for(2, timeout=40)
        wait_until(
            lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED,
            timeout=20,
            message="the delivery to succeed",
        )
    finally:
        second.stop()
        celery_app.control.purge()

    assert "Webhook sweep re-queued work" in second.log_path.read_text()
    assert received[0].body == received[1].body
    assert received[0].headers["webhook-id"] == received[1].headers["webhook-id"]
    assert json.loads(received[1].body)["id"] == str(order.guid)
    delivery.refresh_from_db()
    assert [(a.number, a.status_code) for a in delivery.attempts.all()] == [(1, 200)]
