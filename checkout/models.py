import uuid

from django.db import models

from orgconfig.models import Org
from platforms.models import Platform


class CheckoutStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    REQUIRES_ESCALATION = "requires_escalation", "Requires escalation"
    READY_FOR_COMPLETE = "ready_for_complete", "Ready for complete"
    COMPLETE_IN_PROGRESS = "complete_in_progress", "Complete in progress"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"


FINAL_STATUSES = frozenset({CheckoutStatus.COMPLETED, CheckoutStatus.CANCELED})


class CustomerSource(models.TextChoices):
    """How a session came to know its customer; the org's `saved_addresses` setting decides
    whether that is enough to use the customer's address book."""

    NONE = "", "No customer"
    IDENTITY_LINK = "identity_link", "Linked by the platform (identity linking)"
    BUYER_EMAIL = "buyer_email", "The buyer email the platform sent"


class CheckoutSession(models.Model):
    """A platform's cart on its way to becoming an order.

    The priced cart (lines, totals, messages) is stored as the JSON the platform was shown, so
    that completion charges exactly what was quoted, and so that reading a session costs one
    query whatever the number of lines.
    """

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="checkout_sessions")
    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="checkout_sessions"
    )
    status = models.CharField(max_length=24, choices=CheckoutStatus.choices)
    revision = models.PositiveIntegerField(default=1)
    currency = models.CharField(max_length=3)
    line_items = models.JSONField(default=list)
    buyer = models.JSONField(default=dict, blank=True)
    # The customer the platform linked (identity linking), or the one its buyer email names when
    # the org trusts platforms to assert that (`OrgSettings.saved_addresses`).
    customer = models.ForeignKey(
        "catalog.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkout_sessions",
    )
    customer_source = models.CharField(
        max_length=16, choices=CustomerSource.choices, default=CustomerSource.NONE, blank=True
    )
    # UCP shapes as last shown: `{"codes": [...as sent], "applied": [...]}`, the fulfillment
    # object (destinations, groups, options, selections), and the payment instruments used
    # (never their credentials).
    discounts = models.JSONField(default=dict, blank=True)
    fulfillment = models.JSONField(null=True, blank=True)
    payment = models.JSONField(default=dict, blank=True)
    totals = models.JSONField(default=list)
    messages = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["org", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self):
        return f"{self.guid} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def total_of(self, total_type: str) -> int:
        return next((t["amount"] for t in self.totals if t["type"] == total_type), 0)
