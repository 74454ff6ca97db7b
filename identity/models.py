"""Identity linking: which customer of an org let which platform act for them.

django-oauth-toolkit keeps the grants and tokens; its resource owner is a Django user, so every
customer who links gets a `CustomerAccount` that pairs the org's `catalog.Customer` with a user
row of its own (no password, no staff rights: it never signs in to the console). The account also
holds the customer's own credentials for the browser sign-in: a password hash and one-time codes.

A link is one row per (platform, customer). Tokens belong to a link through their application
(the platform's) and their user (the customer's), so the link needs no foreign key on DOT's
token tables and DOT's models stay unswapped.
"""

import uuid

from django.conf import settings
from django.db import models

from catalog.models import Customer
from orgconfig.models import Org
from platforms.models import Platform


class CustomerAccount(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="customer_accounts")
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="account")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_account"
    )
    # A Django password hash (slow hasher); empty until set in the console.
    password = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.customer.public_id} ({self.org.orgcode})"

    @property
    def has_password(self) -> bool:
        return bool(self.password)


class SignInCode(models.Model):
    """A one-time code emailed to a customer; only its keyed digest is stored."""

    account = models.ForeignKey(CustomerAccount, on_delete=models.CASCADE, related_name="codes")
    code_digest = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"Sign-in code #{self.pk}"


class LinkStatus(models.TextChoices):
    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"


class IdentityLink(models.Model):
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="identity_links")
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="identity_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identity_links")
    status = models.CharField(max_length=16, choices=LinkStatus.choices, default=LinkStatus.PENDING)
    scope = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "customer"], name="one_link_per_pair")
        ]
        indexes = [models.Index(fields=["org", "id"])]

    def __str__(self):
        return f"{self.customer.public_id} ↔ {self.platform.caption} ({self.status})"


class ConsumedCode(models.Model):
    """What an authorization code produced, kept after DOT deletes the grant so that a replay of
    the code can revoke that token family (RFC 6749 §4.1.2)."""

    code_digest = models.CharField(max_length=64, unique=True)
    application_id = models.BigIntegerField()
    token_family = models.UUIDField(null=True)
    access_token_checksum = models.CharField(max_length=64, blank=True)
    consumed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["consumed_at"])]

    def __str__(self):
        return f"Consumed code #{self.pk}"
