"""Fulfillment: destinations, options by country with the `default` fallback, selection,
free-shipping promotions, and address-book ids for sessions with a linked customer."""

import pytest

from catalog.models import Customer, ShippingRate
from checkout import services
from checkout.pricing import DestinationRequest, FulfillmentRequest, RequestedLine
from tests.checkout.support import (
    BUYER,
    DE_ADDRESS,
    US_ADDRESS,
    assert_totals_add_up,
    cart,
    codes,
    shipping,
    totals_of,
)
from ucp import errors


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


def create(shop, *lines, **extra):
    response = shop.post("checkout/create", cart(*lines, buyer=BUYER, **extra))
    assert response.status_code == 201, response.content
    return response.json()["data"]


def group_of(data):
    return data["fulfillment"]["methods"][0]["groups"][0]


def test_without_a_destination_the_session_says_so(shop):
    data = create(shop, ("bouquet_tulips", 1))

    assert data["status"] == "incomplete"
    assert data["fulfillment"] == {"methods": []}
    (missing,) = [m for m in data["messages"] if m["type"] == "error"]
    assert missing["code"] == "missing"
    assert missing["path"] == "$.fulfillment.methods[0].destinations"


def test_us_options_use_the_country_row_and_the_default_row(shop):
    data = create(shop, ("bouquet_tulips", 1), **shipping())

    method = data["fulfillment"]["methods"][0]
    assert method["type"] == "shipping"
    assert method["destinations"] == [{"id": "dest_1", **US_ADDRESS}]
    assert method["selected_destination_id"] == "dest_1"
    group = group_of(data)
    assert group["line_item_ids"] == [line["id"] for line in data["line_items"]]
    assert [(o["id"], o["totals"][-1]["amount"]) for o in group["options"]] == [
        ("std-ship", 500),
        ("exp-ship-us", 1500),
    ]
    assert group["selected_option_id"] is None
    assert data["status"] == "incomplete"
    assert [m["path"] for m in data["messages"] if m["type"] == "error"] == [
        "$.fulfillment.methods[0].groups[0].selected_option_id"
    ]


def test_other_countries_get_the_default_rows(shop):
    data = create(shop, ("bouquet_tulips", 1), **shipping(address=DE_ADDRESS))

    assert [o["id"] for o in group_of(data)["options"]] == ["std-ship", "exp-ship-intl"]


def test_selected_option_enters_the_totals(shop):
    data = create(shop, ("bouquet_tulips", 1), **shipping("exp-ship-us"))

    assert data["status"] == "ready_for_complete", data["messages"]
    assert group_of(data)["selected_option_id"] == "exp-ship-us"
    assert totals_of(data) == {"subtotal": 3000, "fulfillment": 1500, "total": 4500}
    assert_totals_add_up(data)


def test_option_not_offered_for_the_country_is_a_message(shop):
    data = create(shop, ("bouquet_tulips", 1), **shipping("exp-ship-us", address=DE_ADDRESS))

    assert data["status"] == "incomplete"
    assert group_of(data)["selected_option_id"] is None
    error = next(m for m in data["messages"] if m["type"] == "error")
    assert (error["code"], error["path"]) == (
        "invalid",
        "$.fulfillment.methods[0].groups[0].selected_option_id",
    )
    assert "fulfillment" not in totals_of(data)


def test_free_shipping_over_the_threshold(shop):
    data = create(shop, ("bouquet_tulips", 4), **shipping("std-ship"))

    standard, express = group_of(data)["options"]
    assert standard == {
        "id": "std-ship",
        "title": "Standard Shipping (Free)",
        "description": "Free Shipping on orders over $100",
        "totals": [
            {"type": "subtotal", "amount": 500},
            {"type": "discount", "amount": -500},
            {"type": "total", "amount": 0},
        ],
    }
    assert express["title"] == "Express Shipping (US)" and "description" not in express
    # What a shop shows the buyer: shipping costs nothing, and no order discount was applied.
    assert totals_of(data) == {"subtotal": 12000, "fulfillment": 0, "total": 12000}
    (waiver,) = data["discounts"]["applied"]
    assert waiver["automatic"] is True and "code" not in waiver
    assert waiver["title"] == "Free Shipping on orders over $100"
    assert waiver["allocations"] == [
        {"path": "$.fulfillment.methods[0].groups[0].options[0]", "amount": 500}
    ]
    assert any(m["code"] == "free_shipping" and m["type"] == "info" for m in data["messages"])
    assert_totals_add_up(data)


def test_express_is_not_waived_by_free_shipping(shop):
    data = create(shop, ("bouquet_tulips", 4), **shipping("exp-ship-us"))

    assert totals_of(data) == {"subtotal": 12000, "fulfillment": 1500, "total": 13500}
    assert data["discounts"]["applied"] == []
    titles = [option["title"] for option in group_of(data)["options"]]
    assert titles == ["Standard Shipping (Free)", "Express Shipping (US)"]
    assert_totals_add_up(data)


