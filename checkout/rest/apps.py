from django.apps import AppConfig


class CheckoutRestConfig(AppConfig):
    name = "checkout.rest"
    label = "checkout_rest"
    verbose_name = "UCP REST binding"
    default_auto_field = "django.db.models.BigAutoField"
