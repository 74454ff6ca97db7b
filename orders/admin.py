"""Console for orders (read-only: orders are made by completing a checkout) with their lines."""

from django.contrib import admin

from orders.models import Order, OrderLine
from ucp.admin import OrgScopedTabularInline, ReadOnlyOrgScopedAdmin


class OrderLineInline(OrgScopedTabularInline):
    model = OrderLine
    org_field = "order__org"
    fields = ("line_id", "item_id", "title", "unit_price", "quantity", "totals")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ("guid", "org", "platform", "status", "currency", "total", "created_at")
    list_filter = ("status", "org", ("platform", admin.RelatedOnlyFieldListFilter), "currency")
    search_fields = ("guid", "checkout_session__guid", "buyer__email")
    date_hierarchy = "created_at"
    list_select_related = ("org", "platform")
    inlines = [OrderLineInline]

    @admin.display(description="Total (minor units)")
    def total(self, order):
        return next((t["amount"] for t in order.totals if t["type"] == "total"), 0)
