"""Discount codes: stacking with truncation, replace/clear, warnings, exact allocations."""

import random

import pytest

from catalog.models import Discount, InventoryLevel, Product
from checkout.money import allocate
from tests.checkout.support import assert_totals_add_up, cart, codes, totals_of


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


def create(shop, *lines, **extra):
    response = shop.post("checkout/create", cart(*lines, **extra))
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_10off_then_welcome20_stack_with_truncation_after_each_step(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("10OFF", "WELCOME20"))

    first, second = data["discounts"]["applied"]
    assert (first["code"], first["amount"], first["priority"]) == ("10OFF", 350, 1)
    assert (second["code"], second["amount"], second["priority"]) == ("WELCOME20", 630, 2)
    assert totals_of(data) == {"subtotal": 3500, "items_discount": -980, "total": 2520}
    assert data["totals"][-1]["amount"] == int(int(3500 * 0.9) * 0.8)
    assert data["line_items"][0]["totals"] == [
        {"type": "subtotal", "amount": 3500},
        {"type": "items_discount", "amount": -980},
        {"type": "total", "amount": 2520},
    ]
    assert_totals_add_up(data)


def test_truncation_after_each_step_differs_from_one_combined_rate(shop, flower_shop):
    Product.objects.filter(public_id="pot_ceramic").update(price=1999)

    data = create(shop, ("pot_ceramic", 1), **codes("10OFF", "WELCOME20"))

    # 1999 → 1799 (1799.1 truncated) → 1439 (1439.2 truncated); 28 % of 1999 would leave 1439.28.
    assert [a["amount"] for a in data["discounts"]["applied"]] == [200, 360]
    assert data["totals"][-1]["amount"] == 1439


def test_fixed500(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("FIXED500"))

    assert data["discounts"]["applied"][0]["amount"] == 500
    assert totals_of(data) == {"subtotal": 3500, "items_discount": -500, "total": 3000}


def test_codes_match_case_insensitively_and_keep_the_spelling_sent(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("welcome20"))

    assert data["discounts"]["codes"] == ["welcome20"]
    assert data["discounts"]["applied"][0]["code"] == "welcome20"
    assert data["totals"][-1]["amount"] == 2800


def test_unknown_code_is_a_warning_and_stays_in_codes(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("BOGUS", "10OFF"))

    assert data["discounts"]["codes"] == ["BOGUS", "10OFF"]
    assert [a["code"] for a in data["discounts"]["applied"]] == ["10OFF"]
    warning = next(m for m in data["messages"] if m["type"] == "warning")
    assert warning["code"] == "discount_code_invalid"
    assert warning["path"] == "$.discounts.codes[0]"
    assert "BOGUS" in warning["content"]
    assert "severity" not in warning


def test_only_unknown_code_leaves_no_discount_total(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("NOPE"))

    assert totals_of(data) == {"subtotal": 3500, "total": 3500}
    assert data["discounts"]["applied"] == []


def test_every_rejected_code_gets_its_own_warning(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("10off", "NOPE", "10OFF", "gone"))

    warnings = {m["path"]: m["code"] for m in data["messages"] if m["type"] == "warning"}
    assert warnings == {
        "$.discounts.codes[1]": "discount_code_invalid",
        "$.discounts.codes[2]": "discount_code_already_applied",
        "$.discounts.codes[3]": "discount_code_invalid",
    }
    assert data["status"] == "incomplete"  # warnings do not block; the missing email does
    assert all(
        m["path"] != "$.discounts.codes[1]" for m in data["messages"] if m["type"] == "error"
    )


def test_inactive_code_is_rejected(shop, flower_shop):
    Discount.objects.filter(org=flower_shop, code="FIXED500").update(is_active=False)

    data = create(shop, ("bouquet_roses", 1), **codes("FIXED500"))

    assert data["discounts"]["applied"] == []
    assert data["messages"][0]["code"] == "discount_code_invalid"


