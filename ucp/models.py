"""Cross-cutting records of the API layer."""

from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """One idempotency key of one caller for one operation, and the response it produced.

    The scope (org, platform, operation, key) is unique, so two concurrent requests with the same
    key cannot both execute: the second finds the first's row. The response is kept as the exact
    bytes sent, so a replay is identical. Rows live at least `UCP_IDEMPOTENCY_TTL` (24 h).
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    org = models.ForeignKey("orgconfig.Org", on_delete=models.CASCADE, related_name="+")
    platform = models.ForeignKey(
        "platforms.Platform", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    operation = models.CharField(max_length=200)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="HMAC-SHA256 of the request.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(help_text="An in-progress row older than this is stale.")
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        # Two partial unique indexes rather than NULLS NOT DISTINCT, which SQLite lacks: keys of
        # callers that are not a platform (platform NULL) are unique per org too.
        constraints = [
            models.UniqueConstraint(
                fields=["org", "platform", "operation", "key"],
                condition=models.Q(platform__isnull=False),
                name="unique_idempotency_scope",
            ),
            models.UniqueConstraint(
                fields=["org", "operation", "key"],
                condition=models.Q(platform__isnull=True),
                name="unique_idempotency_scope_without_platform",
            ),
        ]

    def __str__(self):
        return f"{self.operation} {self.key} ({self.state})"
