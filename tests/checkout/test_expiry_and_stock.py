"""Expiry (org TTL, the beat task, no completing an expired session), stock reserved only at
completion and never negative, and 50 concurrent completes of one session."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import InventoryLevel
from checkout.models import CheckoutSession
from checkout.tasks import cancel_expired_checkouts
from orders.models import Order
from orgconfig.selectors import org_settings
from tests.checkout.support import BUYER, cart, pay, shipping
from tests.concurrency import run_in_threads
from tests.conftest import SeedClient
from webhooks.models import WebhookEvent


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


def ready(shop, *lines):
    body = cart(*(lines or [("bouquet_tulips", 1)]), buyer=BUYER, **shipping("std-ship"))
    data = shop.post("checkout/create", body).json()["data"]
    assert data["status"] == "ready_for_complete", data["messages"]
    return data["checkout_guid"]


def stock(item_id: str) -> int:
    return InventoryLevel.objects.get(product__public_id=item_id).quantity


def test_sessions_expire_after_the_org_ttl(shop, flower_shop):
    settings = org_settings(org=flower_shop)
    settings.checkout_ttl_seconds = 600
    settings.save()

    before = timezone.now()
    guid = ready(shop)

    session = CheckoutSession.objects.get(guid=guid)
    assert (
        before + timedelta(seconds=600)
        <= session.expires_at
        <= timezone.now() + timedelta(seconds=600)
    )


def test_default_ttl_is_six_hours(shop):
    session = CheckoutSession.objects.get(guid=ready(shop))

    assert django_settings.UCP_CHECKOUT_TTL == timedelta(hours=6)
    assert (
        timedelta(hours=5, minutes=59)
        < session.expires_at - session.created_at
        <= timedelta(hours=6)
    )


def test_expired_session_cannot_complete_and_the_task_cancels_it(shop):
    expiring = ready(shop)
    completed = ready(shop)
    shop.post("checkout/complete", {"checkout_guid": completed})
    fresh_later = None

    with time_machine.travel(timezone.now() + timedelta(hours=6, seconds=1)):
        fresh_later = ready(shop)
        response = shop.post("checkout/complete", {"checkout_guid": expiring})
        assert response.status_code == 409
        assert response.json()["error"]["error_code"] == "invalid-state"
        assert "expired" in response.json()["error"]["message"]
        assert Order.objects.count() == 1

        assert cancel_expired_checkouts() == 1

    expired = CheckoutSession.objects.get(guid=expiring)
    assert expired.status == "canceled"
    assert expired.revision == 2
    assert expired.messages[0]["code"] == "expired"
    assert CheckoutSession.objects.get(guid=completed).status == "completed"
    assert CheckoutSession.objects.get(guid=fresh_later).status == "ready_for_complete"
    assert cancel_expired_checkouts() == 0


def test_reading_an_expired_session_shows_it_canceled_before_the_task_runs(shop):
    guid = ready(shop)

    with time_machine.travel(timezone.now() + timedelta(hours=6, seconds=1)):
        first = shop.post("checkout/get", {"checkout_guid": guid}).json()["data"]
        again = shop.post("checkout/get", {"checkout_guid": guid}).json()["data"]
        assert cancel_expired_checkouts() == 0

    assert (first["status"], first["messages"][0]["code"]) == ("canceled", "expired")
    assert again == first
    session = CheckoutSession.objects.get(guid=guid)
    assert (session.status, session.revision) == ("canceled", 2)
    assert WebhookEvent.objects.filter(event_type="checkout.canceled").count() == 1


def test_beat_schedule_runs_the_expiry_task():
    entry = django_settings.CELERY_BEAT_SCHEDULE["checkout-cancel-expired"]

    assert entry["task"] == cancel_expired_checkouts.name


def test_stock_is_only_taken_at_completion(shop):
    guid = ready(shop, ("bouquet_tulips", 3))
    assert stock("bouquet_tulips") == 1500

    shop.post("checkout/complete", {"checkout_guid": guid, **pay()})

    assert stock("bouquet_tulips") == 1497


def test_stock_that_ran_out_after_pricing_makes_the_session_incomplete(shop):
    guid = ready(shop, ("pot_ceramic", 1), ("bouquet_tulips", 3))
    InventoryLevel.objects.filter(product__public_id="bouquet_tulips").update(quantity=2)

    response = shop.post("checkout/complete", {"checkout_guid": guid})

    assert response.status_code == 409
    (message,) = response.json()["error"]["details"]["messages"]
    assert (message["code"], message["path"]) == ("out_of_stock", "$.line_items[1]")
    session = shop.post("checkout/get", {"checkout_guid": guid}).json()["data"]
    assert session["status"] == "incomplete"
    assert any(m["code"] == "out_of_stock" for m in session["messages"])
    assert Order.objects.count() == 0
    assert (stock("bouquet_tulips"), stock("pot_ceramic")) == (2, 2000)

    fixed = shop.post(
        "checkout/update",
        {
            "checkout_guid": guid,
            "expected_revision": session["revision"],
            **cart(("pot_ceramic", 1), ("bouquet_tulips", 2)),
        },
    ).json()["data"]
    assert fixed["status"] == "ready_for_complete"
    assert shop.post("checkout/complete", {"checkout_guid": guid}).status_code == 200
    assert stock("bouquet_tulips") == 0


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_completes_of_one_session(flower_shop, platform_credentials):
    creds = {k: platform_credentials[k] for k in ("client_id", "client_secret")}
    client = SeedClient(APIClient())
    body = {**creds, **cart(("bouquet_roses", 3)), "buyer": BUYER, **shipping("std-ship")}
    guid = client.post("checkout/create", body).json()["data"]["checkout_guid"]

    responses = run_in_threads(
        50,
        lambda: SeedClient(APIClient()).post(
            "checkout/complete", {**creds, "checkout_guid": guid, **pay()}
        ),
    )

    assert [r.status_code for r in responses] == [200] * 50
    assert len({r.json()["data"]["scm_order_guid"] for r in responses}) == 1
    assert Order.objects.count() == 1
    assert stock("bouquet_roses") == 1000 - 3
    assert not InventoryLevel.objects.filter(quantity__lt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_sessions_racing_for_the_last_units_never_go_negative(flower_shop, platform_credentials):
    InventoryLevel.objects.filter(product__public_id="orchid_white").update(quantity=5)
    creds = {k: platform_credentials[k] for k in ("client_id", "client_secret")}
    client = SeedClient(APIClient())
    body = {**creds, **cart(("orchid_white", 2)), "buyer": BUYER, **shipping("std-ship")}
    guids = iter(
        [client.post("checkout/create", body).json()["data"]["checkout_guid"] for _ in range(6)]
    )
    import threading

    lock = threading.Lock()

    def complete_one():
        with lock:
            guid = next(guids)
        return SeedClient(APIClient()).post("checkout/complete", {**creds, "checkout_guid": guid})

    responses = run_in_threads(6, complete_one)

    assert sorted(r.status_code for r in responses) == [200, 200, 409, 409, 409, 409]
    assert Order.objects.count() == 2
    assert stock("orchid_white") == 1
