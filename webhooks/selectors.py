"""Reads for webhooks, scoped to the caller's org."""

from orgconfig.models import Org
from webhooks.models import WebhookDelivery


def deliveries_of_org(*, org: Org):
    return WebhookDelivery.objects.select_related("platform", "event").filter(org=org)
