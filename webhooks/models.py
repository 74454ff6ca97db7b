"""Webhook configuration per platform, the outbox of events, deliveries and their attempts."""

import uuid

from django.db import models

from orgconfig.models import Org
from platforms.models import Platform
from ucp.fields import EncryptedSecretField
from webhooks.events import effective_filters


class UcpVersion(models.TextChoices):
    """The UCP release whose order-webhook signature a platform verifies."""

    V2026_04_08 = "2026-04-08", "2026-04-08 (RFC 9421 signature)"
    V2026_01_11 = "2026-01-11", "2026-01-11 (detached JWS in Request-Signature)"


class WebhookConfig(models.Model):
    """Where and what a platform wants delivered. Revisioned like every admin-edited record.

    The signing secrets are encrypted at rest (ucp.fields.EncryptedSecretField): Standard Webhooks
    signatures are HMACs, so the service must be able to read them, but a copy of the database
    alone must not.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="webhook_configs")
    platform = models.OneToOneField(
        Platform, on_delete=models.CASCADE, related_name="webhook_config"
    )
    callback_url = models.URLField(max_length=2000, blank=True)
    enabled = models.BooleanField(default=True)
    event_filters = models.JSONField(default=list, blank=True)
    ucp_version = models.CharField(
        max_length=10, choices=UcpVersion.choices, default=UcpVersion.V2026_04_08
    )
    revision = models.PositiveIntegerField(default=1)
    signing_secret = EncryptedSecretField(blank=True, editable=False)
    signing_secret_created_at = models.DateTimeField(null=True, blank=True)
    # After a rotation the previous secret signs too (a second v1 signature) until this time.
    previous_signing_secret = EncryptedSecretField(blank=True, editable=False)
    previous_secret_valid_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["org", "enabled"])]

    def __str__(self):
        return f"Webhooks of {self.platform}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in effective_filters(self.event_filters)


class WebhookEvent(models.Model):
    """The outbox: written in the same transaction as the change it reports."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="webhook_events")
    event_type = models.CharField(max_length=40)
    # Set when the event concerns one platform only (a test send, a revoked identity link).
    platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="webhook_event_pending_fanout",
                condition=models.Q(fanned_out_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.event_type} {self.guid}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    # The platform's webhooks are paused or disabled: kept, sent once they are resumed.
    HELD = "held", "Held"


class DeliverySource(models.TextChoices):
    # The callback URL an org admin configured for the platform (WebhookConfig).
    CONFIG = "config", "Configured callback"
    # The order webhook URL the platform's UCP profile named when the checkout was created over
    # the REST binding (dev.ucp.shopping.order → config.webhook_url).
    PROFILE = "profile", "Platform profile"


class WebhookDelivery(models.Model):
    """One event to one platform's target. `guid` is the `webhook-id` and `body` the exact bytes
    sent on every attempt.

    A delivery from the platform's profile carries its own `target_url` and `ucp_version` (both
    captured at checkout time); a configured one reads them from the platform's WebhookConfig at
    each attempt, so an admin's URL change reaches deliveries still retrying.
    """

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="webhook_deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event_type = models.CharField(max_length=40)
    source = models.CharField(
        max_length=10, choices=DeliverySource.choices, default=DeliverySource.CONFIG
    )
    target_url = models.URLField(max_length=2000, blank=True)
    ucp_version = models.CharField(max_length=10, choices=UcpVersion.choices, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    is_test = models.BooleanField(default=False)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "platform", "source"], name="one_delivery_per_platform_source"
            )
        ]
        indexes = [
            models.Index(fields=["org", "status"]),
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.platform_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery. The response body is kept truncated, for the admin only."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    url = models.URLField(max_length=2000)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    response_body = models.TextField(blank=True)
    outcome = models.CharField(max_length=12)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self):
        return f"attempt {self.number} of {self.delivery_id}: {self.outcome}"