def test_without_a_promotion_no_option_is_free(shop):
    data = create(shop, ("bouquet_tulips", 3), **shipping())

    assert [o["title"] for o in group_of(data)["options"]] == [
        "Standard Shipping",
        "Express Shipping (US)",
    ]
    assert all(
        [t["type"] for t in o["totals"]] == ["subtotal", "total"] for o in group_of(data)["options"]
    )
    assert not any(m["code"] == "free_shipping" for m in data["messages"])


def test_under_the_threshold_shipping_is_charged(shop):
    data = create(shop, ("bouquet_tulips", 3), **shipping("std-ship"))

    assert totals_of(data) == {"subtotal": 9000, "fulfillment": 500, "total": 9500}
    assert data["discounts"]["applied"] == []


def test_threshold_is_measured_after_item_discounts(shop):
    # 4 tulips = 12000, but 10OFF brings the goods to 10800 - still over; WELCOME20 to 9600.
    over = create(shop, ("bouquet_tulips", 4), **shipping("std-ship"), **codes("10OFF"))
    under = create(shop, ("bouquet_tulips", 4), **shipping("std-ship"), **codes("WELCOME20"))

    assert totals_of(over)["total"] == 10800
    assert totals_of(under) == {
        "subtotal": 12000,
        "items_discount": -2400,
        "fulfillment": 500,
        "total": 10100,
    }


def test_free_shipping_for_eligible_items(shop):
    data = create(shop, ("bouquet_roses", 1), ("pot_ceramic", 1), **shipping("std-ship"))

    assert totals_of(data) == {"subtotal": 5000, "fulfillment": 0, "total": 5000}
    assert data["discounts"]["applied"][0]["title"] == "Free Shipping on Rose Bouquets"
    standard = group_of(data)["options"][0]
    assert standard["title"] == "Standard Shipping (Free)"
    assert standard["description"] == "Free Shipping on Rose Bouquets"
    assert_totals_add_up(data)


