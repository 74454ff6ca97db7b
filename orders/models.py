import uuid

from django.db import models

from catalog.models import Product
from orgconfig.models import Org
from platforms.models import Platform


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELED = "canceled", "Canceled"


class Order(models.Model):
    """The order a completed checkout session becomes (the seed calls it the SCM order).

    `checkout_session` is unique: the database itself guarantees one order per session, whatever
    the number of concurrent or repeated completes.
    """

    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="orders")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="orders")
    checkout_session = models.OneToOneField(
        "checkout.CheckoutSession", on_delete=models.PROTECT, related_name="order"
    )
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED
    )
    currency = models.CharField(max_length=3)
    buyer = models.JSONField(default=dict, blank=True)
    totals = models.JSONField(default=list)
    discounts = models.JSONField(default=dict, blank=True)
    fulfillment = models.JSONField(null=True, blank=True)
    # The instrument used, without its credential: id, handler_id, type, display fields.
    payment = models.JSONField(default=dict, blank=True)
    payment_handler_id = models.CharField(max_length=100, blank=True)
    payment_status = models.CharField(
        max_length=16, blank=True, help_text="captured, or none when no payment was taken."
    )
    payment_reference = models.CharField(max_length=200, blank=True)
    # Append-only UCP fulfillment events (shipped, delivered, canceled) and adjustments.
    fulfillment_events = models.JSONField(default=list, blank=True)
    adjustments = models.JSONField(default=list, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "created_at"])]

    def __str__(self):
        return f"{self.guid} ({self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=100)
    product = models.ForeignKey(Product, null=True, on_delete=models.SET_NULL, related_name="+")
    item_id = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    unit_price = models.BigIntegerField()
    quantity = models.PositiveIntegerField()
    totals = models.JSONField(default=list)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return f"{self.quantity} × {self.item_id}"
