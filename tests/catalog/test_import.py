"""import_catalog: the flower-shop folder imports completely, and twice changes nothing."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalog.models import (
    Address,
    Customer,
    Discount,
    InventoryLevel,
    Product,
    Promotion,
    ShippingRate,
)
from catalog.services import CatalogImportError, catalog_import
from tests.conftest import FLOWER_SHOP


def snapshot(org):
    return {
        model.__name__: sorted(map(str, model.objects.filter(**{lookup: org}).values()))
        for model, lookup in [
            (Product, "org"),
            (InventoryLevel, "product__org"),
            (Discount, "org"),
            (Promotion, "org"),
            (ShippingRate, "org"),
            (Customer, "org"),
            (Address, "customer__org"),
        ]
    }


def test_flower_shop_imports_with_public_ids(flower_shop):
    roses = Product.objects.get(org=flower_shop, public_id="bouquet_roses")
    assert (roses.title, roses.price, roses.currency) == ("Bouquet of Red Roses", 3500, "USD")
    assert roses.inventory.quantity == 1000
    assert Product.objects.get(public_id="gardenias").inventory.quantity == 0
    assert Discount.objects.get(org=flower_shop, code="10OFF").value == 10
    assert Promotion.objects.get(public_id="promo_2").eligible_item_ids == ["bouquet_roses"]
    assert Promotion.objects.get(public_id="promo_1").min_subtotal == 10000
    assert ShippingRate.objects.get(public_id="std-ship").country_code == "default"
    john = Customer.objects.get(org=flower_shop, public_id="cust_1")
    assert john.email == "john.doe@example.com"
    assert sorted(john.addresses.values_list("public_id", flat=True)) == ["addr_1", "addr_2"]


def test_importing_twice_changes_nothing(flower_shop):
    before = snapshot(flower_shop)

    out = StringIO()
    call_command("import_catalog", str(FLOWER_SHOP), org=flower_shop.orgcode, json=True, stdout=out)

    report = json.loads(out.getvalue())
    assert report["created"] == {} and report["updated"] == {}
    assert report["unchanged"]["products"] == 6
    assert snapshot(flower_shop) == before


def test_catalogs_of_two_orgs_are_separate(flower_shop, other_org):
    catalog_import(org=other_org, directory=FLOWER_SHOP)

    assert Product.objects.filter(public_id="bouquet_roses").count() == 2
    Product.objects.filter(org=other_org, public_id="bouquet_roses").update(price=1)
    assert Product.objects.get(org=flower_shop, public_id="bouquet_roses").price == 3500


def test_a_bad_row_imports_nothing_and_names_file_and_line(org, tmp_path):
    (tmp_path / "products.csv").write_text(
        "id,title,price,image_url\nok_item,Fine,100,\nbad_item,Broken,12.50,\n"
    )

    with pytest.raises(CatalogImportError, match=r"products.csv:3: column 'price'"):
        catalog_import(org=org, directory=tmp_path)
    assert not Product.objects.filter(org=org).exists()


def test_inventory_for_an_unknown_product_is_refused(org, tmp_path):
    (tmp_path / "inventory.csv").write_text("product_id,quantity\nghost,5\n")

    with pytest.raises(CommandError, match="unknown product_id 'ghost'"):
        call_command("import_catalog", str(tmp_path), org=org.orgcode, stdout=StringIO())


def test_unknown_org_is_a_command_error(db):
    with pytest.raises(CommandError, match="No org"):
        call_command("import_catalog", str(FLOWER_SHOP), org="NOPE", stdout=StringIO())
