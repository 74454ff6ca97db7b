"""Saved addresses (the customer's address book) in checkout fulfillment, as the org's
`saved_addresses` setting allows: offered when a platform sends a shipping method without
destinations, matched and saved when it sends an address without an id. A typed buyer email
reveals nothing unless the org trusts its platforms to assert it (`buyer_email`)."""

import base64
import json
import re
import uuid

import pytest
from rest_framework.test import APIClient

from catalog.models import Address, Customer
from catalog.services import catalog_import
from checkout import services
from checkout.models import CheckoutSession
from checkout.pricing import DestinationRequest, FulfillmentRequest, RequestedLine
from orgconfig.models import AuditEntry
from orgconfig.selectors import ucp_config_of
from orgconfig.services import ucp_config_set
from platforms.services import platform_register
from tests.checkout.support import US_ADDRESS, cart
from tests.concurrency import run_in_threads
from tests.conftest import FLOWER_SHOP, SeedClient
from tests.ucp_schemas import assert_valid, schema_errors

JOHN = {"email": "john.doe@example.com", "first_name": "John", "last_name": "Doe"}
ADDR_1 = US_ADDRESS  # cust_1's addr_1 in the flower-shop data
ADDR_2 = {
    "street_address": "456 Oak Ave",
    "address_locality": "Metropolis",
    "address_region": "NY",
    "postal_code": "10012",
    "address_country": "US",
}
NEW_ADDRESS = {
    "street_address": "789 Pine St",
    "address_locality": "Villagetown",
    "address_region": "NY",
    "postal_code": "10001",
    "address_country": "US",
}
SHIPPING_ONLY = {"methods": [{"type": "shipping"}]}
IMPORTED_ID = re.compile(r"^addr_\d+$")


def set_saved_addresses(org, value: str) -> None:
    ucp_config_set(
        org=org,
        actor="test",
        expected_revision=ucp_config_of(org=org).revision,
        changes={"saved_addresses": value},
    )


@pytest.fixture
def trusted(flower_shop):
    """The flower shop, trusting its platforms to assert the buyer's email."""
    set_saved_addresses(flower_shop, "buyer_email")
    return flower_shop


def platform_client(org) -> SeedClient:
    platform, secret = platform_register(org=org, caption="Address book agent")
    credentials = {"client_id": platform.client_id, "client_secret": secret}

    class Client(SeedClient):
        def post(self, route, body=None, **extra):
            return super().post(route, {**credentials, **(body or {})}, **extra)

    return Client(APIClient())


@pytest.fixture
def shop(flower_shop):
    return platform_client(flower_shop)


def create(client, buyer=JOHN, fulfillment=None, item="bouquet_tulips"):
    body = cart((item, 1), buyer=buyer)
    if fulfillment is not None:
        body["fulfillment"] = fulfillment
    response = client.post("checkout/create", body)
    assert response.status_code == 201, response.content
    return response.json()["data"]


def update(client, data, **fields):
    body = {
        "checkout_guid": data["checkout_guid"],
        "expected_revision": data["revision"],
        "line_items": [
            {"item": {"id": line["item"]["id"]}, "quantity": line["quantity"]}
            for line in data["line_items"]
        ],
        **fields,
    }
    response = client.post("checkout/update", body)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def ship_to(*destinations, **method) -> dict:
    return {"methods": [{"type": "shipping", "destinations": list(destinations), **method}]}


def method_of(data) -> dict:
    return data["fulfillment"]["methods"][0]


def destination_ids(data) -> list[str]:
    return [d["id"] for d in method_of(data).get("destinations", [])]


def error_paths(data) -> list[str]:
    return [m["path"] for m in data["messages"] if m["type"] == "error"]


def addresses_of(org, email) -> list[Address]:
    return list(
        Address.objects.filter(customer__org=org, customer__email__iexact=email).order_by("pk")
    )


# --- the setting -------------------------------------------------------------------------------


