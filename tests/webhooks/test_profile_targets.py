"""Order webhooks to the URL a platform's UCP profile names (dev.ucp.shopping.order →
config.webhook_url), captured when the checkout is created over the REST binding.

Deliveries run in-process against a loopback receiver, as in test_signing_and_test_send; the
profile is served by a loopback platform too.
"""

import base64
import json

import pytest
from django.utils import timezone

from checkout.rest.selectors import order_webhook_target
from checkout.rest.settings import rest_settings
from orders.models import Order
from orders.services import order_cancel, order_mark_shipped
from platforms.services import platform_register
from tests.checkout.test_rest_binding import (
    NEW,
    OLD,
    ProfileServer,
    RestClient,
    complete_body,
    create_body,
)
from tests.ucp_schemas import assert_valid
from tests.webhooks.conftest import subscribe
from tests.webhooks.support import Receiver, Reply
from tests.webhooks.test_signing_and_test_send import deliver_pending
from tests.webhooks.verify import verify_detached_jws, verify_rfc9421
from webhooks import services
from webhooks.models import DeliverySource, DeliveryStatus, WebhookConfig, WebhookDelivery

pytestmark = pytest.mark.usefixtures("allow_private")

DESTINATION = {
    "id": "dest_1",
    "street_address": "1 Main St",
    "address_locality": "Springfield",
    "address_region": "IL",
    "postal_code": "62701",
    "address_country": "US",
}


@pytest.fixture
def platform_profile(settings, receiver):
    """A loopback platform profile naming `receiver` as its order webhook URL, per version."""
    settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE = True
    servers = []

    def serve(version):
        if version == OLD:
            capabilities = [
                {
                    "name": "dev.ucp.shopping.order",
                    "version": OLD,
                    "config": {"webhook_url": receiver.url},
                }
            ]
        else:
            capabilities = {
                name: [{"version": NEW}]
                for name in ("dev.ucp.shopping.checkout", "dev.ucp.shopping.fulfillment")
            }
            capabilities["dev.ucp.shopping.order"] = [
                {"version": NEW, "config": {"webhook_url": receiver.url}}
            ]
        servers.append(ProfileServer({"ucp": {"version": version, "capabilities": capabilities}}))
        return servers[-1].url

    yield serve
    for server in servers:
        server.close()


@pytest.fixture
def rest_platform(api, flower_shop):
    platform, secret = platform_register(org=flower_shop, caption="Profile agent")
    token = base64.b64encode(f"{platform.client_id}:{secret}".encode()).decode()
    return platform, RestClient(api, flower_shop.orgcode, HTTP_AUTHORIZATION=f"Basic {token}")


def order_over_rest(client, profile_url, version) -> Order:
    """Creates, readies and completes a checkout over the REST binding with `profile_url` in
    UCP-Agent; returns the order."""
    agent = {"HTTP_UCP_AGENT": f'profile="{profile_url}"'}
    body = create_body()
    body["fulfillment"] = {
        "methods": [
            {
                "type": "shipping",
                "destinations": [DESTINATION],
                "selected_destination_id": "dest_1",
            }
        ]
    }
    created = client.call("post", "/checkout-sessions", body, headers=agent)
    assert created.status_code == 201, created.content
    checkout = created.json()

    method = checkout["fulfillment"]["methods"][0]
    option_id = method["groups"][0]["options"][0]["id"]
    body["fulfillment"]["methods"][0]["groups"] = [{"selected_option_id": option_id}]
    updated = client.call("put", f"/checkout-sessions/{checkout['id']}", body, headers=agent)
    assert updated.json()["status"] == "ready_for_complete", updated.content

    completed = client.call(
        "post",
        f"/checkout-sessions/{checkout['id']}/complete",
        complete_body(version),
        headers=agent,
    )
    assert completed.status_code == 200, completed.content
    return Order.objects.get(guid=completed.json()["order"]["id"])


def test_order_created_and_shipped_reach_the_profile_url_signed_per_rfc_9421(
    flower_shop, rest_platform, platform_profile, receiver
):
    _, client = rest_platform
    order = order_over_rest(client, platform_profile(NEW), NEW)

    assert deliver_pending(flower_shop) == ["succeeded"]
    order_mark_shipped(order=order, actor="test", tracking_number="1Z9")
    assert deliver_pending(flower_shop) == ["succeeded"]

    created, shipped = receiver.requests
    assert verify_rfc9421(flower_shop, receiver.url, created)[0].label == "sig1"
    assert created.headers["webhook-id"]
    # No admin ever shared an HMAC secret with this platform: only the org's key signs.
    assert "webhook-signature" not in created.headers
    body = json.loads(created.body)
    assert_valid(NEW, "shopping/order.json", body)
    assert body["id"] == str(order.guid)
    assert body["ucp"]["version"] == NEW
    assert body["fulfillment"]["expectations"][0]["destination"]["street_address"] == "1 Main St"

    assert shipped.headers["Webhook-Event-Type"] == "order.shipped"
    shipped_body = json.loads(shipped.body)
    assert_valid(NEW, "shopping/order.json", shipped_body)
    assert [e["type"] for e in shipped_body["fulfillment"]["events"]] == ["shipped"]
    assert shipped_body["line_items"][0]["status"] == "fulfilled"


