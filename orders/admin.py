"""Plain admin for orders, with the fulfillment transitions as actions (each emits its webhook
event). Org scoping of the console is done console-wide."""

from django.contrib import admin, messages

from orders import services
from orders.models import Order, OrderLine
from ucp import errors


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ["line_id", "item_id", "title", "unit_price", "quantity"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["guid", "org", "platform", "status", "currency", "created_at"]
    list_filter = ["status"]
    search_fields = ["guid", "org__orgcode"]
    readonly_fields = [
        "guid",
        "org",
        "platform",
        "checkout_session",
        "status",
        "currency",
        "buyer",
        "totals",
        "payment",
        "fulfillment_events",
        "adjustments",
        "shipped_at",
        "delivered_at",
        "canceled_at",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderLineInline]
    actions = ["mark_shipped", "mark_delivered", "cancel"]

    def has_add_permission(self, request):
        return False

    def transition(self, request, queryset, service, label: str) -> None:
        done = 0
        for order in queryset:
            try:
                service(order=order, actor=f"user:{request.user.pk}")
                done += 1
            except errors.ServiceError as exc:
                self.message_user(request, f"{order.guid}: {exc.message}", messages.WARNING)
        self.message_user(request, f"{done} order(s) {label}.")

    @admin.action(description="Mark shipped")
    def mark_shipped(self, request, queryset):
        self.transition(request, queryset, services.order_mark_shipped, "marked shipped")

    @admin.action(description="Mark delivered")
    def mark_delivered(self, request, queryset):
        self.transition(request, queryset, services.order_mark_delivered, "marked delivered")

    @admin.action(description="Cancel")
    def cancel(self, request, queryset):
        self.transition(request, queryset, services.order_cancel, "canceled")
