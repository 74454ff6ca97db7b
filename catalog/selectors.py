"""Reads of an org's catalog."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

from catalog.models import (
    Address,
    Customer,
    Discount,
    InventoryLevel,
    Product,
    Promotion,
    ShippingRate,
)
from orgconfig.models import Org


def products_by_public_id(*, org: Org, public_ids) -> dict[str, Product]:
    """Active products with these ids, with their stock, in one query."""
    products = Product.objects.select_related("inventory").filter(
        org=org, public_id__in=set(public_ids), is_active=True
    )
    return {product.public_id: product for product in products}


@dataclass(frozen=True)
class PriceBounds:
    """Inclusive bounds on a product's unit price, in its currency's minor units."""

    low: int | None = None
    high: int | None = None


def products_on_sale(*, org: Org) -> QuerySet[Product]:
    """The org's active products with their stock, in id order (ids are unique per org, so the
    order is total and pages cut by id never skip or repeat a product)."""
    return (
        Product.objects.select_related("inventory")
        .filter(org=org, is_active=True)
        .order_by("public_id")
    )


def within_price(products: QuerySet[Product], bounds: PriceBounds) -> QuerySet[Product]:
    if bounds.low is not None:
        products = products.filter(price__gte=bounds.low)
    if bounds.high is not None:
        products = products.filter(price__lte=bounds.high)
    return products


def product_search_page(
    *, org: Org, words, bounds: PriceBounds, after_id: str | None, limit: int
) -> tuple[list[Product], bool]:
    """One page of the products whose title or id contains every word (case-insensitively),
    within the price bounds, after the product `after_id`; and whether more follow. One query."""
    products = within_price(products_on_sale(org=org), bounds)
    for word in words:
        products = products.filter(Q(title__icontains=word) | Q(public_id__icontains=word))
    if after_id is not None:
        products = products.filter(public_id__gt=after_id)
    # One row more than the page tells whether another page follows, without counting.
    rows = list(products[: limit + 1])
    return rows[:limit], len(rows) > limit


def products_looked_up(*, org: Org, public_ids, bounds: PriceBounds) -> dict[str, Product]:
    """Active products with these ids within the price bounds, keyed by id, in one query."""
    products = within_price(products_on_sale(org=org), bounds)
    return {product.public_id: product for product in products.filter(public_id__in=public_ids)}


def catalog_currencies(*, org: Org) -> set[str]:
    """The currencies the org's active products are priced in."""
    return set(
        Product.objects.filter(org=org, is_active=True)
        .values_list("currency", flat=True)
        .distinct()
        .order_by()
    )


def stock_of(product: Product) -> int:
    inventory = getattr(product, "inventory", None)
    return inventory.quantity if inventory is not None else 0


def customer_get(*, org: Org, public_id: str) -> Customer | None:
    if not isinstance(public_id, str):
        return None
    return Customer.objects.filter(org=org, public_id=public_id).first()


def discounts_by_code(*, org: Org, codes) -> dict[str, Discount]:
    """Active discounts whose code is one of `codes` (upper-cased), keyed by code, in one query."""
    wanted = {code.upper() for code in codes}
    if not wanted:
        return {}
    return {
        discount.code: discount
        for discount in Discount.objects.filter(org=org, code__in=wanted, is_active=True)
    }


def free_shipping_promotions(*, org: Org) -> list[Promotion]:
    return list(
        Promotion.objects.filter(
            org=org, type=Promotion.Type.FREE_SHIPPING, is_active=True
        ).order_by("public_id")
    )


def shipping_rates_of(*, org: Org) -> list[ShippingRate]:
    return list(ShippingRate.objects.filter(org=org).order_by("price", "public_id"))


def customer_by_email(*, org: Org, email: str) -> Customer | None:
    """The org's customer with this email, compared case-insensitively; the oldest one when the
    org's own data lists the email more than once.

    Compared as the database lowercases both sides, which is how the unique constraint
    `one_checkout_customer_per_email` compares them: `iexact` (UPPER) disagrees for a few
    characters (the Kelvin sign lowercases to "k" but uppercases to itself), and the customer the
    constraint says exists must be the one found here."""
    return (
        Customer.objects.annotate(email_lower=Lower("email"))
        .filter(org=org, email_lower=Lower(Value(email)))
        .order_by("pk")
        .first()
    )


def saved_addresses_of(*, customer: Customer) -> list[Address]:
    """The customer's saved addresses in the order they were saved (imported ones first)."""
    return list(Address.objects.filter(customer=customer).order_by("pk"))


def addresses_by_public_id(*, customer: Customer, public_ids) -> dict[str, Address]:
    wanted = set(public_ids)
    if not wanted:
        return {}
    return {
        address.public_id: address
        for address in Address.objects.filter(customer=customer, public_id__in=wanted)
    }


def stock_for_update(*, org: Org, public_ids) -> dict[str, tuple[int, int]]:
    """`public_id → (product pk, units on hand)` of active products, their inventory rows locked
    until the caller's transaction ends (in pk order, so overlapping carts cannot deadlock).
    Must run inside a transaction. Products without stock rows or no longer sold are absent."""
    rows = (
        InventoryLevel.objects.select_for_update(of=("self",))
        .filter(product__org=org, product__public_id__in=set(public_ids), product__is_active=True)
        .order_by("pk")
        .values_list("product__public_id", "product_id", "quantity")
    )
    return {public_id: (product_id, quantity) for public_id, product_id, quantity in rows}