def test_2026_01_11_profile_gets_a_detached_jws_and_unsigned_discounts(
    flower_shop, rest_platform, platform_profile, receiver
):
    _, client = rest_platform
    order = order_over_rest(client, platform_profile(OLD), OLD)

    assert deliver_pending(flower_shop) == ["succeeded"]

    (received,) = receiver.requests
    body = verify_detached_jws(flower_shop, received)
    assert_valid(OLD, "shopping/order.json", body)
    assert body["id"] == str(order.guid)
    assert body["event_id"] == received.headers["webhook-id"]
    assert "currency" not in body
    assert all(t["amount"] >= 0 for t in body["totals"] if t["type"] != "total")


def test_sample_envelope_wraps_the_order_for_2026_01_11_sample_clients(
    flower_shop, rest_platform, platform_profile, receiver
):
    settings = rest_settings(org=flower_shop)
    settings.sample_webhook_envelope = True
    settings.save()
    _, client = rest_platform
    order = order_over_rest(client, platform_profile(OLD), OLD)

    deliver_pending(flower_shop)
    order_mark_shipped(order=order, actor="test")
    deliver_pending(flower_shop)

    placed, shipped = (json.loads(r.body) for r in receiver.wait_for(2))
    assert placed["event_type"] == "order_placed"
    assert placed["checkout_id"] == str(order.checkout_session.guid)
    assert placed["order"]["id"] == str(order.guid)
    assert_valid(OLD, "shopping/order.json", placed["order"])
    assert shipped["event_type"] == "order_shipped"
    assert shipped["order"]["fulfillment"]["events"][0]["type"] == "shipped"


def test_a_configured_callback_at_the_same_url_gets_the_event_once(
    flower_shop, rest_platform, platform_profile, receiver
):
    platform, client = rest_platform
    subscribe(flower_shop, receiver.url, platform=platform)

    order_over_rest(client, platform_profile(NEW), NEW)
    deliver_pending(flower_shop)

    sources = list(
        WebhookDelivery.objects.filter(event_type="order.created").values_list("source", flat=True)
    )
    assert sources == [DeliverySource.CONFIG]
    assert len(receiver.requests) == 1


def test_a_configured_callback_elsewhere_and_the_profile_url_both_get_it(
    flower_shop, rest_platform, platform_profile, receiver
):
    platform, client = rest_platform
    other = Receiver().start()
    try:
        subscribe(flower_shop, other.url, platform=platform, event_filters=["order.created"])
        order_over_rest(client, platform_profile(NEW), NEW)

        assert sorted(deliver_pending(flower_shop)) == ["succeeded", "succeeded"]
        assert len(receiver.requests) == 1
        assert len(other.requests) == 1
    finally:
        other.stop()


def test_disabled_webhooks_hold_profile_deliveries_too(
    flower_shop, rest_platform, platform_profile, receiver
):
    platform, client = rest_platform
    config = services.config_get_or_create(platform=platform)
    services.config_set(config=config, expected_revision=config.revision, actor="t", enabled=False)

    order_over_rest(client, platform_profile(NEW), NEW)

    assert deliver_pending(flower_shop) == ["held"]
    assert receiver.requests == []


def test_a_revoked_platform_gets_no_profile_delivery(
    flower_shop, rest_platform, platform_profile, receiver
):
    platform, client = rest_platform
    order_over_rest(client, platform_profile(NEW), NEW)
    platform.revoked_at = timezone.now()
    platform.save(update_fields=["revoked_at"])

    assert deliver_pending(flower_shop) == []
    assert not WebhookDelivery.objects.exists()


def test_the_target_is_read_within_the_checkouts_org_only(
    flower_shop, other_org, rest_platform, platform_profile
):
    _, client = rest_platform
    order = order_over_rest(client, platform_profile(NEW), NEW)
    guid = order.checkout_session.guid

    assert order_webhook_target(org_id=flower_shop.pk, checkout_guid=guid) is not None
    assert order_webhook_target(org_id=other_org.pk, checkout_guid=guid) is None


