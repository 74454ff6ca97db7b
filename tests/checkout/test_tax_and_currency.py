"""Tax per org with half-up rounding, and currencies with 0 and 3 decimal places."""

import pytest

from catalog.models import Product
from catalog.services import catalog_import
from checkout.money import currency_exponent, format_minor, tax_on
from orders.models import Order
from orgconfig.selectors import org_settings
from orgconfig.services import org_create
from platforms.services import platform_register
from tests.checkout.support import BUYER, assert_totals_add_up, cart, codes, shipping, totals_of
from tests.conftest import FLOWER_SHOP, SeedClient


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


def test_tax_on_goods_after_discounts_plus_shipping_rounded_half_up(shop, flower_shop):
    settings = org_settings(org=flower_shop)
    settings.tax_rate_bps = 825
    settings.save()
    Product.objects.filter(public_id="pot_ceramic").update(price=1999)

    data = shop.post(
        "checkout/create",
        cart(("pot_ceramic", 1), buyer=BUYER, **shipping("std-ship"), **codes("FIXED500")),
    ).json()["data"]

    # (1999 - 500 + 500) × 8.25 % = 164.9175 → 165
    assert totals_of(data) == {
        "subtotal": 1999,
        "items_discount": -500,
        "fulfillment": 500,
        "tax": 165,
        "total": 2164,
    }
    assert_totals_add_up(data)


def test_tax_rounding_rule():
    assert tax_on(1000, 825) == 83  # 82.5 rounds up
    assert tax_on(1006, 825) == 83  # 82.995
    assert tax_on(1005, 825) == 83  # 82.9125
    assert tax_on(1, 825) == 0
    assert tax_on(0, 825) == 0
    assert tax_on(5000, 0) == 0


def test_org_without_tax_shows_no_tax_line(shop):
    data = shop.post("checkout/create", cart(("pot_ceramic", 1))).json()["data"]

    assert "tax" not in totals_of(data)


def sell_in(currency: str, orgcode: str, tax_rate_bps: int = 0):
    org = org_create(orgcode=orgcode, name=f"{currency} florist")
    catalog_import(org=org, directory=FLOWER_SHOP, currency=currency)
    settings = org_settings(org=org)
    settings.tax_rate_bps = tax_rate_bps
    settings.save()
    platform, secret = platform_register(org=org, caption=f"{currency} agent")
    from rest_framework.test import APIClient

    client = SeedClient(APIClient())
    credentials = {"client_id": platform.client_id, "client_secret": secret}
    return lambda route, body: client.post(route, {**credentials, **body})


def test_jpy_amounts_have_no_decimals(db):
    post = sell_in("JPY", "YEN", tax_rate_bps=1000)

    data = post(
        "checkout/create",
        cart(
            ("bouquet_roses", 1), buyer=BUYER, **shipping("std-ship"), **codes("10OFF", "WELCOME20")
        ),
    ).json()["data"]

    assert data["currency"] == "JPY"
    # ¥3500 → ¥3150 → ¥2520; shipping waived (roses), so ¥0; 10 % tax on ¥2520 = ¥252.
    assert totals_of(data) == {
        "subtotal": 3500,
        "items_discount": -980,
        "fulfillment": 0,
        "tax": 252,
        "total": 2772,
    }
    assert_totals_add_up(data)
    info = next(m for m in data["messages"] if m["code"] == "discount_applied")
    assert "¥1,480" in info["content"]

    completed = post("checkout/complete", {"checkout_guid": data["checkout_guid"]}).json()["data"]
    assert Order.objects.get(guid=completed["scm_order_guid"]).currency == "JPY"


def test_kwd_amounts_have_three_decimals(db):
    post = sell_in("KWD", "DINAR", tax_rate_bps=825)

    data = post(
        "checkout/create",
        cart(
            ("bouquet_tulips", 1),
            ("pot_ceramic", 1),
            buyer=BUYER,
            **shipping("exp-ship-us"),
            **codes("FIXED500"),
        ),
    ).json()["data"]

    assert data["currency"] == "KWD"
    # 4.500 KWD - 0.500 + 1.500 shipping = 5.500; tax 8.25 % = 0.45375 → 0.454.
    assert totals_of(data) == {
        "subtotal": 4500,
        "items_discount": -500,
        "fulfillment": 1500,
        "tax": 454,
        "total": 5954,
    }
    fixed = data["discounts"]["applied"][0]
    assert [a["amount"] for a in fixed["allocations"]] == [333, 167]
    assert_totals_add_up(data)
    assert "KWD" in next(m for m in data["messages"] if m["code"] == "discount_applied")["content"]


def test_currency_exponents_come_from_babel():
    assert [currency_exponent(c) for c in ("USD", "JPY", "KWD")] == [2, 0, 3]
    assert format_minor(1050, "USD") == "$10.50"
    assert format_minor(1050, "JPY") == "¥1,050"
    assert format_minor(1050, "KWD").endswith("1.050")


def test_mixed_currencies_are_invalid_input(shop, flower_shop):
    Product.objects.filter(org=flower_shop, public_id="pot_ceramic").update(currency="EUR")

    response = shop.post("checkout/create", cart(("bouquet_roses", 1), ("pot_ceramic", 1)))

    assert response.status_code == 400
    assert "line_items" in response.json()["error"]["details"]["fields"]
