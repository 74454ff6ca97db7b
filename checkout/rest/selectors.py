"""Reads other apps need from the REST binding."""

from dataclasses import dataclass

from checkout.rest.models import RestBinding, RestSettings


@dataclass(frozen=True)
class OrderWebhookTarget:
    platform_id: int
    url: str
    version: str
    agent_profile_url: str
    # The org's compatibility switch for platforms built on the 2026-01-11 sample server.
    sample_envelope: bool = False


def order_webhook_target(*, org_id: int, checkout_guid) -> OrderWebhookTarget | None:
    """Where the platform asked (in its profile, at checkout time) to receive the order
    webhooks of this checkout, and the protocol version to speak to it; None for sessions not
    created over the REST binding or whose platform profile named no webhook URL."""
    binding = (
        RestBinding.objects.select_related("session")
        .filter(session__guid=checkout_guid, session__org_id=org_id)
        .first()
    )
    if binding is None or not binding.order_webhook_url:
        return None

    sample_envelope = RestSettings.objects.filter(
        org_id=org_id, sample_webhook_envelope=True
    ).exists()
    return OrderWebhookTarget(
        platform_id=binding.session.platform_id,
        url=binding.order_webhook_url,
        version=binding.version,
        agent_profile_url=binding.agent_profile_url,
        sample_envelope=sample_envelope,
    )
