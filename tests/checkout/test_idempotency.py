"""Idempotency keys on create, update, complete and cancel (design.md §4)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from checkout.models import CheckoutSession
from orders.models import Order
from platforms.services import platform_register
from tests.checkout.support import BUYER, cart, pay, shipping
from tests.concurrency import run_in_threads
from tests.conftest import SeedClient
from ucp.idempotency import IdempotencyScope, purge_expired, run_idempotent
from ucp.models import IdempotencyRecord
from ucp.tasks import purge_expired_idempotency_records


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


def ready_cart(**extra):
    return cart(("bouquet_tulips", 1), buyer=BUYER, **shipping("std-ship"), **extra)


def test_create_replays_byte_for_byte(shop):
    first = shop.post("checkout/create", ready_cart(idempotency_key="create-1"))
    second = shop.post("checkout/create", ready_cart(idempotency_key="create-1"))

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert CheckoutSession.objects.count() == 1


def test_header_key_works_like_the_body_field(shop):
    first = shop.post("checkout/create", ready_cart(), HTTP_IDEMPOTENCY_KEY="hdr-1")
    second = shop.post("checkout/create", ready_cart(idempotency_key="hdr-1"))

    assert second.content == first.content
    assert CheckoutSession.objects.count() == 1


def test_header_and_body_keys_must_agree(shop):
    response = shop.post(
        "checkout/create", ready_cart(idempotency_key="a"), HTTP_IDEMPOTENCY_KEY="b"
    )

    assert response.status_code == 400
    assert "idempotency_key" in response.json()["error"]["details"]["fields"]


@pytest.mark.parametrize("key", ["", 5, "x" * 256, "tab\there"])
def test_bad_keys_are_invalid_input(shop, key):
    response = shop.post("checkout/create", ready_cart(idempotency_key=key))

    assert response.status_code == 400
    assert CheckoutSession.objects.count() == 0


def test_same_key_with_another_payload_is_a_conflict(shop):
    shop.post("checkout/create", ready_cart(idempotency_key="k"))

    response = shop.post("checkout/create", cart(("pot_ceramic", 1), idempotency_key="k"))

    assert response.status_code == 409
    assert response.json()["error"]["error_code"] == "idempotency-conflict"
    assert CheckoutSession.objects.count() == 1


def test_update_complete_cancel_replay(shop):
    guid = shop.post("checkout/create", cart(("bouquet_tulips", 1))).json()["data"]["checkout_guid"]
    update = {"checkout_guid": guid, "expected_revision": 1, **ready_cart(idempotency_key="u")}

    updated = shop.post("checkout/update", update)
    again = shop.post("checkout/update", update)
    assert updated.status_code == 200
    assert again.content == updated.content  # not a 409 revision-mismatch: a replay

    completed = shop.post("checkout/complete", {"checkout_guid": guid, "idempotency_key": "c"})
    replayed = shop.post("checkout/complete", {"checkout_guid": guid, "idempotency_key": "c"})
    assert replayed.content == completed.content
    assert Order.objects.count() == 1

    other = shop.post("checkout/create", cart(("bouquet_tulips", 1))).json()["data"]
    cancel = {
        "checkout_guid": other["checkout_guid"],
        "expected_revision": 1,
        "idempotency_key": "x",
    }
    canceled = shop.post("checkout/cancel", cancel)
    assert canceled.json()["data"]["status"] == "canceled"
    assert shop.post("checkout/cancel", cancel).content == canceled.content


def test_errors_are_stored_and_replayed_too(shop):
    guid = shop.post("checkout/create", ready_cart()).json()["data"]["checkout_guid"]
    body = {
        "checkout_guid": guid,
        "idempotency_key": "pay-1",
        **pay(
            {
                "id": "instr_fail",
                "handler_id": "mock_payment_handler",
                "type": "card",
                "credential": {"type": "token", "token": "fail_token"},
            }
        ),
    }

    declined = shop.post("checkout/complete", body)
    replayed = shop.post("checkout/complete", body)

    assert declined.status_code == replayed.status_code == 402
    assert replayed.content == declined.content
    fresh_key = shop.post("checkout/complete", {**body, "idempotency_key": "pay-2", **pay()})
    assert fresh_key.status_code == 200


def test_same_key_on_two_sessions_runs_both(shop):
    first = shop.post("checkout/create", ready_cart()).json()["data"]["checkout_guid"]
    second = shop.post("checkout/create", ready_cart()).json()["data"]["checkout_guid"]

    one = shop.post("checkout/complete", {"checkout_guid": first, "idempotency_key": "same"})
    two = shop.post("checkout/complete", {"checkout_guid": second, "idempotency_key": "same"})

    assert one.status_code == two.status_code == 200
    assert one.json()["data"]["checkout_guid"] == first
    assert two.json()["data"]["checkout_guid"] == second
    assert one.json()["data"]["scm_order_guid"] != two.json()["data"]["scm_order_guid"]
    assert Order.objects.count() == 2


def test_same_key_on_two_platforms_never_replays_the_other(shop, api, flower_shop):
    rival, secret = platform_register(org=flower_shop, caption="Rival agent")
    rival_client = SeedClient(APIClient())
    rival_creds = {"client_id": rival.client_id, "client_secret": secret}

    mine = shop.post("checkout/create", ready_cart(idempotency_key="shared"))
    theirs = rival_client.post(
        "checkout/create", {**rival_creds, **ready_cart(idempotency_key="shared")}
    )

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["data"]["checkout_guid"] != theirs.json()["data"]["checkout_guid"]
    assert not theirs.has_header("Idempotent-Replayed")
    assert CheckoutSession.objects.filter(platform=rival).count() == 1


def test_keys_are_kept_at_least_24_hours_then_purged(shop):
    shop.post("checkout/create", ready_cart(idempotency_key="old"))
    record = IdempotencyRecord.objects.get(key="old")
    assert record.state == "done"
    assert record.expires_at - record.created_at >= timedelta(hours=24)
    assert b"client_secret" not in bytes(record.response_body)

    assert purge_expired(now=timezone.now() + timedelta(hours=23)) == 0
    IdempotencyRecord.objects.filter(pk=record.pk).update(expires_at=timezone.now())
    assert purge_expired_idempotency_records() == 1

    # After expiry the key is free again: a new request runs.
    shop.post("checkout/create", ready_cart(idempotency_key="old"))
    assert CheckoutSession.objects.count() == 2


def test_server_errors_release_the_key(flower_shop, platform_credentials):
    from django.http import HttpResponse

    scope = IdempotencyScope(
        org_id=flower_shop.pk,
        platform_id=platform_credentials["platform"].pk,
        operation="t",
        key="k",
    )
    calls = []

    def failing():
        calls.append(1)
        return HttpResponse(b"boom", status=503)

    assert run_idempotent(scope=scope, fingerprint="f", respond=failing).status_code == 503
    assert run_idempotent(scope=scope, fingerprint="f", respond=failing).status_code == 503
    assert len(calls) == 2
    assert not IdempotencyRecord.objects.exists()


def test_an_operation_and_its_stored_response_commit_together(flower_shop, platform_credentials):
    from django.http import HttpResponse

    from orgconfig.models import AuditEntry

    scope = IdempotencyScope(
        org_id=flower_shop.pk,
        platform_id=platform_credentials["platform"].pk,
        operation="t",
        key="k",
    )
    audited = AuditEntry.objects.count()

    def writes_then_fails():
        AuditEntry.objects.create(org=flower_shop, actor="test", action="t", target_type="t")
        raise RuntimeError("the worker died after the write")

    with pytest.raises(RuntimeError):
        run_idempotent(scope=scope, fingerprint="f", respond=writes_then_fails)

    # Nothing of the operation is left, and the key is free for the retry.
    assert AuditEntry.objects.count() == audited
    assert not IdempotencyRecord.objects.exists()

    def writes():
        AuditEntry.objects.create(org=flower_shop, actor="test", action="t", target_type="t")
        return HttpResponse(b"{}", status=201, content_type="application/json")

    assert run_idempotent(scope=scope, fingerprint="f", respond=writes).status_code == 201
    assert AuditEntry.objects.count() == audited + 1
    assert IdempotencyRecord.objects.get().state == IdempotencyRecord.State.DONE


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_execute_once(flower_shop, platform_credentials, settings):
    settings.UCP_IDEMPOTENCY_WAIT_SECONDS = 10
    creds = {k: platform_credentials[k] for k in ("client_id", "client_secret")}

    responses = run_in_threads(
        8,
        lambda: SeedClient(APIClient()).post(
            "checkout/create", {**creds, **ready_cart(idempotency_key="race")}
        ),
    )

    assert CheckoutSession.objects.count() == 1
    created = [r for r in responses if r.status_code == 201]
    conflicts = [r for r in responses if r.status_code == 409]
    assert len(created) + len(conflicts) == 8
    assert len({r.content for r in created}) == 1
    assert all(r.json()["error"]["details"]["reason"] == "in_progress" for r in conflicts)


def test_scopes_without_a_platform_are_unique_per_org(flower_shop, other_org):
    from django.http import HttpResponse

    calls = []

    def respond():
        calls.append(1)
        return HttpResponse(f"call {len(calls)}".encode(), status=201)

    def run(org):
        scope = IdempotencyScope(org_id=org.pk, platform_id=None, operation="rest.create", key="k")
        return run_idempotent(scope=scope, fingerprint="f", respond=respond)

    first, replayed, elsewhere = run(flower_shop), run(flower_shop), run(other_org)

    assert replayed.content == first.content == b"call 1"
    assert elsewhere.content == b"call 2"
    assert len(calls) == 2