def test_profile_deliveries_do_not_pause_the_platform(
    flower_shop, rest_platform, platform_profile, receiver, settings
):
    settings.UCP_WEBHOOK_PAUSE_AFTER_FAILURES = 1
    platform, client = rest_platform
    configured = Receiver().start()
    try:
        subscribe(flower_shop, configured.url, platform=platform, event_filters=["order.created"])
        receiver.default = Reply(status=410)  # the profile URL refuses for good

        order_over_rest(client, platform_profile(NEW), NEW)
        deliver_pending(flower_shop)
    finally:
        configured.stop()

    profile_delivery = WebhookDelivery.objects.get(source=DeliverySource.PROFILE)
    assert profile_delivery.status == DeliveryStatus.FAILED
    config = WebhookConfig.objects.get(platform=platform)
    assert config.consecutive_failures == 0
    assert not config.is_paused


def test_the_envelope_is_switched_with_the_ops_command(flower_shop):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "ucp_rest_settings", "--org", "FLOWERS", "--webhook-envelope", "sample", stdout=out
    )

    assert "'webhook_envelope': 'sample'" in out.getvalue()
    assert rest_settings(org=flower_shop).sample_webhook_envelope is True
    call_command("ucp_rest_settings", "--org", "FLOWERS", "--webhook-envelope", "flat", stdout=out)
    assert rest_settings(org=flower_shop).sample_webhook_envelope is False


def test_a_receiver_answering_with_a_nul_byte_is_recorded_not_resent_forever(
    flower_shop, rest_platform, platform_profile, receiver
):
    """PostgreSQL cannot store a NUL: the attempt's record failed, the attempt rolled back and
    the delivery stayed due, so the sweeper sent it again and again."""
    receiver.default = Reply(status=200, body=b"ok\x00thanks")
    _, client = rest_platform
    order_over_rest(client, platform_profile(NEW), NEW)

    assert deliver_pending(flower_shop) == ["succeeded"]

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts.get().response_body == "ok\ufffdthanks"


@pytest.mark.parametrize(
    "retry_after",
    [
        "1000000000000",
        "9" * 400,
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Tue, 01 Jan 2199 00:00:00 -0000",
        "\u00b2",
    ],
    ids=["years", "infinite", "date", "naive-date", "superscript-two"],
)
def test_a_retry_after_beyond_the_window_fails_the_delivery_without_crashing(
    flower_shop, rest_platform, platform_profile, receiver, retry_after
):
    """A Retry-After too large for date arithmetic crashed the attempt (OverflowError), and a
    "digit" float() cannot read (the latin-1 byte 0xB2, "²") raised ValueError, and a date
    without a zone (`-0000`) raised TypeError against the aware clock: each left the
    delivery pending and due for the sweeper, attempt after attempt. An unreadable value is
    ignored (the backoff applies), a value beyond the window fails the delivery."""
    receiver.default = Reply(status=503, headers={"Retry-After": retry_after})
    _, client = rest_platform
    order_over_rest(client, platform_profile(NEW), NEW)

    outcomes = deliver_pending(flower_shop)

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempt_count == 1
    if retry_after == "\u00b2":
        assert outcomes == ["retry"] and delivery.status == DeliveryStatus.PENDING
    else:
        assert outcomes == ["failed"] and delivery.status == DeliveryStatus.FAILED


@pytest.mark.parametrize("version", [NEW, OLD])
def test_a_canceled_order_states_its_refund_in_each_versions_terms(
    flower_shop, rest_platform, platform_profile, receiver, version
):
    """2026-01-11 adjustments carry one unsigned `amount` (its schema has no adjustment
    `totals`, so a 2026-01-11 platform saw no amount at all); 2026-04-08 has signed `totals`."""
    _, client = rest_platform
    order = order_over_rest(client, platform_profile(version), version)
    total = next(t["amount"] for t in order.totals if t["type"] == "total")
    order_cancel(order=order, actor="test", reason="buyer asked")
    deliver_pending(flower_shop)

    webhook = json.loads(receiver.of_type("order.canceled")[0].body)
    served = client.call("get", f"/orders/{order.guid}", version=version).json()

    for body in (webhook, served):
        assert_valid(version, "shopping/order.json", body)
        (adjustment,) = body["adjustments"]
        assert adjustment["type"] == "cancellation"
        if version == OLD:
            assert adjustment["amount"] == total
            assert "totals" not in adjustment
        else:
            assert adjustment["totals"] == [{"type": "total", "amount": -total}]
            assert "amount" not in adjustment
