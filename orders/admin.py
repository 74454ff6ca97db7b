"""Console for orders: read-only records (orders are made by completing a checkout) with their
lines, and the fulfillment transitions as actions that call the order services, each of which
emits its webhook event."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from orders import services
from orders.models import Order, OrderLine
from ucp import errors
from ucp.admin import (
    OrgScopedAdmin,
    OrgScopedTabularInline,
    console_actor,
    report_service_error,
    service_form_response,
)


class OrderLineInline(OrgScopedTabularInline):
    model = OrderLine
    org_field = "order__org"
    fields = ("line_id", "item_id", "title", "unit_price", "quantity", "totals")
    readonly_fields = fields


class ShipmentForm(forms.Form):
    """What the carrier gave; the hidden fields carry the action back to the changelist."""

    carrier = forms.CharField(max_length=100, required=False)
    tracking_number = forms.CharField(max_length=200, required=False)
    tracking_url = forms.URLField(max_length=2000, required=False, assume_scheme="https")
    action = forms.CharField(widget=forms.HiddenInput, initial="mark_shipped")
    apply = forms.CharField(widget=forms.HiddenInput, initial="1")
    # The changelist reads the chosen rows from this name (django.contrib.admin.helpers).
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput, required=False)


@admin.register(Order)
class OrderAdmin(OrgScopedAdmin):
    list_display = ("guid", "org", "platform", "status", "currency", "total", "created_at")
    list_filter = ("status", "org", ("platform", admin.RelatedOnlyFieldListFilter), "currency")
    search_fields = ("guid", "checkout_session__guid", "buyer__email")
    date_hierarchy = "created_at"
    list_select_related = ("org", "platform")
    inlines = [OrderLineInline]
    actions = ["mark_shipped", "mark_delivered", "cancel_orders"]
    audit_exclude = ()

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Every change goes through an action (a service); the form only shows the record.
        return [field.name for field in Order._meta.fields]

    @admin.display(description="Total (minor units)")
    def total(self, order):
        return next((t["amount"] for t in order.totals if t["type"] == "total"), 0)

    def transition(self, request, queryset, service, label: str, **details) -> None:
        done = 0
        for order in queryset:
            if not self.can_write(request, order):
                self.message_user(request, f"{order}: your role is read-only.", messages.ERROR)
                continue
            try:
                service(order=order, actor=console_actor(request), **details)
                done += 1
            except errors.ServiceError as error:
                report_service_error(self, request, order, error)
        self.message_user(request, f"{done} order(s) {label}.")

    @admin.action(description="Mark shipped (asks for carrier and tracking)", permissions=["write"])
    def mark_shipped(self, request, queryset):
        if "apply" not in request.POST:
            chosen = [str(pk) for pk in queryset.values_list("pk", flat=True)]
            form = ShipmentForm(initial={ACTION_CHECKBOX_NAME: chosen})
            return service_form_response(request, self, title="Mark shipped", form=form)

        form = ShipmentForm(request.POST)
        if not form.is_valid():
            return service_form_response(request, self, title="Mark shipped", form=form)
        details = {
            key: form.cleaned_data[key] for key in ("carrier", "tracking_number", "tracking_url")
        }
        self.transition(request, queryset, services.order_mark_shipped, "marked shipped", **details)
        return None

    @admin.action(description="Mark delivered", permissions=["write"])
    def mark_delivered(self, request, queryset):
        self.transition(request, queryset, services.order_mark_delivered, "marked delivered")

    @admin.action(description="Cancel (only before shipping)", permissions=["write"])
    def cancel_orders(self, request, queryset):
        self.transition(request, queryset, services.order_cancel, "canceled")
