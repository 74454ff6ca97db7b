"""Reads of checkout sessions, always scoped to the calling platform."""

from checkout.models import CheckoutSession
from platforms.models import Platform
from ucp import errors
from ucp.ids import parse_guid


def checkout_get(*, platform: Platform, checkout_guid) -> CheckoutSession:
    """The platform's own session; NotFound for unknown ids, other platforms' and other orgs'."""
    guid = parse_guid(checkout_guid, "checkout_guid")
    session = (
        CheckoutSession.objects.select_related("org", "platform", "order", "customer")
        .filter(guid=guid, platform=platform, org_id=platform.org_id)
        .first()
    )
    if session is None:
        raise errors.NotFound("No such checkout session.")
    return session
