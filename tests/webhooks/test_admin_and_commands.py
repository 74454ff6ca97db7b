"""The admin's delivery list and redeliver action, pause visibility and resume, and
`manage.py retry_webhooks` (the queueing itself is covered with a real worker elsewhere)."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from orgconfig.models import AuditEntry
from tests.webhooks.conftest import make_order, subscribe
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.usefixtures("allow_private")


@pytest.fixture
def failed_delivery(flower_shop, receiver):
    platform, config, _ = subscribe(flower_shop, receiver.url)
    receiver.default.status = 410
    make_order(platform)
    event = WebhookEvent.objects.get(event_type="order.created")
    (delivery_id,) = services.event_fan_out(event_id=event.pk)
    assert services.delivery_attempt(delivery_id=delivery_id) == "failed"
    return WebhookDelivery.objects.get(pk=delivery_id)


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-12345678")
    client.force_login(user)
    return user


def test_admin_lists_deliveries_with_attempts(failed_delivery, client, staff):
    listing = client.get("/admin/webhooks/webhookdelivery/?status=failed")
    detail = client.get(f"/admin/webhooks/webhookdelivery/{failed_delivery.pk}/change/")

    assert listing.status_code == 200
    assert str(failed_delivery.guid) in listing.content.decode()
    assert detail.status_code == 200
    assert "410" in detail.content.decode()


def test_admin_redeliver_action(failed_delivery, client, staff):
    response = client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [failed_delivery.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == DeliveryStatus.PENDING
    assert failed_delivery.retry_until > timezone.now()
    assert AuditEntry.objects.get(action="webhook.delivery.redeliver").actor == f"user:{staff.pk}"


def test_admin_shows_pause_and_resumes(failed_delivery, client, staff, settings):
    config = failed_delivery.platform.webhook_config
    config.paused_at, config.pause_reason = timezone.now(), "10 deliveries in a row failed"
    config.save()

    listing = client.get("/admin/webhooks/webhookconfig/?paused_at__isempty=0")
    assert listing.status_code == 200
    assert failed_delivery.platform.caption in listing.content.decode()
    assert (
        "whsec_"
        not in client.get(f"/admin/webhooks/webhookconfig/{config.pk}/change/").content.decode()
    )

    client.post(
        "/admin/webhooks/webhookconfig/",
        {"action": "resume", "_selected_action": [config.pk]},
        follow=True,
    )
    config.refresh_from_db()
    assert not config.is_paused and config.consecutive_failures == 0


def test_retry_webhooks_failed_and_by_id(failed_delivery, capsys):
    call_command("retry_webhooks", "--failed", "--json")

    output = json.loads(capsys.readouterr().out)
    assert output == {"redelivered": 1, "deliveries": [str(failed_delivery.guid)]}
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == DeliveryStatus.PENDING

    with pytest.raises(CommandError, match="No delivery"):
        call_command("retry_webhooks", "--delivery", "not-a-guid")


def test_a_disabled_platform_is_not_subscribed(flower_shop, receiver):
    platform, config, _ = subscribe(flower_shop, receiver.url)
    make_order(platform)
    config, _ = services.config_set(
        config=config, expected_revision=config.revision, actor="test", enabled=False
    )
    event = WebhookEvent.objects.get(event_type="order.created")

    # Disabled before the fan-out: the platform is not subscribed, nothing is created.
    assert services.event_fan_out(event_id=event.pk) == []
    assert receiver.requests == []


def test_retry_webhooks_refuses_a_test_delivery(flower_shop, receiver, admin):
    platform, _, _ = subscribe(flower_shop, receiver.url)
    delivery_id = admin.post("webhook/test", {"platform_guid": str(platform.guid)}).json()["data"][
        "delivery_id"
    ]

    with pytest.raises(CommandError, match="not redelivered"):
        call_command("retry_webhooks", "--delivery", delivery_id)
