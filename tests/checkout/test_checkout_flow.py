"""The walking skeleton's main job: a platform sells the flower-shop catalog end to end."""

import threading

import pytest

from catalog.models import InventoryLevel
from orders.models import Order
from platforms.services import platform_register
from tests.concurrency import run_in_threads
from tests.conftest import SeedClient


def cart(*lines, **extra):
    return {"line_items": [{"item": {"id": i}, "quantity": q} for i, q in lines], **extra}


BUYER = {"email": "john.doe@example.com", "first_name": "John", "last_name": "Doe"}
ADDRESS = {
    "street_address": "123 Main St",
    "address_locality": "Springfield",
    "address_region": "IL",
    "postal_code": "62704",
    "address_country": "US",
}


def shipping(option_id=None, **address):
    method = {"type": "shipping", "destinations": [{**ADDRESS, **address}]}
    if option_id:
        method["groups"] = [{"selected_option_id": option_id}]
    return {"fulfillment": {"methods": [method]}}


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


def test_create_prices_from_the_catalog(shop):
    response = shop.post("checkout/create", cart(("bouquet_roses", 2), ("pot_ceramic", 1)))

    assert response.status_code == 201
    body = response.json()
    data = body["data"]
    assert data["status"] == "incomplete"
    assert data["currency"] == "USD"
    assert data["revision"] == body["revision"] == 1
    roses, pot = data["line_items"]
    assert roses["item"] == {"id": "bouquet_roses", "title": "Bouquet of Red Roses", "price": 3500}
    assert roses["quantity"] == 2
    assert roses["totals"] == [
        {"type": "subtotal", "amount": 7000},
        {"type": "total", "amount": 7000},
    ]
    assert pot["item"]["price"] == 1500
    assert data["totals"] == [
        {"type": "subtotal", "amount": 8500},
        {"type": "total", "amount": 8500},
    ]
    assert {m["path"] for m in data["messages"]} == {
        "$.buyer.email",
        "$.fulfillment.methods[0].destinations",
    }
    assert "scm_order_guid" not in data


def test_full_flow_create_update_complete(shop):
    guid = shop.post("checkout/create", cart(("bouquet_roses", 1))).json()["data"]["checkout_guid"]

    updated = shop.post(
        "checkout/update",
        {
            "checkout_guid": guid,
            "expected_revision": 1,
            "buyer": BUYER,
            **cart(("bouquet_tulips", 2), ("orchid_white", 1)),
            **shipping("std-ship"),
        },
    ).json()["data"]
    assert updated["status"] == "ready_for_complete", updated["messages"]
    assert updated["revision"] == 2
    assert updated["totals"][-1] == {"type": "total", "amount": 3000 * 2 + 4500}
    assert updated["discounts"]["applied"][0]["automatic"] is True

    completed = shop.post("checkout/complete", {"checkout_guid": guid}).json()["data"]
    assert completed["status"] == "completed"
    order = Order.objects.get(guid=completed["scm_order_guid"])
    assert order.totals[-1]["amount"] == 10500
    # Shipping was waived: the order charges nothing for it and shows no order-level discount.
    assert order.totals == [
        {"type": "subtotal", "amount": 10500},
        {"type": "fulfillment", "amount": 0},
        {"type": "total", "amount": 10500},
    ]
    assert [(line.item_id, line.quantity) for line in order.lines.all()] == [
        ("bouquet_tulips", 2),
        ("orchid_white", 1),
    ]
    assert InventoryLevel.objects.get(product__public_id="bouquet_tulips").quantity == 1498
    assert InventoryLevel.objects.get(product__public_id="orchid_white").quantity == 799

    again = shop.post("checkout/complete", {"checkout_guid": guid}).json()["data"]
    assert again["scm_order_guid"] == completed["scm_order_guid"]
    assert Order.objects.count() == 1
    assert InventoryLevel.objects.get(product__public_id="bouquet_tulips").quantity == 1498


@pytest.mark.parametrize(
    "line_items, field",
    [
        ([{"item": {"id": "pink_wumpus"}, "quantity": 1}], "line_items[0].item.id"),
        ([{"item": {"id": "bouquet_roses"}, "quantity": 0}], "line_items[0].quantity"),
        ([{"item": {"id": "bouquet_roses"}, "quantity": -3}], "line_items[0].quantity"),
        ([{"item": {"id": "bouquet_roses"}, "quantity": "2"}], "line_items[0].quantity"),
        ([{"item": {"id": "bouquet_roses"}, "quantity": 2.5}], "line_items[0].quantity"),
        ([{"item": {"id": "gardenias"}, "quantity": 1}], "line_items[0].quantity"),
        ([{"item": {"id": "bouquet_roses"}, "quantity": 1001}], "line_items[0].quantity"),
        ([{"item": {"id": 5}, "quantity": 1}], "line_items[0].item.id"),
        ([{"quantity": 1}], "line_items[0].item"),
        ([], "line_items"),
        ("roses", "line_items"),
    ],
)
def test_bad_carts_are_invalid_input_naming_the_field(shop, line_items, field):
    response = shop.post("checkout/create", {"line_items": line_items})

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["error_code"] == "invalid-input"
    assert field in error["details"]["fields"]
    from checkout.models import CheckoutSession

    assert CheckoutSession.objects.count() == 0