def test_the_setting_defaults_to_linked_customers_and_changes_are_audited(org, admin):
    config = admin.post("config/get").json()["data"]
    assert config["saved_addresses"] == "linked_customer"

    refused = admin.post(
        "config/set", {"expected_revision": config["revision"], "saved_addresses": "everyone"}
    )
    assert refused.status_code == 400
    assert list(refused.json()["error"]["details"]["fields"]) == ["saved_addresses"]

    changed = admin.post(
        "config/set", {"expected_revision": config["revision"], "saved_addresses": "buyer_email"}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["data"]["saved_addresses"] == "buyer_email"
    entry = AuditEntry.objects.get(org=org, action="ucp_config.set")
    assert entry.before["saved_addresses"] == "linked_customer"
    assert entry.after["saved_addresses"] == "buyer_email"


# --- by default a typed email reveals nothing ----------------------------------------------------


def test_by_default_a_buyer_email_gets_no_address_book(flower_shop, shop):
    customers, addresses = Customer.objects.count(), Address.objects.count()

    data = create(shop, fulfillment=SHIPPING_ONLY)
    assert "destinations" not in method_of(data)
    assert "$.fulfillment.methods[0].destinations" in error_paths(data)

    selected = update(
        shop,
        data,
        fulfillment={"methods": [{"type": "shipping", "selected_destination_id": "addr_2"}]},
    )
    assert "destinations" not in method_of(selected)

    matching = update(shop, selected, fulfillment=ship_to(ADDR_1))
    assert destination_ids(matching) == ["dest_1"]
    new = update(shop, matching, fulfillment=ship_to(NEW_ADDRESS))
    assert destination_ids(new) == ["dest_1"]

    refused = shop.post(
        "checkout/create",
        cart(("bouquet_tulips", 1), buyer=JOHN, fulfillment=ship_to({"id": "addr_1"})),
    )
    assert refused.status_code == 400
    assert list(refused.json()["error"]["details"]["fields"]) == [
        "fulfillment.methods[0].destinations[0].id"
    ]

    assert (Customer.objects.count(), Address.objects.count()) == (customers, addresses)
    assert CheckoutSession.objects.get(guid=data["checkout_guid"]).customer is None


# --- a customer linked through identity linking -------------------------------------------------


def linked_create(platform, customer, fulfillment):
    return services.checkout_create(
        platform=platform,
        lines=[RequestedLine(item_id="bouquet_tulips", quantity=1)],
        buyer=JOHN,
        customer=customer,
        fulfillment=fulfillment,
    )


def linked_update(session, fulfillment):
    return services.checkout_update(
        session=session,
        expected_revision=session.revision,
        lines=[RequestedLine(item_id="bouquet_tulips", quantity=1)],
        fulfillment=fulfillment,
    )


def test_a_linked_customer_gets_the_address_book(flower_shop, platform_credentials):
    platform = platform_credentials["platform"]
    john = Customer.objects.get(org=flower_shop, public_id="cust_1")

    session = linked_create(platform, john, FulfillmentRequest(method_chosen=True))
    method = session.fulfillment["methods"][0]
    assert method["destinations"] == [{"id": "addr_1", **ADDR_1}, {"id": "addr_2", **ADDR_2}]
    assert method["selected_destination_id"] is None
    assert "$.fulfillment.methods[0].selected_destination_id" in error_paths(
        {"messages": session.messages}
    )

    session = linked_update(
        session, FulfillmentRequest(method_chosen=True, selected_destination_id="addr_2")
    )
    method = session.fulfillment["methods"][0]
    assert method["selected_destination_id"] == "addr_2"
    assert [o["id"] for o in method["groups"][0]["options"]] == ["std-ship", "exp-ship-us"]

    retyped = {**ADDR_1, "street_address": "123  MAIN st.", "address_country": "us"}
    session = linked_update(
        session, FulfillmentRequest(destinations=(DestinationRequest(address=retyped),))
    )
    assert session.fulfillment["methods"][0]["destinations"][0]["id"] == "addr_1"

    session = linked_update(
        session, FulfillmentRequest(destinations=(DestinationRequest(address=NEW_ADDRESS),))
    )
    new_id = session.fulfillment["methods"][0]["destinations"][0]["id"]
    saved = Address.objects.get(customer=john, public_id=new_id)
    assert (saved.street_address, saved.city, saved.country) == ("789 Pine St", "Villagetown", "US")
    assert not IMPORTED_ID.match(new_id)

    again = linked_create(platform, john, FulfillmentRequest(method_chosen=True))
    assert [d["id"] for d in again.fulfillment["methods"][0]["destinations"]] == [
        "addr_1",
        "addr_2",
        new_id,
    ]


def test_off_means_no_address_book_even_for_a_linked_customer(flower_shop, platform_credentials):
    set_saved_addresses(flower_shop, "off")
    platform = platform_credentials["platform"]
    john = Customer.objects.get(org=flower_shop, public_id="cust_1")

    session = linked_create(platform, john, FulfillmentRequest(method_chosen=True))
    assert "destinations" not in session.fulfillment["methods"][0]

    session = linked_update(
        session, FulfillmentRequest(destinations=(DestinationRequest(address=NEW_ADDRESS),))
    )
    assert session.fulfillment["methods"][0]["destinations"][0]["id"] == "dest_1"
    assert john.addresses.count() == 2


# --- buyer_email: the platform asserts who the buyer is ------------------------------------------


def test_the_buyer_emails_customer_is_offered_their_addresses_in_order(trusted, shop):
    data = create(shop, buyer={"email": "John.Doe@Example.COM"}, fulfillment=SHIPPING_ONLY)

    assert method_of(data)["destinations"] == [
        {"id": "addr_1", **ADDR_1},
        {"id": "addr_2", **ADDR_2},
    ]
    assert method_of(data)["selected_destination_id"] is None

    # The platform selects by id alone, without sending the destinations again.
    selected = update(
        shop,
        data,
        fulfillment={"methods": [{"type": "shipping", "selected_destination_id": "addr_2"}]},
    )
    method = method_of(selected)
    assert method["selected_destination_id"] == "addr_2"
    assert destination_ids(selected) == ["addr_1", "addr_2"]
    assert method["groups"][0]["options"]

    session = CheckoutSession.objects.get(guid=data["checkout_guid"])
    assert (session.customer.public_id, session.customer_source) == ("cust_1", "buyer_email")


def test_a_customer_without_saved_addresses_gets_none(trusted, shop):
    data = create(shop, buyer={"email": "jane.doe@example.com"}, fulfillment=SHIPPING_ONLY)

    assert "destinations" not in method_of(data)


def test_a_sent_address_matching_a_saved_one_gets_its_id(trusted, shop):
    retyped = {
        "street_address": "123 main st.",
        "address_locality": " SPRINGFIELD ",
        "address_region": "il",
        "postal_code": "62704",
        "address_country": "us",
        "first_name": "John",
    }

    data = create(shop, fulfillment=ship_to(retyped))

    (destination,) = method_of(data)["destinations"]
    assert destination["id"] == "addr_1"
    assert destination["first_name"] == "John"  # the recipient is the one sent
    assert [a.public_id for a in addresses_of(trusted, JOHN["email"])] == ["addr_1", "addr_2"]


def test_a_new_address_is_saved_for_a_new_email_and_offered_next_time(trusted, shop):
    email = f"new.user.{uuid.uuid4().hex[:8]}@example.com"
    buyer = {"email": email, "first_name": "New", "last_name": "User"}

    data = create(shop, buyer=buyer, fulfillment=ship_to(NEW_ADDRESS))

    (new_id,) = destination_ids(data)
    assert not IMPORTED_ID.match(new_id)
    assert method_of(data)["selected_destination_id"] == new_id
    customer = Customer.objects.get(org=trusted, email=email)
    assert (customer.name, customer.origin) == ("New User", "checkout")
    assert [a.public_id for a in customer.addresses.all()] == [new_id]

    again = create(shop, buyer={"email": email.upper()}, fulfillment=SHIPPING_ONLY)
    assert destination_ids(again) == [new_id]
    assert method_of(again)["destinations"][0]["street_address"] == "789 Pine St"
    assert Customer.objects.filter(org=trusted, email__iexact=email).count() == 1


def test_destinations_sent_with_ids_are_used_as_given(trusted, shop):
    new = {
        "id": "dest_new",
        "address_country": "CA",
        "postal_code": "M5V 2H1",
        "street_address": "1 New St",
    }
    data = create(shop, fulfillment=ship_to(new, selected_destination_id="dest_new"))

    assert destination_ids(data) == ["dest_new"]
    assert "exp-ship-intl" in [o["id"] for o in method_of(data)["groups"][0]["options"]]
    assert [a.public_id for a in addresses_of(trusted, JOHN["email"])] == ["addr_1", "addr_2"]


def test_another_buyer_email_switches_the_address_book(trusted, shop):
    data = create(shop, fulfillment=SHIPPING_ONLY)

    jane = update(shop, data, buyer={"email": "jane.smith@example.com"}, fulfillment=SHIPPING_ONLY)

    assert destination_ids(jane) == ["addr_3"]


def test_an_org_that_withdraws_its_trust_stops_showing_addresses(trusted, shop):
    data = create(shop, fulfillment=SHIPPING_ONLY)
    assert destination_ids(data) == ["addr_1", "addr_2"]

    set_saved_addresses(trusted, "linked_customer")
    data = update(shop, data, fulfillment=SHIPPING_ONLY)

    assert "destinations" not in method_of(data)
    session = CheckoutSession.objects.get(guid=data["checkout_guid"])
    assert (session.customer, session.customer_source) == (None, "")


def test_a_refused_request_saves_no_customer_and_no_address(trusted, shop):
    email = "refused@example.com"

    response = shop.post(
        "checkout/create",
        cart(("no_such_item", 1), buyer={"email": email}, fulfillment=ship_to(NEW_ADDRESS)),
    )

    assert response.status_code == 400
    assert not Customer.objects.filter(email=email).exists()
    assert not Address.objects.filter(street_address="789 Pine St").exists()


def test_address_books_never_cross_orgs(trusted, other_org):
    catalog_import(org=other_org, directory=FLOWER_SHOP)
    set_saved_addresses(other_org, "buyer_email")
    email = "shared.buyer@example.com"
    ours, theirs = platform_client(trusted), platform_client(other_org)

    saved_here = create(ours, buyer={"email": email}, fulfillment=ship_to(NEW_ADDRESS))
    (our_id,) = destination_ids(saved_here)

    there = create(theirs, buyer={"email": email}, fulfillment=SHIPPING_ONLY)
    assert "destinations" not in method_of(there)
    refused = theirs.post(
        "checkout/create",
        cart(("bouquet_tulips", 1), buyer={"email": email}, fulfillment=ship_to({"id": our_id})),
    )
    assert refused.status_code == 400

    saved_there = create(theirs, buyer={"email": email}, fulfillment=ship_to(NEW_ADDRESS))
    (their_id,) = destination_ids(saved_there)
    assert their_id != our_id
    assert [a.public_id for a in addresses_of(trusted, email)] == [our_id]
    assert [a.public_id for a in addresses_of(other_org, email)] == [their_id]


def test_emails_the_database_lowercases_alike_are_one_customer(trusted, shop):
    """The Kelvin sign (U+212A) lowercases to "k" but uppercases to itself: a lookup by UPPER
    (iexact) missed the customer the LOWER unique constraint then refused to duplicate (500)."""
    first = create(shop, buyer={"email": "k.buyer@example.com"})
    second = create(shop, buyer={"email": "\u212a.buyer@example.com"})

    sessions = CheckoutSession.objects.filter(
        guid__in=[first["checkout_guid"], second["checkout_guid"]]
    )
    assert all(session.customer_id for session in sessions)
    assert Customer.objects.filter(org=trusted, origin="checkout").count() == len(
        {session.customer_id for session in sessions}
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "email", ["john.doe@example.com", "racing.buyer@example.com"], ids=["known", "new"]
)
def test_concurrent_identical_saves_make_one_customer_and_one_address(trusted, email):
    clients = [platform_client(trusted) for _ in range(8)]
    body = cart(("bouquet_tulips", 1), buyer={"email": email}, fulfillment=ship_to(NEW_ADDRESS))
    pending = iter(clients)

    def checkout():
        response = next(pending).post("checkout/create", body)
        return response.status_code, destination_ids(response.json()["data"])

    results = run_in_threads(len(clients), checkout)

    assert {status for status, _ in results} == {201}
    assert len({ids[0] for _, ids in results}) == 1
    assert Customer.objects.filter(org=trusted, email=email).count() == 1
    saved = [a for a in addresses_of(trusted, email) if a.street_address == "789 Pine St"]
    assert len(saved) == 1


# --- the REST binding shares it -----------------------------------------------------------------


def fulfillment_schema_errors(version: str, body: dict) -> list:
    pointer = "/$defs/checkout" if version == "2026-01-11" else "/$defs/dev.ucp.shopping.checkout"
    return schema_errors(body, version, "schemas/shopping/fulfillment.json", pointer)


@pytest.mark.parametrize("version", ["2026-04-08", "2026-01-11"])
def test_the_rest_binding_offers_and_saves_the_same_way(trusted, platform_credentials, version):
    token = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    auth = {
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(token.encode()).decode(),
        "HTTP_UCP_AGENT": f'profile="https://agent.invalid/profile"; version="{version}"',
    }
    api = APIClient()
    base = f"/ucp/rest/{trusted.orgcode}/checkout-sessions"

    def call(method, path, body):
        response = getattr(api, method)(
            path, data=json.dumps(body), content_type="application/json", **auth
        )
        assert response.status_code in (200, 201), response.content
        document = response.json()
        assert_valid(version, "shopping/checkout.json", document)
        assert not fulfillment_schema_errors(version, document)
        return document

    lines = [{"item": {"id": "bouquet_tulips"}, "quantity": 1}]
    created = call("post", base, {"line_items": lines, "buyer": {"email": JOHN["email"]}})
    path = f"{base}/{created['id']}"

    # PUT replaces the buyer (none sent here); the email the platform asserted still counts.
    offered = call("put", path, {"line_items": lines, "fulfillment": SHIPPING_ONLY})
    assert destination_ids(offered) == ["addr_1", "addr_2"]

    selected = call(
        "put",
        path,
        {
            "line_items": lines,
            "fulfillment": {"methods": [{"type": "shipping", "selected_destination_id": "addr_2"}]},
        },
    )
    assert method_of(selected)["selected_destination_id"] == "addr_2"

    matched = call("put", path, {"line_items": lines, "fulfillment": ship_to(ADDR_1)})
    assert destination_ids(matched) == ["addr_1"]

    saved = call("put", path, {"line_items": lines, "fulfillment": ship_to(NEW_ADDRESS)})
    (new_id,) = destination_ids(saved)
    assert new_id in [a.public_id for a in addresses_of(trusted, JOHN["email"])]
