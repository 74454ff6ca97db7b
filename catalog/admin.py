"""Console for an org's catalog: products and stock, discounts, promotions, shipping rates,
customers and their addresses. Amounts are integer minor units, as everywhere."""

from django.contrib import admin

from catalog.models import (
    Address,
    Customer,
    Discount,
    InventoryLevel,
    Product,
    Promotion,
    ShippingRate,
)
from ucp.admin import OrgScopedAdmin, OrgScopedTabularInline


class InventoryInline(OrgScopedTabularInline):
    model = InventoryLevel
    org_field = "product__org"
    editable_inline = True
    can_delete = False
    max_num = 1


@admin.register(Product)
class ProductAdmin(OrgScopedAdmin):
    list_display = ("public_id", "title", "org", "price", "currency", "stock", "is_active")
    list_filter = ("org", "is_active", "currency")
    search_fields = ("public_id", "title")
    list_select_related = ("org", "inventory")
    inlines = [InventoryInline]

    @admin.display(description="Stock", ordering="inventory__quantity")
    def stock(self, product):
        inventory = getattr(product, "inventory", None)
        return inventory.quantity if inventory else None


@admin.register(InventoryLevel)
class InventoryLevelAdmin(OrgScopedAdmin):
    org_field = "product__org"
    list_display = ("product", "org", "quantity", "updated_at")
    list_filter = (("product__org", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("product__public_id", "product__title")
    list_select_related = ("product__org",)

    @admin.display(description="Org", ordering="product__org__orgcode")
    def org(self, level):
        return level.product.org


@admin.register(Discount)
class DiscountAdmin(OrgScopedAdmin):
    list_display = ("code", "org", "type", "value", "description", "is_active")
    list_filter = ("org", "type", "is_active")
    search_fields = ("code", "description")


@admin.register(Promotion)
class PromotionAdmin(OrgScopedAdmin):
    list_display = ("public_id", "org", "type", "min_subtotal", "description", "is_active")
    list_filter = ("org", "type", "is_active")
    search_fields = ("public_id", "description")


@admin.register(ShippingRate)
class ShippingRateAdmin(OrgScopedAdmin):
    list_display = ("public_id", "org", "country_code", "service_level", "price", "title")
    list_filter = ("org", "country_code", "service_level")
    search_fields = ("public_id", "title", "country_code")


class AddressInline(OrgScopedTabularInline):
    model = Address
    org_field = "customer__org"
    editable_inline = True


@admin.register(Customer)
class CustomerAdmin(OrgScopedAdmin):
    list_display = ("public_id", "name", "email", "phone_number", "org", "origin", "created_at")
    list_filter = ("org", "origin")
    search_fields = ("public_id", "name", "email", "phone_number")
    inlines = [AddressInline]


@admin.register(Address)
class AddressAdmin(OrgScopedAdmin):
    org_field = "customer__org"
    list_display = ("public_id", "customer", "street_address", "city", "postal_code", "country")
    list_filter = ("country", ("customer__org", admin.RelatedOnlyFieldListFilter))
    search_fields = ("public_id", "customer__public_id", "customer__name", "city", "postal_code")
    list_select_related = ("customer",)
