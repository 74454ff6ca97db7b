"""An org's catalog. Amounts are integers in the currency's ISO 4217 minor unit (cents for USD,
yen for JPY, fils for KWD), never floats. Rows imported from CSV keep the CSV `id` as `public_id`,
which is the id platforms send (`bouquet_roses`, `cust_1`)."""

from django.db import models
from django.db.models.functions import Lower

from orgconfig.models import Org

public_id_field = dict(max_length=100, help_text="The id platforms and imports use.")


class Product(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="products")
    public_id = models.CharField(**public_id_field)
    title = models.CharField(max_length=300)
    price = models.BigIntegerField(help_text="Unit price in minor units.")
    currency = models.CharField(max_length=3, default="USD")
    image_url = models.URLField(max_length=2000, blank=True)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["org", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "public_id"], name="unique_product_per_org"),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="product_price_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.public_id}: {self.title}"


class InventoryLevel(models.Model):
    """Units on hand. A separate row so that completing a checkout locks only the stock it
    takes, not the product that every cart reads."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="inventory")
    quantity = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="inventory_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.product.public_id}: {self.quantity}"


class Discount(models.Model):
    class Type(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage"
        FIXED_AMOUNT = "fixed_amount", "Fixed amount"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="discounts")
    code = models.CharField(
        max_length=100, help_text="Stored upper-case; matched case-insensitively."
    )
    type = models.CharField(max_length=16, choices=Type.choices)
    value = models.BigIntegerField(help_text="Percent (0-100) or an amount in minor units.")
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["org", "code"]
        constraints = [models.UniqueConstraint(fields=["org", "code"], name="unique_discount_code")]

    def __str__(self):
        return self.code


class Promotion(models.Model):
    class Type(models.TextChoices):
        FREE_SHIPPING = "free_shipping", "Free shipping"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="promotions")
    public_id = models.CharField(**public_id_field)
    type = models.CharField(max_length=32, choices=Type.choices)
    min_subtotal = models.BigIntegerField(null=True, blank=True)
    eligible_item_ids = models.JSONField(default=list, blank=True)
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["org", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "public_id"], name="unique_promotion_per_org")
        ]

    def __str__(self):
        return self.public_id


class ShippingRate(models.Model):
    DEFAULT_COUNTRY = "default"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="shipping_rates")
    public_id = models.CharField(**public_id_field)
    country_code = models.CharField(max_length=7, help_text="ISO 3166 alpha-2, or 'default'.")
    service_level = models.CharField(max_length=50)
    price = models.BigIntegerField()
    title = models.CharField(max_length=300)

    class Meta:
        ordering = ["org", "public_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "public_id"], name="unique_shipping_rate_per_org"
            )
        ]

    def __str__(self):
        return f"{self.public_id} ({self.country_code})"


class CustomerOrigin(models.TextChoices):
    CATALOG = "catalog", "Imported or added by an admin"
    CHECKOUT = "checkout", "Created for a checkout's buyer email"


class Customer(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="customers")
    public_id = models.CharField(**public_id_field)
    name = models.CharField(max_length=300)
    email = models.EmailField(max_length=320)
    phone_number = models.CharField(max_length=40, blank=True)
    origin = models.CharField(
        max_length=16, choices=CustomerOrigin.choices, default=CustomerOrigin.CATALOG
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["org", "public_id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "public_id"], name="unique_customer_per_org"),
            # Concurrent checkouts with one new buyer email create one customer, not two.
            # Imported customers are left out: an org's own data may list an email twice.
            models.UniqueConstraint(
                Lower("email"),
                "org",
                condition=models.Q(origin="checkout"),
                name="one_checkout_customer_per_email",
            ),
        ]

    def __str__(self):
        return f"{self.public_id}: {self.name}"


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    public_id = models.CharField(**public_id_field)
    street_address = models.CharField(max_length=300)
    extended_address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["customer", "public_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "public_id"], name="unique_address_per_customer"
            )
        ]

    def __str__(self):
        return f"{self.public_id}: {self.street_address}, {self.city}"
