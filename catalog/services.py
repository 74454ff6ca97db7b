"""Writes for the catalog: CSV import, stock reservation, and customers and addresses that
checkouts save."""

import csv
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Case, F, When

from catalog.addresses import columns_of, match_key, postal_address_of
from catalog.models import (
    Address,
    Customer,
    CustomerOrigin,
    Discount,
    InventoryLevel,
    Product,
    Promotion,
    ShippingRate,
)
from catalog.selectors import customer_by_email, saved_addresses_of
from orgconfig.models import Org
from ucp import errors

logger = logging.getLogger(__name__)


class CatalogImportError(Exception):
    """A row that cannot be imported; the message names the file and line."""


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        bucket = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            yield line, {key.strip(): (value or "").strip() for key, value in row.items() if key}


def integer(value: str, *, column: str, allow_blank: bool = False) -> int | None:
    if value == "" and allow_blank:
        return None
    try:
        return int(value)
    except ValueError:
        raise CatalogImportError(
            f"column {column!r} must be a whole number, got {value!r}"
        ) from None


def upsert(report: ImportReport, kind: str, model, lookup: dict, values: dict):
    """update_or_create that only writes when something changed, so a re-import is a no-op."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        report.count(kind, "created")
        return model.objects.create(**lookup, **values)
    changed = {k: v for k, v in values.items() if getattr(instance, k) != v}
    if not changed:
        report.count(kind, "unchanged")
        return instance
    for key, value in changed.items():
        setattr(instance, key, value)
    instance.save(update_fields=list(changed))
    report.count(kind, "updated")
    return instance


def import_products(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    upsert(
        report,
        "products",
        Product,
        {"org": org, "public_id": row["id"]},
        {
            "title": row["title"],
            "price": integer(row["price"], column="price"),
            "currency": currency,
            "image_url": row.get("image_url", ""),
        },
    )


def import_inventory(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    product = Product.objects.filter(org=org, public_id=row["product_id"]).first()
    if product is None:
        raise CatalogImportError(f"unknown product_id {row['product_id']!r}")
    upsert(
        report,
        "inventory",
        InventoryLevel,
        {"product": product},
        {"quantity": integer(row["quantity"], column="quantity")},
    )


def import_discounts(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    if row["type"] not in Discount.Type.values:
        raise CatalogImportError(f"unknown discount type {row['type']!r}")
    upsert(
        report,
        "discounts",
        Discount,
        {"org": org, "code": row["code"].upper()},
        {
            "type": row["type"],
            "value": integer(row["value"], column="value"),
            "description": row.get("description", ""),
        },
    )


def import_promotions(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    if row["type"] not in Promotion.Type.values:
        raise CatalogImportError(f"unknown promotion type {row['type']!r}")
    try:
        eligible = json.loads(row["eligible_item_ids"]) if row.get("eligible_item_ids") else []
    except json.JSONDecodeError:
        raise CatalogImportError("column 'eligible_item_ids' must be a JSON list") from None
    upsert(
        report,
        "promotions",
        Promotion,
        {"org": org, "public_id": row["id"]},
        {
            "type": row["type"],
            "description": row.get("description", ""),
            "min_subtotal": integer(
                row.get("min_subtotal", ""), column="min_subtotal", allow_blank=True
            ),
            "eligible_item_ids": eligible,
        },
    )


def import_shipping_rates(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    upsert(
        report,
        "shipping_rates",
        ShippingRate,
        {"org": org, "public_id": row["id"]},
        {
            "country_code": row["country_code"],
            "service_level": row["service_level"],
            "price": integer(row["price"], column="price"),
            "title": row["title"],
        },
    )


def import_customers(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    upsert(
        report,
        "customers",
        Customer,
        {"org": org, "public_id": row["id"]},
        {
            "name": row["name"],
            "email": row["email"],
            "phone_number": row.get("phone_number", ""),
        },
    )


def import_addresses(org: Org, row: dict, report: ImportReport, currency: str) -> None:
    customer = Customer.objects.filter(org=org, public_id=row["customer_id"]).first()
    if customer is None:
        raise CatalogImportError(f"unknown customer_id {row['customer_id']!r}")
    upsert(
        report,
        "addresses",
        Address,
        {"customer": customer, "public_id": row["id"]},
        {
            "street_address": row["street_address"],
            "extended_address": row.get("extended_address", ""),
            "city": row["city"],
            "state": row.get("state", ""),
            "postal_code": row.get("postal_code", ""),
            "country": row["country"],
        },
    )


# Files in dependency order: inventory needs products, addresses need customers.
IMPORTERS: list[tuple[str, Callable]] = [
    ("products.csv", import_products),
    ("inventory.csv", import_inventory),
    ("discounts.csv", import_discounts),
    ("promotions.csv", import_promotions),
    ("shipping_rates.csv", import_shipping_rates),
    ("customers.csv", import_customers),
    ("addresses.csv", import_addresses),
]


@transaction.atomic
def catalog_import(*, org: Org, directory: Path, currency: str = "USD") -> ImportReport:
    """Imports every known CSV file found in `directory`. All or nothing; idempotent."""
    report = ImportReport()
    for filename, importer in IMPORTERS:
        path = directory / filename
        if not path.exists():
            continue
        for line, row in read_rows(path):
            try:
                importer(org, row, report, currency)
            except KeyError as missing:
                raise CatalogImportError(f"{path.name}:{line}: missing column {missing}") from None
            except CatalogImportError as problem:
                raise CatalogImportError(f"{path.name}:{line}: {problem}") from None

    logger.info("Catalog imported", extra={"org": org.orgcode, "created_rows": report.created})
    return report


def inventory_reserve(*, org: Org, quantities: dict[int, int]) -> None:
    """Takes `quantities` (product pk → units) from stock, all or nothing.

    Must run inside the caller's transaction. The rows are locked in primary-key order so that
    two checkouts of overlapping carts cannot deadlock, and one UPDATE writes them all, so the
    cost does not grow in queries with the number of lines.
    """
    levels = list(
        InventoryLevel.objects.select_for_update()
        .filter(product__org=org, product_id__in=quantities)
        .order_by("pk")
        .values_list("product_id", "quantity", "product__public_id")
    )
    available = {product_id: quantity for product_id, quantity, _ in levels}
    short = [
        public_id for product_id, quantity, public_id in levels if quantity < quantities[product_id]
    ]
    short += [str(pk) for pk in quantities if pk not in available]
    if short:
        raise errors.InvalidState(
            "Not enough stock to complete the order.", details={"out_of_stock": sorted(short)}
        )

    InventoryLevel.objects.filter(product_id__in=quantities).update(
        quantity=F("quantity")
        - Case(*(When(product_id=pk, then=units) for pk, units in quantities.items()), default=0)
    )


def inventory_release(*, org: Org, quantities: dict[int, int]) -> None:
    """Puts `quantities` (product pk → units) back in stock: what a canceled order had taken.

    Must run inside the caller's transaction; rows are locked in primary-key order, as
    inventory_reserve locks them, so a release and a completion never deadlock. Products the org
    no longer stocks (deleted, or without an inventory row) are skipped: there is no shelf to put
    their units back on."""
    locked = list(
        InventoryLevel.objects.select_for_update()
        .filter(product__org=org, product_id__in=quantities)
        .order_by("pk")
        .values_list("product_id", flat=True)
    )
    if not locked:
        return

    InventoryLevel.objects.filter(product_id__in=locked).update(
        quantity=F("quantity")
        + Case(*(When(product_id=pk, then=quantities[pk]) for pk in locked), default=0)
    )


# --- customers and addresses saved by checkouts -----------------------------------------------


def generated_public_id(prefix: str) -> str:
    """An id for a row a checkout creates (`addr_c3f9…`). Imports name rows `addr_1`, `cust_1`;
    the `c` keeps the two apart even when the 48 random bits happen to be all decimal digits in
    hex, and the unique constraints catch the rest."""
    return f"{prefix}_c{secrets.token_hex(6)}"


def checkout_customer_for_email(*, org: Org, email: str, name: str = "") -> Customer:
    """The org's customer with this email (case-insensitively), created when there is none.

    Concurrent checkouts with the same new email create one customer: the second insert hits
    the `one_checkout_customer_per_email` constraint and reads the first one's row instead.
    """
    existing = customer_by_email(org=org, email=email)
    if existing is not None:
        return existing

    try:
        # A savepoint: losing the race must not poison the caller's transaction.
        with transaction.atomic():
            customer = Customer.objects.create(
                org=org,
                public_id=generated_public_id("cust"),
                name=name[:300],
                email=email,
                origin=CustomerOrigin.CHECKOUT,
            )
    except IntegrityError:
        winner = customer_by_email(org=org, email=email)
        if winner is None:
            raise
        return winner

    logger.info(
        "Customer created for a buyer email",
        extra={"org": org.orgcode, "customer": customer.public_id},
    )
    return customer


@transaction.atomic
def saved_address_for(*, customer: Customer, postal_address: dict) -> Address:
    """The customer's saved address that matches `postal_address` (UCP field names, see
    `catalog.addresses`), saved first under a generated id when none matches.

    The customer row is locked (FOR NO KEY UPDATE, so sessions referencing the customer are not
    held up) while its addresses are compared and the new one is written: concurrent identical
    saves queue, and each after the first finds the address the first one saved.
    """
    Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
    wanted = match_key(postal_address)
    saved = saved_addresses_of(customer=customer)
    for address in saved:
        if match_key(postal_address_of(address)) == wanted:
            return address

    taken = {address.public_id for address in saved}
    public_id = generated_public_id("addr")
    while public_id in taken:
        public_id = generated_public_id("addr")
    address = Address.objects.create(
        customer=customer, public_id=public_id, **columns_of(postal_address)
    )

    logger.info(
        "Address saved to a customer's address book",
        extra={"org_id": customer.org_id, "customer": customer.public_id, "address": public_id},
    )
    return address
