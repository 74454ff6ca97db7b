"""Console for checkout sessions: read-only records of the platforms' carts, with a cancel
action that runs the same service as `POST /ucp/checkout/cancel`."""

from django.contrib import admin, messages

from checkout.models import CheckoutSession
from checkout.services import checkout_cancel
from orgconfig.audit import audit_record
from ucp.admin import ReadOnlyOrgScopedAdmin, console_actor, report_service_error
from ucp.errors import ServiceError


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyOrgScopedAdmin):
    list_display = (
        "guid",
        "org",
        "platform",
        "status",
        "currency",
        "total",
        "revision",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "org", ("platform", admin.RelatedOnlyFieldListFilter), "currency")
    search_fields = ("guid", "buyer__email")
    date_hierarchy = "created_at"
    list_select_related = ("org", "platform")
    actions = ["cancel_sessions"]

    @admin.display(description="Total (minor units)")
    def total(self, session):
        return session.total_of("total")

    @admin.action(description="Cancel the selected checkout sessions", permissions=["write"])
    def cancel_sessions(self, request, queryset):
        canceled = 0
        for session in queryset.select_related("org", "platform"):
            if not self.can_write(request, session):
                continue
            before = {"status": session.status}
            try:
                checkout_cancel(session=session, expected_revision=session.revision)
            except ServiceError as error:
                report_service_error(self, request, session, error)
                continue
            audit_record(
                org=session.org,
                actor=console_actor(request),
                action="checkout.cancel",
                target_type="checkout_session",
                target_id=session.guid,
                before=before,
                after={"status": session.status},
            )
            canceled += 1
        self.message_user(request, f"Canceled {canceled} checkout session(s).", messages.SUCCESS)
