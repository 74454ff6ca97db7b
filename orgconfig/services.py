"""Writes for orgs, memberships and API keys."""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from orgconfig.models import ApiKey, Membership, Org, OrgSettings, Role
from ucp import errors
from ucp.secrets import generate_secret, secret_digest

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "ucp_sk"
# Recording every use would turn each read into a write; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def org_create(*, orgcode: str, name: str) -> Org:
    org = Org(orgcode=orgcode, name=name)
    org.full_clean()
    org.save()
    OrgSettings.objects.create(org=org)

    logger.info("Org created", extra={"org": org.orgcode})
    return org


def org_get_or_create(*, orgcode: str, name: str) -> tuple[Org, bool]:
    org = Org.objects.filter(orgcode=orgcode).first()
    if org is not None:
        return org, False
    return org_create(orgcode=orgcode, name=name), True


def membership_set(*, org: Org, user, role: str) -> Membership:
    if role not in Role.values:
        raise errors.InvalidInput.for_field("role", f"must be one of {', '.join(Role.values)}")
    membership, _ = Membership.objects.update_or_create(org=org, user=user, defaults={"role": role})
    return membership


def api_key_create(*, org: Org, name: str, role: str, created_by=None) -> tuple[ApiKey, str]:
    """Creates a key and returns it with its plaintext, which is never available again."""
    if role not in Role.values:
        raise errors.InvalidInput.for_field("role", f"must be one of {', '.join(Role.values)}")

    plaintext = generate_secret(API_KEY_PREFIX)
    api_key = ApiKey.objects.create(
        org=org,
        name=name,
        role=role,
        prefix=plaintext[: len(API_KEY_PREFIX) + 5],
        key_digest=secret_digest(plaintext),
        created_by=created_by,
    )

    logger.info("API key created", extra={"org": org.orgcode, "api_key": str(api_key.guid)})
    return api_key, plaintext


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key


def api_key_authenticate(*, plaintext: str) -> ApiKey | None:
    """The active key with this plaintext, or None. Records when it was last used."""
    api_key = (
        ApiKey.objects.select_related("org")
        .filter(key_digest=secret_digest(plaintext), revoked_at__isnull=True, org__is_active=True)
        .first()
    )
    if api_key is None:
        return None

    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
