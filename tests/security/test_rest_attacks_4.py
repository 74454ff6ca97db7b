"""Fourth adversarial pass on the UCP REST binding: responses of rarely reached states checked
against each version's schemas, payment display data, the version header, idempotency and
concurrent writes. Every answer is JSON with a stable code, never a 500, and valid where it is
a resource."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import InventoryLevel
from checkout.models import CheckoutSession
from checkout.rest.settings import rest_settings_set
from orders.models import Order
from orders.services import order_cancel
from orgconfig.selectors import org_settings
from tests.checkout.test_rest_binding import (
    BOTH,
    EXTENDED_CHECKOUT,
    NEW,
    OLD,
    RestClient,
    agent,
    complete_body,
    create_body,
    ready_checkout,
)
from tests.concurrency import run_in_threads
from tests.ucp_schemas import schema_errors

SIM = "simulation-secret-for-tests"


@pytest.fixture
def shop(flower_shop):
    settings = org_settings(org=flower_shop)
    settings.payment_handlers = ["mock_payment_handler", "none"]
    settings.save()
    return flower_shop


@pytest.fixture
def rest(api, shop, platform_credentials):
    api.raise_request_exception = False
    token = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    basic = "Basic " + base64.b64encode(token.encode()).decode()
    return RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=basic)


def checkout_schema_errors(body: dict, version: str) -> list:
    """Errors of a checkout against the version's checkout schema and the fulfillment and
    discount extensions of it."""
    extended = EXTENDED_CHECKOUT[version]
    found = []
    for schema, pointer in (
        ("checkout.json", ""),
        ("fulfillment.json", extended),
        ("discount.json", extended),
    ):
        found += schema_errors(body, version, f"schemas/shopping/{schema}", pointer)
    return found


def instrument_of(body: dict, version: str) -> dict:
    return body["payment_data"] if version == OLD else body["payment"]["instruments"][0]


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize(
    "field,value",
    [
        ("brand", {"a": 1}),
        ("brand", 5),
        ("last_digits", ["1234"]),
        ("expiry_month", "12"),
        ("expiry_year", True),
        ("card_art", 5),
        ("display", {"brand": {"a": 1}}),
        ("display", {"expiry_month": "x"}),
    ],
)
def test_payment_display_fields_of_the_wrong_type_are_refused(rest, version, field, value):
    """They were stored with the session and the order and broke every later 2026-01-11
    response (a card's brand and last digits are strings, its expiry integers)."""
    checkout = ready_checkout(rest, version)
    body = complete_body(version)
    instrument_of(body, version)[field] = value

    response = rest.call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", body, version=version
    )

    assert response.status_code == 400, response.content
    answer = response.json()
    assert (answer["code"] if version == NEW else answer["messages"][0]["code"]) == (
        "invalid_request"
    )
    name = field if field != "display" else f"display.{next(iter(value))}"
    assert f".{name}: must be" in (answer.get("content") or answer.get("detail"))
    again = rest.call("get", f"/checkout-sessions/{checkout['id']}", version=version)
    assert again.json()["status"] == "ready_for_complete"


@pytest.mark.parametrize("paid_in", BOTH)
def test_a_checkout_paid_without_card_details_reads_valid_in_2026_01_11(rest, paid_in):
    """2026-01-11 knows only card instruments with a brand and last digits; one paid with a
    bare token (or with null display fields) was shown without them, breaking the schema in
    the complete response and every later read in that version."""
    checkout = ready_checkout(rest, paid_in)
    body = complete_body(paid_in)
    instrument = instrument_of(body, paid_in)
    instrument.pop("brand", None)
    instrument.pop("last_digits", None)
    instrument["expiry_month"] = None

    completed = rest.call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", body, version=paid_in
    )
    read = rest.call("get", f"/checkout-sessions/{checkout['id']}", version=OLD)

    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "completed"
    assert checkout_schema_errors(completed.json(), paid_in) == []
    assert read.status_code == 200
    assert checkout_schema_errors(read.json(), OLD) == []
    assert read.json()["payment"]["instruments"] == []
    if paid_in == NEW:
        (shown,) = completed.json()["payment"]["instruments"]
        assert "expiry_month" not in shown


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_that_are_not_finite_are_refused(rest, version, number):
    """Python's json reads them (1e999 as infinity), PostgreSQL's jsonb does not: free-form
    display data holding one failed the order insert with a 500 at complete."""
    checkout = ready_checkout(rest, version)
    body = complete_body(version)
    instrument_of(body, version)["display"] = {"points": "NUMBER"}
    raw = json.dumps(body).replace('"NUMBER"', number)
    stock = InventoryLevel.objects.get(product__public_id="bouquet_roses").quantity

    response = rest.api.post(
        f"{rest.base}/checkout-sessions/{checkout['id']}/complete",
        data=raw,
        content_type="application/json",
        HTTP_UCP_AGENT=agent(version),
        **rest.auth,
    )

    assert response.status_code == 400, response.content
    answer = response.json()
    content = answer.get("content") or answer.get("detail")
    assert content.endswith("display.points: must be a finite number"), content
    assert Order.objects.count() == 0
    assert InventoryLevel.objects.get(product__public_id="bouquet_roses").quantity == stock
    again = rest.call("get", f"/checkout-sessions/{checkout['id']}", version=version)
    assert again.json()["status"] == "ready_for_complete"


