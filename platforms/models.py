import uuid

from django.conf import settings
from django.db import models

from orgconfig.models import Org


class Platform(models.Model):
    """An AI-agent platform registered with an org. Underneath it is an OAuth application of
    django-oauth-toolkit, whose `client_id` and hashed `client_secret` are the platform's
    credentials, so identity linking issues tokens to the same client."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="platforms")
    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="platform",
    )
    caption = models.CharField(max_length=200)
    scopes = models.JSONField(default=list, blank=True)
    callback_url = models.URLField(max_length=2000, blank=True)
    revision = models.PositiveIntegerField(default=1)
    # During a rotation grace period the previous secret (hashed) keeps working until this time.
    previous_secret_hash = models.CharField(max_length=255, blank=True, editable=False)
    previous_secret_valid_until = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["org", "id"])]

    def __str__(self):
        return f"{self.caption} ({self.org.orgcode})"

    @property
    def client_id(self) -> str:
        return self.application.client_id

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
