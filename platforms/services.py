"""Writes for platforms: registration, secret rotation with a grace period, revocation, and the
credential check every platform call goes through."""

import logging

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken, get_application_model

from orgconfig.audit import audit_record
from orgconfig.models import Org
from orgconfig.selectors import org_settings
from platforms.models import Platform
from ucp import errors
from ucp.revisions import update_if_revision
from ucp.secrets import generate_secret

logger = logging.getLogger(__name__)

CLIENT_SECRET_PREFIX = "ucp_cs"
SECRET_HASHER = "ucp_machine_secret"
Application = get_application_model()


@transaction.atomic
def platform_register(
    *,
    org: Org,
    caption: str,
    scopes: list[str] | None = None,
    callback_url: str = "",
    actor: str = "system",
) -> tuple[Platform, str]:
    """Registers a platform and returns it with its client secret, shown this once only."""
    client_secret = generate_secret(CLIENT_SECRET_PREFIX)
    application = Application.objects.create(
        name=f"{org.orgcode}: {caption}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=client_secret,
        hash_client_secret=True,
        redirect_uris="",
    )
    platform = Platform.objects.create(
        org=org,
        application=application,
        caption=caption,
        scopes=scopes or [],
        callback_url=callback_url,
    )

    audit_record(
        org=org,
        actor=actor,
        action="platform.register",
        target_type="platform",
        target_id=platform.guid,
        after=platform_audit_view(platform),
    )
    logger.info("Platform registered", extra={"org": org.orgcode, "platform": str(platform.guid)})
    return platform, client_secret


@transaction.atomic
def platform_rotate_secret(
    *, platform: Platform, expected_revision: int, actor: str = "system"
) -> tuple[Platform, str]:
    """Issues a new secret. The old one keeps working for the org's grace period, then stops."""
    if not platform.is_active:
        raise errors.InvalidState("A revoked platform cannot rotate its secret.")

    now = timezone.now()
    grace = org_settings(org=platform.org).secret_rotation_grace
    client_secret = generate_secret(CLIENT_SECRET_PREFIX)
    update_if_revision(
        platform,
        expected_revision=expected_revision,
        previous_secret_hash=platform.application.client_secret,
        previous_secret_valid_until=now + grace,
        secret_rotated_at=now,
        updated_at=now,
    )
    store_client_secret(platform, client_secret)

    audit_record(
        org=platform.org,
        actor=actor,
        action="platform.rotate_secret",
        target_type="platform",
        target_id=platform.guid,
        after={"previous_secret_valid_until": platform.previous_secret_valid_until.isoformat()},
    )
    logger.info("Platform secret rotated", extra={"platform": str(platform.guid)})
    return platform, client_secret


@transaction.atomic
def platform_reset_secret(*, platform: Platform) -> str:
    """Replaces the secret with no grace period: the old one stops at once. For ops, when a
    secret leaked or (seed_demo) when its plaintext is needed again."""
    client_secret = generate_secret(CLIENT_SECRET_PREFIX)
    now = timezone.now()
    Platform.objects.filter(pk=platform.pk).update(
        previous_secret_hash="",
        previous_secret_valid_until=None,
        secret_rotated_at=now,
        updated_at=now,
        revision=F("revision") + 1,
    )
    store_client_secret(platform, client_secret)
    platform.refresh_from_db()

    logger.info("Platform secret reset", extra={"platform": str(platform.guid)})
    return client_secret


def store_client_secret(platform: Platform, client_secret: str) -> None:
    Application.objects.filter(pk=platform.application_id).update(
        client_secret=make_password(client_secret, hasher=SECRET_HASHER)
    )
    platform.application.refresh_from_db()


@transaction.atomic
def platform_revoke(
    *, platform: Platform, expected_revision: int, actor: str = "system"
) -> Platform:
    """Stops every use of the platform at once: its secrets and every token issued to it."""
    if not platform.is_active:
        return platform

    now = timezone.now()
    update_if_revision(
        platform,
        expected_revision=expected_revision,
        revoked_at=now,
        updated_at=now,
        previous_secret_hash="",
        previous_secret_valid_until=None,
    )
    RefreshToken.objects.filter(
        application_id=platform.application_id, revoked__isnull=True
    ).update(revoked=now)
    AccessToken.objects.filter(application_id=platform.application_id).delete()

    audit_record(
        org=platform.org,
        actor=actor,
        action="platform.revoke",
        target_type="platform",
        target_id=platform.guid,
        before={"status": "active"},
        after={"status": "revoked"},
    )
    logger.info("Platform revoked", extra={"platform": str(platform.guid)})
    return platform


def platform_audit_view(platform: Platform) -> dict:
    """What the audit trail keeps of a platform: never a secret or its hash."""
    return {
        "caption": platform.caption,
        "scopes": platform.scopes,
        "callback_url": platform.callback_url,
        "client_id": platform.client_id,
    }


def platform_secret_matches(*, platform: Platform, client_secret: str) -> bool:
    """Constant-time check of a secret against the current one and, within its grace period,
    the one it replaced."""
    if not platform.is_active or not isinstance(client_secret, str) or not client_secret:
        return False
    if check_password(client_secret, platform.application.client_secret):
        return True

    grace_open = (
        platform.previous_secret_hash
        and platform.previous_secret_valid_until
        and timezone.now() < platform.previous_secret_valid_until
    )
    return bool(grace_open and check_password(client_secret, platform.previous_secret_hash))


def platform_authenticate(*, client_id, client_secret) -> Platform:
    """The active platform these credentials belong to; Unauthorized otherwise."""
    if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_id:
        raise errors.Unauthorized("client_id and client_secret are required.")
    if "\x00" in client_id:  # from HTTP Basic; PostgreSQL refuses NUL even in a query parameter
        raise errors.Unauthorized("The client credentials are invalid or revoked.")

    platform = (
        Platform.objects.select_related("org", "application")
        .filter(application__client_id=client_id, org__is_active=True)
        .first()
    )
    if platform is None or not platform_secret_matches(
        platform=platform, client_secret=client_secret
    ):
        raise errors.Unauthorized("The client credentials are invalid or revoked.")
    return platform