def test_bad_buyer_email_is_invalid_input(shop):
    response = shop.post("checkout/create", cart(("bouquet_roses", 1), buyer={"email": "nope"}))

    assert response.json()["error"]["details"]["fields"].keys() == {"buyer.email"}


def test_update_requires_expected_revision(shop):
    guid = shop.post("checkout/create", cart(("bouquet_roses", 1))).json()["data"]["checkout_guid"]

    response = shop.post("checkout/update", {"checkout_guid": guid, **cart(("pot_ceramic", 1))})

    assert response.status_code == 428


def test_final_sessions_refuse_update_and_cancel(shop):
    guid = shop.post("checkout/create", cart(("bouquet_roses", 1))).json()["data"]["checkout_guid"]
    canceled = shop.post("checkout/cancel", {"checkout_guid": guid, "expected_revision": 1})
    assert canceled.json()["data"]["status"] == "canceled"

    for route, body in [("checkout/update", cart(("pot_ceramic", 1))), ("checkout/cancel", {})]:
        response = shop.post(route, {"checkout_guid": guid, "expected_revision": 2, **body})
        assert response.status_code == 409
        assert response.json()["error"]["error_code"] == "invalid-state"

    complete = shop.post("checkout/complete", {"checkout_guid": guid})
    assert complete.json()["error"]["error_code"] == "invalid-state"


def test_incomplete_session_cannot_complete(shop):
    guid = shop.post("checkout/create", cart(("bouquet_roses", 1))).json()["data"]["checkout_guid"]

    response = shop.post("checkout/complete", {"checkout_guid": guid})

    assert response.status_code == 409
    assert Order.objects.count() == 0


def test_another_platforms_session_is_not_found(shop, api, flower_shop, other_org):
    guid = shop.post("checkout/create", cart(("bouquet_roses", 1))).json()["data"]["checkout_guid"]
    same_org_platform, secret = platform_register(org=flower_shop, caption="Rival agent")
    other_org_platform, other_secret = platform_register(org=other_org, caption="Foreign agent")

    for platform, client_secret in [
        (same_org_platform, secret),
        (other_org_platform, other_secret),
    ]:
        client = SeedClient(api)
        creds = {"client_id": platform.client_id, "client_secret": client_secret}
        for route in ("checkout/get", "checkout/complete"):
            response = client.post(route, {**creds, "checkout_guid": guid})
            assert response.status_code == 404
            assert response.json()["error"]["error_code"] == "not-found"


def test_basic_auth_works_like_body_credentials(api, flower_shop, platform_credentials):
    api.credentials(
        HTTP_AUTHORIZATION="Basic "
        + __import__("base64")
        .b64encode(
            f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}".encode()
        )
        .decode()
    )

    response = api.post("/ucp/checkout/create", cart(("bouquet_roses", 1)), format="json")

    assert response.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_completes_make_one_order(flower_shop, platform_credentials):
    from rest_framework.test import APIClient

    creds = {k: platform_credentials[k] for k in ("client_id", "client_secret")}
    client = SeedClient(APIClient())
    created = client.post(
        "checkout/create",
        {**creds, **cart(("bouquet_roses", 3)), "buyer": BUYER, **shipping("std-ship")},
    )
    guid = created.json()["data"]["checkout_guid"]

    responses = run_in_threads(
        20,
        lambda: SeedClient(APIClient()).post("checkout/complete", {**creds, "checkout_guid": guid}),
    )

    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["data"]["scm_order_guid"] for r in responses}) == 1
    assert Order.objects.count() == 1
    assert InventoryLevel.objects.get(product__public_id="bouquet_roses").quantity == 1000 - 3


@pytest.mark.django_db(transaction=True)
def test_two_updates_with_one_revision_one_wins(flower_shop, platform_credentials):
    from rest_framework.test import APIClient

    creds = {k: platform_credentials[k] for k in ("client_id", "client_secret")}
    created = SeedClient(APIClient()).post(
        "checkout/create", {**creds, **cart(("bouquet_roses", 1))}
    )
    guid = created.json()["data"]["checkout_guid"]

    def update(item):
        body = {**creds, "checkout_guid": guid, "expected_revision": 1, **cart((item, 1))}
        return SeedClient(APIClient()).post("checkout/update", body)

    items = iter(["pot_ceramic", "bouquet_tulips"])
    lock = threading.Lock()

    def next_update():
        with lock:
            item = next(items)
        return update(item)

    responses = run_in_threads(2, next_update)

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["error"]["error_code"] == "revision-mismatch"
    from checkout.models import CheckoutSession

    assert CheckoutSession.objects.get(guid=guid).revision == 2
