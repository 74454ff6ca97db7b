from django.db import models

from checkout.models import CheckoutSession


class RestBinding(models.Model):
    """What the REST binding learnt about the platform when a session was created over it: the
    negotiated protocol version, the platform's profile URL, and the order webhook URL from that
    profile (`dev.ucp.shopping.order` → `config.webhook_url`), which the webhook service reads to
    deliver this session's order events. Kept beside the session so the checkout tables stay the
    checkout service's own."""

    session = models.OneToOneField(
        CheckoutSession, on_delete=models.CASCADE, related_name="rest_binding"
    )
    version = models.CharField(max_length=10)
    agent_profile_url = models.URLField(max_length=2000, blank=True)
    order_webhook_url = models.URLField(max_length=2000, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.session.guid} @ {self.version}"


class RestSettings(models.Model):
    """An org's settings for the conformance suite's simulation routes and a webhook
    compatibility switch. Kept beside the binding until the org config (revisioned, audited)
    takes them over; the fields move as they are.

    The conformance suite's simulation routes can only be switched on together with a secret:
    the database refuses `simulation_enabled` without a secret digest.
    """

    org = models.OneToOneField(
        "orgconfig.Org", on_delete=models.CASCADE, related_name="rest_settings"
    )
    simulation_enabled = models.BooleanField(default=False)
    simulation_secret_digest = models.CharField(max_length=64, blank=True, editable=False)
    # Compatibility with platforms built on the 2026-01-11 sample server (and that release's
    # conformance suite): order webhooks to a profile's webhook URL are wrapped as
    # `{event_type, checkout_id, order}` instead of the flat order the specification defines.
    sample_webhook_envelope = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "REST settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(simulation_enabled=False)
                | ~models.Q(simulation_secret_digest=""),
                name="simulation_needs_secret",
            )
        ]

    def __str__(self):
        return f"REST settings of {self.org.orgcode}"
