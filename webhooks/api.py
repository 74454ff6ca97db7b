"""Seed routes `/ucp/webhook/*`: org admins configure and test a platform's webhooks."""

from django.conf import settings
from django_ratelimit.core import is_ratelimited
from rest_framework import serializers

from platforms.selectors import platform_get
from ucp import errors
from ucp.api.views import AdminApiView, AdminReadApiView, envelope, validated
from ucp.revisions import parse_expected_revision
from webhooks import services
from webhooks.events import DEFAULT_EVENT_FILTERS, EVENT_TYPES
from webhooks.models import UcpVersion, WebhookConfig, WebhookDelivery


class WebhookConfigOutput(serializers.Serializer):
    platform_guid = serializers.UUIDField(source="platform.guid")
    callback_url = serializers.CharField()
    enabled = serializers.BooleanField()
    event_filters = serializers.ListField(child=serializers.CharField())
    effective_event_filters = serializers.SerializerMethodField()
    ucp_version = serializers.CharField()
    status = serializers.SerializerMethodField()
    paused_at = serializers.DateTimeField(allow_null=True)
    pause_reason = serializers.CharField()
    consecutive_failures = serializers.IntegerField()
    signing_secret_set = serializers.SerializerMethodField()
    signing_secret_created_at = serializers.DateTimeField(allow_null=True)
    previous_secret_valid_until = serializers.DateTimeField(allow_null=True)
    valid_event_types = serializers.SerializerMethodField()
    revision = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def get_effective_event_filters(self, config: WebhookConfig) -> list[str]:
        return list(config.event_filters or DEFAULT_EVENT_FILTERS)

    def get_status(self, config: WebhookConfig) -> str:
        if config.is_paused:
            return "paused"
        if not config.enabled:
            return "disabled"
        if not config.callback_url or not config.signing_secret:
            return "not_configured"
        return "active"

    def get_signing_secret_set(self, config: WebhookConfig) -> bool:
        return bool(config.signing_secret)

    def get_valid_event_types(self, config: WebhookConfig) -> list[str]:
        return list(EVENT_TYPES)


class WebhookConfigSetInput(serializers.Serializer):
    callback_url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    enabled = serializers.BooleanField(required=False)
    # Validated by the service, which lists the valid types when one is unknown.
    event_filters = serializers.JSONField(required=False)
    ucp_version = serializers.ChoiceField(choices=UcpVersion.choices, required=False)
    rotate_secret = serializers.BooleanField(required=False, default=False)

    def to_internal_value(self, data):
        for name in ("enabled", "rotate_secret"):
            if name in data and not isinstance(data[name], bool):
                raise errors.InvalidInput.for_field(name, "must be true or false")
        return super().to_internal_value(data)


class WebhookTestOutput(serializers.Serializer):
    delivery_id = serializers.UUIDField(source="guid")
    event_type = serializers.CharField()
    callback_url = serializers.SerializerMethodField()
    success = serializers.SerializerMethodField()
    status_code = serializers.IntegerField(source="last_status_code", allow_null=True)
    error = serializers.CharField(source="last_error")
    duration_ms = serializers.SerializerMethodField()

    def get_callback_url(self, delivery: WebhookDelivery) -> str:
        attempt = delivery.attempts.last()
        return attempt.url if attempt else ""

    def get_success(self, delivery: WebhookDelivery) -> bool:
        return delivery.status == "succeeded"

    def get_duration_ms(self, delivery: WebhookDelivery) -> int | None:
        attempt = delivery.attempts.last()
        return attempt.duration_ms if attempt else None


def config_of(org, body: dict) -> WebhookConfig:
    platform = platform_get(org=org, platform_guid=body.get("platform_guid"))
    if not platform.is_active:
        raise errors.InvalidState("The platform is revoked.")
    return services.config_get_or_create(platform=platform)


class WebhookConfigGetApi(AdminReadApiView):
    def post(self, request):
        config = config_of(self.org, self.request_body())
        return envelope(WebhookConfigOutput(config).data, revision=config.revision)


class WebhookConfigSetApi(AdminApiView):
    def post(self, request):
        body = self.request_body()
        config = config_of(self.org, body)
        expected_revision = parse_expected_revision(body.get("expected_revision"))
        data = validated(WebhookConfigSetInput, body)

        config, signing_secret = services.config_set(
            config=config, expected_revision=expected_revision, actor=request.user.actor, **data
        )
        output = dict(WebhookConfigOutput(config).data)
        if signing_secret:
            output["signing_secret"] = signing_secret
        return envelope(output, revision=config.revision)


class WebhookTestApi(AdminApiView):
    def post(self, request):
        config = config_of(self.org, self.request_body())
        limited = is_ratelimited(
            request._request,
            group="ucp-webhook-test",
            key=lambda group, req: f"{config.org_id}:{config.platform_id}",
            rate=settings.UCP_WEBHOOK_TEST_RATE,
            increment=True,
        )
        if limited:
            raise errors.RateLimited(
                "Too many test webhooks for this platform; retry in a minute.",
                headers={"Retry-After": "60"},
            )

        delivery = services.webhook_test_send(config=config, actor=request.user.actor)
        return envelope(WebhookTestOutput(delivery).data)