def test_submitting_codes_replaces_the_list_omitting_keeps_it_and_empty_clears(shop):
    data = create(shop, ("bouquet_roses", 1), **codes("10OFF"))
    guid = data["checkout_guid"]

    def update(revision, **extra):
        body = {"checkout_guid": guid, "expected_revision": revision}
        response = shop.post("checkout/update", {**body, **cart(("bouquet_roses", 1)), **extra})
        assert response.status_code == 200, response.content
        return response.json()["data"]

    replaced = update(1, **codes("FIXED500"))
    assert replaced["discounts"]["codes"] == ["FIXED500"]
    assert [a["code"] for a in replaced["discounts"]["applied"]] == ["FIXED500"]

    kept = update(2)
    assert kept["discounts"]["codes"] == ["FIXED500"]
    assert kept["totals"][-1]["amount"] == 3000

    cleared = update(3, **codes())
    assert cleared["discounts"] == {"codes": [], "applied": []}
    assert totals_of(cleared) == {"subtotal": 3500, "total": 3500}


def test_three_line_cart_with_10_percent_allocations_sum_exactly(shop, flower_shop):
    odd = [("stem_a", 333), ("stem_b", 1001), ("stem_c", 77)]
    for public_id, price in odd:
        product = Product.objects.create(
            org=flower_shop, public_id=public_id, title=public_id, price=price
        )
        InventoryLevel.objects.create(product=product, quantity=10)

    data = create(shop, *[(public_id, 1) for public_id, _ in odd], **codes("10OFF"))

    applied = data["discounts"]["applied"][0]
    assert applied["amount"] == 1411 - 1411 * 90 // 100 == 142
    parts = [a["amount"] for a in applied["allocations"]]
    assert sum(parts) == 142
    # Proportional shares 33.5, 100.7, 7.7 floor to 140; the 2 units left go to the two
    # largest remainders (0.74 of stem_b and 0.75 of stem_c).
    assert parts == [33, 101, 8]
    assert [a["path"] for a in applied["allocations"]] == [
        "$.line_items[0]",
        "$.line_items[1]",
        "$.line_items[2]",
    ]
    assert_totals_add_up(data)


def test_three_line_cart_with_fixed_amount_and_percentage(shop):
    data = create(
        shop,
        ("bouquet_roses", 1),
        ("pot_ceramic", 1),
        ("bouquet_sunflowers", 1),
        **codes("FIXED500", "10OFF"),
    )

    fixed, percent = data["discounts"]["applied"]
    assert [a["amount"] for a in fixed["allocations"]] == [233, 100, 167]
    assert percent["amount"] == 700  # 10 % of the 7000 left after FIXED500
    assert data["totals"][-1]["amount"] == 6300
    assert_totals_add_up(data)


def test_fixed_amount_never_exceeds_the_goods(shop, flower_shop):
    Discount.objects.create(org=flower_shop, code="HUGE", type="fixed_amount", value=10_000)

    data = create(shop, ("pot_ceramic", 1), **codes("HUGE"))

    assert data["discounts"]["applied"][0]["amount"] == 1500
    assert data["totals"][-1]["amount"] == 0
    assert_totals_add_up(data)


@pytest.mark.parametrize("seed", range(5))
def test_allocate_always_sums_exactly(seed):
    rng = random.Random(seed)
    for _ in range(200):
        weights = [rng.randint(0, 10_000) for _ in range(rng.randint(1, 40))]
        amount = rng.randint(0, sum(weights))
        parts = allocate(amount, weights)
        assert sum(parts) == (amount if sum(weights) else 0)
        assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))


@pytest.mark.parametrize("bad", [["x" * 101], [5], "10OFF", [None], ["A"] * 21])
def test_bad_codes_are_invalid_input(shop, bad):
    response = shop.post("checkout/create", cart(("bouquet_roses", 1), discounts={"codes": bad}))

    assert response.status_code == 400
    assert any(
        f.startswith("discounts.codes") for f in response.json()["error"]["details"]["fields"]
    )