def assert_not_found(response, version):
    if version == NEW:
        assert response.status_code == 200, response.content
        assert (
            schema_errors(response.json(), NEW, "schemas/shopping/types/error_response.json") == []
        )
        assert response.json()["messages"][0]["code"] == "not_found"
    else:
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize("resource_id", ["not-a-uuid", "0" * 33, "%20"])
def test_an_id_that_is_not_ours_is_not_found_not_invalid(rest, version, resource_id):
    """UCP ids are opaque: an id in another format names no session or order, and was a 400
    invalid_request where an unknown id is not_found (both versions tell them apart)."""
    rest.api.raise_request_exception = False
    calls = [
        ("get", f"/checkout-sessions/{resource_id}", None),
        ("put", f"/checkout-sessions/{resource_id}", create_body()),
        ("post", f"/checkout-sessions/{resource_id}/complete", complete_body(version)),
        ("post", f"/checkout-sessions/{resource_id}/cancel", None),
        ("get", f"/orders/{resource_id}", None),
    ]
    for method, path, body in calls:
        assert_not_found(rest.call(method, path, body, version=version), version)


@pytest.mark.parametrize("spelling", [str.upper, lambda guid: "urn:uuid:" + guid])
def test_an_idempotency_key_replays_under_another_spelling_of_the_id(rest, spelling):
    """uuid.UUID reads upper case and `urn:uuid:` too, and the key's scope held the id as sent:
    a retry of a complete under another spelling ran again and was refused as a second
    complete (409) instead of replaying the stored 200."""
    checkout = ready_checkout(rest, NEW)
    body = complete_body(NEW)

    first = rest.call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", body, key="complete-once"
    )
    retry = rest.call(
        "post",
        f"/checkout-sessions/{spelling(checkout['id'])}/complete",
        body,
        key="complete-once",
    )

    assert first.status_code == 200, first.content
    assert retry.status_code == 200, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_simulations_of_one_shipment_all_answer_shipped(shop, platform_credentials):
    """The suite may simulate a shipment again (200); concurrent repeats read the status
    unlocked, all tried to ship, and all but one got a 409 from the order service."""
    rest_settings_set(org=shop, actor="test", simulation_enabled=True, simulation_secret=SIM)
    token = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    basic = "Basic " + base64.b64encode(token.encode()).decode()

    def client():
        api = APIClient()
        api.raise_request_exception = False
        return RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=basic)

    checkout = ready_checkout(client(), NEW)
    completed = client().call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", complete_body(NEW)
    )
    order_id = completed.json()["order"]["id"]

    responses = run_in_threads(
        6,
        lambda: client().call(
            "post",
            f"/testing/simulate-shipping/{order_id}",
            headers={"HTTP_SIMULATION_SECRET": SIM},
        ),
    )

    assert [r.status_code for r in responses] == [200] * 6, [r.content for r in responses]
    order = Order.objects.get(guid=order_id)
    assert order.status == "shipped"
    assert [event["type"] for event in order.fulfillment_events] == ["shipped"]


