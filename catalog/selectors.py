"""Reads of an org's catalog."""

from catalog.models import Customer, Product
from orgconfig.models import Org


def products_by_public_id(*, org: Org, public_ids) -> dict[str, Product]:
    """Active products with these ids, with their stock, in one query."""
    products = Product.objects.select_related("inventory").filter(
        org=org, public_id__in=set(public_ids), is_active=True
    )
    return {product.public_id: product for product in products}


def stock_of(product: Product) -> int:
    inventory = getattr(product, "inventory", None)
    return inventory.quantity if inventory is not None else 0


def customer_get(*, org: Org, public_id: str) -> Customer | None:
    if not isinstance(public_id, str):
        return None
    return Customer.objects.filter(org=org, public_id=public_id).first()
