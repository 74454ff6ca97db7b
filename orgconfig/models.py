import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from ucp.fields import EncryptedSecretField

orgcode_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]{1,31}$",
    "An orgcode is 2 to 32 upper-case letters, digits, '_' or '-', starting with a letter or "
    "digit.",
)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    UCP_ADMIN = "ucp_admin", "UCP admin"
    VIEWER = "viewer", "Viewer"


# Roles that may change an org's UCP setup through the admin API or the console.
WRITE_ROLES = frozenset({Role.OWNER, Role.UCP_ADMIN})


class Org(models.Model):
    """A retailer organization that sells through UCP platforms."""

    orgcode = models.CharField(max_length=32, unique=True, validators=[orgcode_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["orgcode"]

    def __str__(self):
        return f"{self.orgcode} ({self.name})"


class SavedAddresses(models.TextChoices):
    """Whose address book a checkout may use: offer the saved addresses of its customer, give a
    sent address the id of the saved one it matches, save a new one under a generated id.

    This is a privacy decision. An address book shows a person's home to whoever acts as that
    customer, so the org decides who may act as one:

    - `linked_customer` (default): only the customer a platform linked through identity linking
      (the customer signed in and consented). A buyer email typed into a checkout reveals nothing.
    - `buyer_email`: the org trusts its platforms to assert who the buyer is. The checkout's
      buyer email picks the org's customer with that email (case-insensitively; created when
      there is none), so anyone able to make a platform send an email sees that customer's saved
      addresses. Only for orgs whose platforms verify the buyer's email themselves.
    - `off`: no address book at all, not even for linked customers.
    """

    OFF = "off", "Off"
    LINKED_CUSTOMER = "linked_customer", "Customers linked through identity linking"
    BUYER_EMAIL = "buyer_email", "The customer of the buyer email the platform asserts"


def default_payment_handlers() -> list[str]:
    """What a new org offers until its admins configure real handlers: the mock card handler and
    `none` (complete without taking payment, as the seed service does)."""
    return ["mock_payment_handler", "none"]


class OrgSettings(models.Model):
    """Operational settings of an org that the services read. The revisioned UCP config that
    admins edit through /config/set writes through to these fields."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="settings")
    secret_rotation_grace_seconds = models.PositiveIntegerField(
        default=int(settings.UCP_SECRET_ROTATION_GRACE.total_seconds())
    )
    checkout_ttl_seconds = models.PositiveIntegerField(
        default=int(settings.UCP_CHECKOUT_TTL.total_seconds())
    )
    # Tax as basis points of the taxable amount (825 = 8.25 %); 0 means the org charges none.
    tax_rate_bps = models.PositiveIntegerField(default=0)
    # Whether completing a checkout needs the buyer's email (for the order confirmation). UCP
    # makes the buyer optional; an org whose platforms never send one turns this off.
    buyer_email_required = models.BooleanField(default=True)
    # Who gets the address book in checkout (see SavedAddresses for the privacy trade-off).
    saved_addresses = models.CharField(
        max_length=16, choices=SavedAddresses.choices, default=SavedAddresses.LINKED_CUSTOMER
    )
    # Ids of the payment handlers the org offers, in order (orgconfig/payment_handlers.py lists
    # the known ones). This list is the whole truth: the profile advertises exactly it and checkout
    # accepts exactly it, so an empty list offers nothing.
    payment_handlers = models.JSONField(default=default_payment_handlers, blank=True)

    class Meta:
        verbose_name_plural = "org settings"

    def __str__(self):
        return f"Settings of {self.org.orgcode}"

    @property
    def secret_rotation_grace(self) -> timedelta:
        return timedelta(seconds=self.secret_rotation_grace_seconds)

    @property
    def checkout_ttl(self) -> timedelta:
        return timedelta(seconds=self.checkout_ttl_seconds)


class Membership(models.Model):
    """A console user's role in one org."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ucp_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "user"], name="one_membership_per_org")
        ]

    def __str__(self):
        return f"{self.user} in {self.org.orgcode} as {self.role}"


class ApiKey(models.Model):
    """A service account's key. Only a SHA-256 digest of the key is stored: the key carries 256
    random bits, so the digest cannot be reversed, and lookup by digest needs no slow hasher."""

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices)
    prefix = models.CharField(
        max_length=16, help_text="The key's first characters, for recognising it."
    )
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SigningKey(models.Model):
    """An org's ES256 key for signing what it sends (order webhooks). The public half is
    published in the org's UCP profile, including for a while after the key is retired, so that
    platforms can still verify what it signed. The private half never leaves the database, where
    it is encrypted (ucp.fields.EncryptedSecretField)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="signing_keys")
    kid = models.CharField(max_length=64, unique=True)
    private_key_pem = EncryptedSecretField(editable=False)
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    publish_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["org", "-created_at"]

    def __str__(self):
        return f"{self.org.orgcode}: {self.kid}"


class AuditEntry(models.Model):
    """One change made through the console or the admin API: who, which org, what, before and
    after, when. Written by services, never edited."""

    org = models.ForeignKey(Org, null=True, on_delete=models.SET_NULL, related_name="audit_entries")
    actor = models.CharField(
        max_length=200, help_text="api_key:<id>, user:<id>, or command:<name>."
    )
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=100)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_type}"


class ProfileVersion(models.TextChoices):
    """The UCP protocol releases whose business profile the service can publish."""

    V2026_04_08 = "2026-04-08", "2026-04-08"
    V2026_01_11 = "2026-01-11", "2026-01-11"


class RestAuth(models.TextChoices):
    """How platforms authenticate on the standard REST binding."""

    NONE = "none", "No authentication"
    API_KEY = "api_key", "API key"
    OAUTH_CLIENT_CREDENTIALS = "oauth_client_credentials", "OAuth client credentials"


def default_capabilities() -> dict:
    # Identity linking needs an org to set up customers and consent first: off until enabled.
    return {
        "checkout": True,
        "fulfillment": True,
        "discount": True,
        "order": True,
        # Catalog search and lookup (2026-04-08 on): read-only, so on by default like checkout.
        "catalog": True,
        "identity_linking": False,
    }


def default_webhook_defaults() -> dict:
    return {"enabled": True, "events": ["order.created", "order.updated", "order.canceled"]}


class UcpConfig(models.Model):
    """What an org exposes over UCP, edited by its admins through /ucp/config/set.

    Revisioned like every record admins edit. The operational values that other services read
    (tax rate, checkout TTL, rotation grace, offered payment handler ids) live on OrgSettings only
    and the config service writes them there in the same transaction, so there is one source each.
    """

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="ucp_config")
    revision = models.PositiveIntegerField(default=1)
    capabilities = models.JSONField(default=default_capabilities)
    # Public configuration per offered payment handler id, published in the profile.
    payment_handler_configs = models.JSONField(default=dict, blank=True)
    # terms_of_service, privacy_policy, refund_policy, shipping_policy → https URL.
    policy_links = models.JSONField(default=dict, blank=True)
    webhook_defaults = models.JSONField(default=default_webhook_defaults)
    rest_auth = models.CharField(
        max_length=32, choices=RestAuth.choices, default=RestAuth.OAUTH_CLIENT_CREDENTIALS
    )
    root_profile_version = models.CharField(
        max_length=10, choices=ProfileVersion.choices, default=ProfileVersion.V2026_04_08
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "UCP config"

    def __str__(self):
        return f"UCP config of {self.org.orgcode} (revision {self.revision})"


class OrgHostname(models.Model):
    """A hostname whose /.well-known/ucp answers with this org's profile."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="hostnames")
    hostname = models.CharField(max_length=253, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self):
        return f"{self.hostname} → {self.org.orgcode}"