@pytest.mark.parametrize("version", BOTH)
def test_complete_of_an_expired_session_is_not_modifiable_not_not_ready(rest, version):
    """Before the expiry task cancels it, complete of an expired session was read as "not
    ready": 2026-04-08 answered 200 with the checkout still ready_for_complete and no message
    (a client retries for ever), 2026-01-11 a 400 saying something was missing."""
    checkout = ready_checkout(rest, version)
    CheckoutSession.objects.filter(guid=checkout["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = rest.call(
        "post",
        f"/checkout-sessions/{checkout['id']}/complete",
        complete_body(version),
        version=version,
    )

    assert response.status_code == 409, response.content
    answer = response.json()
    assert (answer["code"] if version == NEW else answer["messages"][0]["code"]) == (
        "checkout_not_modifiable"
    )
    assert "expired" in (answer.get("content") or answer.get("detail"))
    assert Order.objects.count() == 0


@pytest.mark.parametrize("version", [NEW, OLD])
def test_reading_an_expired_session_shows_it_canceled(rest, version):
    """Before the expiry task reached it, GET showed an expired session as ready_for_complete,
    which a platform would try to complete and fail."""
    checkout = ready_checkout(rest, version)
    CheckoutSession.objects.filter(guid=checkout["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = rest.call("get", f"/checkout-sessions/{checkout['id']}", version=version)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"
    assert checkout_schema_errors(response.json(), version) == []


def test_simulating_shipment_of_a_canceled_order_names_the_order(rest, shop):
    """It answered 409 `checkout_not_modifiable`, the code of a checkout that cannot change."""
    rest_settings_set(org=shop, actor="test", simulation_enabled=True, simulation_secret=SIM)
    checkout = ready_checkout(rest, NEW)
    completed = rest.call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", complete_body(NEW)
    )
    order = Order.objects.get(guid=completed.json()["order"]["id"])
    order_cancel(order=order, actor="test", reason="test")

    response = rest.call(
        "post",
        f"/testing/simulate-shipping/{order.guid}",
        headers={"HTTP_SIMULATION_SECRET": SIM},
    )

    assert response.status_code == 409, response.content
    assert response.json() == {
        "code": "order_not_shippable",
        "content": "An order that is canceled cannot be marked shipped.",
    }


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize(
    "codes,problem",
    [
        (["NOPE"] * 21, "at most 20 codes"),
        (["X" * 101], "each code has at most 100 characters"),
    ],
)
def test_discount_codes_have_the_seed_routes_limits(rest, version, codes, problem):
    """Unbounded on this binding: a 750 kB body of short unknown codes was stored and answered
    as a 22 MB checkout (one warning message per code), on every later read too."""
    checkout = rest.call("post", "/checkout-sessions", create_body(), version=version).json()
    body = create_body()
    body["discounts"] = {"codes": codes}

    for method, path in (
        ("post", "/checkout-sessions"),
        ("put", f"/checkout-sessions/{checkout['id']}"),
    ):
        response = rest.call(method, path, body, version=version)
        assert response.status_code == 400, response.content
        answer = response.json()
        assert (answer.get("content") or answer.get("detail")) == f"discounts.codes: {problem}"

    accepted = dict(body, discounts={"codes": ["10OFF"] + ["NOPE"] * 19})
    assert rest.call("post", "/checkout-sessions", accepted, version=version).status_code == 201


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize("field,limit", [("street_address", 300), ("postal_code", 20), ("id", 100)])
def test_destination_fields_have_the_seed_routes_lengths(rest, version, field, limit):
    """Unbounded on this binding: an address of any length (up to the body limit) was stored
    with the session and went on to the order and its webhooks."""
    address = {
        "street_address": "1 Main St",
        "address_locality": "Springfield",
        "postal_code": "62701",
        "address_country": "US",
    }

    def create_with(value):
        body = create_body()
        destination = {**address, field: value}
        body["fulfillment"] = {"methods": [{"type": "shipping", "destinations": [destination]}]}
        return rest.call("post", "/checkout-sessions", body, version=version)

    too_long = create_with("9" * (limit + 1))
    at_limit = create_with("9" * limit)

    assert too_long.status_code == 400, too_long.content
    answer = too_long.json()
    assert (answer.get("content") or answer.get("detail")) == (
        f"fulfillment.methods[0].destinations[0].{field}: at most {limit} characters"
    )
    assert at_limit.status_code == 201, at_limit.content