def test_destination_without_country_is_invalid_input(shop):
    address = {k: v for k, v in US_ADDRESS.items() if k != "address_country"}
    response = shop.post(
        "checkout/create", cart(("bouquet_tulips", 1), **shipping(address=address))
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == [
        "fulfillment.methods[0].destinations[0].address_country"
    ]


def test_country_without_rates_is_undeliverable(shop, flower_shop):
    ShippingRate.objects.filter(org=flower_shop, country_code="default").delete()

    data = create(shop, ("bouquet_tulips", 1), **shipping(address=DE_ADDRESS))

    assert group_of(data)["options"] == []
    assert any(m["code"] == "address_undeliverable" for m in data["messages"])
    assert data["status"] == "incomplete"


def test_address_book_id_needs_a_linked_customer(shop):
    response = shop.post(
        "checkout/create",
        cart(
            ("bouquet_tulips", 1), fulfillment={"methods": [{"destinations": [{"id": "addr_1"}]}]}
        ),
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == [
        "fulfillment.methods[0].destinations[0].id"
    ]


def test_address_book_id_of_the_linked_customer(flower_shop, platform_credentials):
    customer = Customer.objects.get(org=flower_shop, public_id="cust_1")

    session = services.checkout_create(
        platform=platform_credentials["platform"],
        lines=[RequestedLine(item_id="bouquet_tulips", quantity=1)],
        buyer=BUYER,
        customer=customer,
        fulfillment=FulfillmentRequest(
            destinations=(DestinationRequest(id="addr_2"),), selected_option_id="exp-ship-us"
        ),
    )

    destination = session.fulfillment["methods"][0]["destinations"][0]
    assert destination == {
        "id": "addr_2",
        "street_address": "456 Oak Ave",
        "address_locality": "Metropolis",
        "address_region": "NY",
        "postal_code": "10012",
        "address_country": "US",
    }
    assert session.status == "ready_for_complete"
    assert session.total_of("fulfillment") == 1500

    with pytest.raises(errors.InvalidInput) as problem:
        services.checkout_create(
            platform=platform_credentials["platform"],
            lines=[RequestedLine(item_id="bouquet_tulips", quantity=1)],
            customer=customer,
            fulfillment=FulfillmentRequest(destinations=(DestinationRequest(id="addr_3"),)),
        )
    assert "fulfillment.methods[0].destinations[0].id" in problem.value.details["fields"]


def test_update_keeps_fulfillment_when_omitted_and_reprices_it(shop):
    data = create(shop, ("bouquet_tulips", 1), **shipping("std-ship"))
    guid = data["checkout_guid"]

    bigger = shop.post(
        "checkout/update",
        {"checkout_guid": guid, "expected_revision": 1, **cart(("bouquet_tulips", 4))},
    ).json()["data"]

    assert group_of(bigger)["selected_option_id"] == "std-ship"
    # Now over the free-shipping threshold: the selected option is waived.
    assert totals_of(bigger) == {"subtotal": 12000, "fulfillment": 0, "total": 12000}
    assert group_of(bigger)["options"][0]["title"] == "Standard Shipping (Free)"
    assert bigger["status"] == "ready_for_complete"

    resent = shop.post(
        "checkout/update",
        {
            "checkout_guid": guid,
            "expected_revision": 2,
            **cart(("bouquet_tulips", 1)),
            "fulfillment": {
                "methods": [
                    {
                        "id": "shipping_1",
                        "destinations": [{"id": "dest_1"}],
                        "groups": [{"id": "group_1", "selected_option_id": "exp-ship-us"}],
                    }
                ]
            },
        },
    ).json()["data"]
    assert resent["fulfillment"]["methods"][0]["destinations"][0] == {"id": "dest_1", **US_ADDRESS}
    assert totals_of(resent) == {"subtotal": 3000, "fulfillment": 1500, "total": 4500}

    cleared = shop.post(
        "checkout/update",
        {
            "checkout_guid": guid,
            "expected_revision": 3,
            **cart(("bouquet_tulips", 1)),
            "fulfillment": {"methods": []},
        },
    ).json()["data"]
    assert cleared["fulfillment"] == {"methods": []}
    assert cleared["status"] == "incomplete"


def test_two_destinations_need_a_selection(shop):
    body = cart(
        ("bouquet_tulips", 1),
        fulfillment={"methods": [{"destinations": [US_ADDRESS, DE_ADDRESS]}]},
    )
    data = shop.post("checkout/create", {**body, "buyer": BUYER}).json()["data"]

    method = data["fulfillment"]["methods"][0]
    assert [d["id"] for d in method["destinations"]] == ["dest_1", "dest_2"]
    assert method["selected_destination_id"] is None
    assert data["messages"][0]["path"] == "$.fulfillment.methods[0].selected_destination_id"

    body["fulfillment"]["methods"][0].update(
        selected_destination_id="dest_2", groups=[{"selected_option_id": "exp-ship-intl"}]
    )
    chosen = shop.post("checkout/create", {**body, "buyer": BUYER}).json()["data"]
    assert totals_of(chosen)["fulfillment"] == 2500


def test_org_without_shipping_rates_needs_no_fulfillment(shop, flower_shop):
    ShippingRate.objects.filter(org=flower_shop).delete()

    data = create(shop, ("bouquet_tulips", 1))

    assert "fulfillment" not in data
    assert data["status"] == "ready_for_complete"


@pytest.mark.parametrize(
    "fulfillment, field",
    [
        ("ship it", "fulfillment"),
        ({"methods": "x"}, "fulfillment.methods"),
        ({"methods": [{"type": "pickup"}]}, "fulfillment.methods[0].type"),
        ({"methods": [{"destinations": [{"address_country": 5}]}]}, "address_country"),
        ({"methods": [{"destinations": [{}]}]}, "fulfillment.methods[0].destinations[0]"),
        (
            {"methods": [{"destinations": [US_ADDRESS], "groups": [{"selected_option_id": 7}]}]},
            "selected_option_id",
        ),
        ({"methods": [{}, {}]}, "fulfillment.methods"),
    ],
)
def test_malformed_fulfillment_is_invalid_input_naming_the_field(shop, fulfillment, field):
    from checkout.models import CheckoutSession

    response = shop.post("checkout/create", cart(("bouquet_tulips", 1), fulfillment=fulfillment))

    assert response.status_code == 400, response.content
    assert any(field in name for name in response.json()["error"]["details"]["fields"])
    assert CheckoutSession.objects.count() == 0


def test_unknown_selected_destination_is_invalid_input(shop):
    body = shipping("std-ship")
    body["fulfillment"]["methods"][0]["selected_destination_id"] = "dest_9"

    response = shop.post("checkout/create", cart(("bouquet_tulips", 1), **body))

    assert list(response.json()["error"]["details"]["fields"]) == [
        "fulfillment.methods[0].selected_destination_id"
    ]


def test_a_shipping_method_without_an_address_is_echoed(shop):
    data = shop.post(
        "checkout/create",
        cart(("bouquet_tulips", 1), fulfillment={"methods": [{"type": "shipping"}]}),
    ).json()["data"]

    method = data["fulfillment"]["methods"][0]
    assert method["type"] == "shipping"
    assert "destinations" not in method
    assert data["status"] == "incomplete"
    assert "$.fulfillment.methods[0].destinations" in [m["path"] for m in data["messages"]]
