"""Reads other apps need from the REST binding."""

from dataclasses import dataclass

from checkout.rest.models import RestBinding


@dataclass(frozen=True)
class OrderWebhookTarget:
    url: str
    version: str
    agent_profile_url: str


def order_webhook_target(*, session) -> OrderWebhookTarget | None:
    """Where the platform asked (in its profile, at checkout time) to receive this session's
    order webhooks, and the protocol version to speak to it; None for sessions not created
    over the REST binding or whose platform profile named no webhook URL."""
    binding = RestBinding.objects.filter(session=session).first()
    if binding is None or not binding.order_webhook_url:
        return None
    return OrderWebhookTarget(
        url=binding.order_webhook_url,
        version=binding.version,
        agent_profile_url=binding.agent_profile_url,
    )
