"""Reads and writes of an org's REST-binding settings: the simulation routes and the order
webhook envelope for 2026-01-11 sample clients."""

import hmac

from django.db import transaction

from checkout.rest.models import RestSettings
from orgconfig.audit import audit_record
from ucp import errors
from ucp.secrets import secret_digest

MIN_SIMULATION_SECRET_LENGTH = 16


def rest_settings(*, org) -> RestSettings:
    settings, _ = RestSettings.objects.get_or_create(org=org)
    return settings


@transaction.atomic
def rest_settings_set(
    *,
    org,
    actor: str,
    simulation_enabled: bool | None = None,
    simulation_secret: str | None = None,
    sample_webhook_envelope: bool | None = None,
) -> RestSettings:
    """Changes the settings given (None leaves one as it is); enabling simulation needs a secret
    (new or already stored)."""
    settings = RestSettings.objects.select_for_update().get(pk=rest_settings(org=org).pk)
    before = settings_view(settings)
    if simulation_secret is not None:
        if len(simulation_secret) < MIN_SIMULATION_SECRET_LENGTH:
            raise errors.InvalidInput.for_field(
                "simulation_secret", f"at least {MIN_SIMULATION_SECRET_LENGTH} characters"
            )
        settings.simulation_secret_digest = secret_digest(simulation_secret)
    if simulation_enabled is not None:
        if simulation_enabled and not settings.simulation_secret_digest:
            raise errors.InvalidInput.for_field(
                "simulation_secret", "required to enable the simulation routes"
            )
        settings.simulation_enabled = simulation_enabled
    if sample_webhook_envelope is not None:
        settings.sample_webhook_envelope = sample_webhook_envelope
    settings.save()

    audit_record(
        org=org,
        actor=actor,
        action="rest_settings.set",
        target_type="rest_settings",
        target_id=org.orgcode,
        before=before,
        after=settings_view(settings),
    )
    return settings


def settings_view(settings: RestSettings) -> dict:
    """What the audit trail keeps: never the secret or its digest."""
    return {
        "simulation_enabled": settings.simulation_enabled,
        "simulation_secret_set": bool(settings.simulation_secret_digest),
        "webhook_envelope": "sample" if settings.sample_webhook_envelope else "flat",
    }


def simulation_secret_matches(*, settings: RestSettings, presented: str | None) -> bool:
    if not settings.simulation_enabled or not settings.simulation_secret_digest or not presented:
        return False
    return hmac.compare_digest(secret_digest(presented), settings.simulation_secret_digest)
