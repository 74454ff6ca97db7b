"""Console for webhooks: configs (pause state visible, resume action), deliveries with their
attempts (redeliver action) and the outbox, each scoped to the orgs the user belongs to. Signing
secrets are never shown; every change goes through the webhook services."""

from django.contrib import admin, messages

from ucp import errors
from ucp.admin import OrgScopedAdmin, OrgScopedTabularInline, ReadOnlyOrgScopedAdmin
from webhooks import services
from webhooks.models import WebhookAttempt, WebhookConfig, WebhookDelivery, WebhookEvent


def admin_actor(request) -> str:
    return f"user:{request.user.pk}"


class ServiceOnlyAdmin(OrgScopedAdmin):
    """Records shown read-only: no add, no delete, changes only through actions."""

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def writable(self, request, queryset):
        return [obj for obj in queryset if self.can_write(request, obj)]


@admin.register(WebhookConfig)
class WebhookConfigAdmin(ServiceOnlyAdmin):
    list_display = [
        "platform",
        "org",
        "callback_url",
        "enabled",
        "is_paused",
        "consecutive_failures",
        "ucp_version",
        "revision",
    ]
    list_filter = ["enabled", ("paused_at", admin.EmptyFieldListFilter), "ucp_version"]
    search_fields = ["platform__caption", "callback_url", "org__orgcode"]
    exclude = ["signing_secret", "previous_signing_secret"]
    readonly_fields = [
        "org",
        "platform",
        "callback_url",
        "enabled",
        "event_filters",
        "ucp_version",
        "revision",
        "signing_secret_created_at",
        "previous_secret_valid_until",
        "consecutive_failures",
        "paused_at",
        "pause_reason",
        "created_at",
        "updated_at",
    ]
    actions = ["resume"]

    def get_queryset(self, request):
        # The secrets are never shown, so never loaded: loading decrypts them, and one that does
        # not decrypt (SECRET_KEY rotated without its fallback) would make these pages a 500.
        return super().get_queryset(request).defer("signing_secret", "previous_signing_secret")

    @admin.display(boolean=True, description="paused")
    def is_paused(self, config):
        return config.is_paused

    @admin.action(
        description="Resume paused webhooks (held deliveries are sent)", permissions=["write"]
    )
    def resume(self, request, queryset):
        configs = self.writable(request, queryset.select_related("org", "platform"))
        for config in configs:
            services.config_resume(config=config, actor=admin_actor(request))
        self.message_user(request, f"Resumed {len(configs)} webhook config(s).")


class WebhookAttemptInline(OrgScopedTabularInline):
    model = WebhookAttempt
    org_field = "delivery__org"
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "duration_ms",
        "status_code",
        "outcome",
        "error",
        "response_body",
        "url",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ServiceOnlyAdmin):
    list_display = [
        "guid",
        "org",
        "platform",
        "event_type",
        "source",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type", "source", "is_test"]
    search_fields = ["guid", "platform__caption", "org__orgcode"]
    readonly_fields = [
        "guid",
        "org",
        "event",
        "platform",
        "event_type",
        "source",
        "target_url",
        "ucp_version",
        "body",
        "status",
        "is_test",
        "attempt_count",
        "next_attempt_at",
        "retry_until",
        "last_status_code",
        "last_error",
        "created_at",
        "completed_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver (same webhook-id and body)", permissions=["write"])
    def redeliver(self, request, queryset):
        done = 0
        for delivery in self.writable(request, queryset):
            try:
                services.delivery_redeliver(delivery=delivery, actor=admin_actor(request))
                done += 1
            except errors.ServiceError as exc:
                self.message_user(request, f"{delivery.guid}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Queued {done} delivery(ies) again.")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyOrgScopedAdmin):
    list_display = ["guid", "org", "event_type", "platform", "created_at", "fanned_out_at"]
    list_filter = ["event_type"]
    search_fields = ["guid", "org__orgcode"]
    readonly_fields = [
        "guid",
        "org",
        "event_type",
        "platform",
        "payload",
        "created_at",
        "fanned_out_at",
    ]
