"""Writes for orgs, memberships and API keys."""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from orgconfig.audit import audit_record
from orgconfig.models import ApiKey, Membership, Org, OrgHostname, OrgSettings, Role, UcpConfig
from orgconfig.selectors import ucp_config_view
from orgconfig.signing import signing_key_rotate
from orgconfig.ucp_config import parse_config_changes
from ucp import errors
from ucp.revisions import parse_expected_revision, update_if_revision
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
    UcpConfig.objects.create(org=org)

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


# Fields of the config view that are state, not settings: left out of the audit trail's diff.
NOT_AUDITED = ("revision", "signing_keys", "updated_at")
OPERATIONAL_FIELDS = (
    "tax_rate_bps",
    "checkout_ttl_seconds",
    "secret_rotation_grace_seconds",
    "buyer_email_required",
    "saved_addresses",
)


def audited_view(view: dict) -> dict:
    return {key: value for key, value in view.items() if key not in NOT_AUDITED}


def hostnames_taken_elsewhere(*, org: Org, hostnames: list[str]) -> list[str]:
    return list(
        OrgHostname.objects.filter(hostname__in=hostnames)
        .exclude(org=org)
        .values_list("hostname", flat=True)
    )


def hostnames_replace(*, org: Org, hostnames: list[str]) -> None:
    taken = hostnames_taken_elsewhere(org=org, hostnames=hostnames)
    if taken:
        index = hostnames.index(taken[0])
        raise errors.InvalidInput.for_field(f"hostnames[{index}]", "is mapped to another org")

    OrgHostname.objects.filter(org=org).exclude(hostname__in=hostnames).delete()
    existing = set(OrgHostname.objects.filter(org=org).values_list("hostname", flat=True))
    try:
        # A savepoint: losing a race for a hostname must not poison the outer transaction.
        with transaction.atomic():
            OrgHostname.objects.bulk_create(
                [OrgHostname(org=org, hostname=name) for name in hostnames if name not in existing]
            )
    except IntegrityError:
        raise errors.InvalidInput.for_field("hostnames", "one is mapped to another org") from None


@transaction.atomic
def ucp_config_set(*, org: Org, actor: str, expected_revision, changes: dict) -> dict:
    """Applies a partial config change under `expected_revision`, writes the operational values
    through to OrgSettings, and records the change in the audit trail; all in one transaction."""
    revision = parse_expected_revision(expected_revision)
    config, _ = UcpConfig.objects.get_or_create(org=org)
    # The row lock makes the before-image exact: no other writer can commit in between.
    config = UcpConfig.objects.select_for_update().get(pk=config.pk)
    before = ucp_config_view(org=org)
    parsed = parse_config_changes(changes, current=before)

    config_fields = {
        key: parsed[key]
        for key in ("capabilities", "policy_links", "webhook_defaults", "rest_auth")
        if key in parsed
    }
    if "root_profile_version" in parsed:
        config_fields["root_profile_version"] = parsed["root_profile_version"]
    if "payment_handlers" in parsed:
        config_fields["payment_handler_configs"] = {
            entry["id"]: entry["config"] for entry in parsed["payment_handlers"]
        }
    update_if_revision(
        config, expected_revision=revision, updated_at=timezone.now(), **config_fields
    )

    operational = {key: parsed[key] for key in OPERATIONAL_FIELDS if key in parsed}
    if "payment_handlers" in parsed:
        operational["payment_handlers"] = [entry["id"] for entry in parsed["payment_handlers"]]
    if operational:
        OrgSettings.objects.update_or_create(org=org, defaults=operational)
    if "hostnames" in parsed:
        hostnames_replace(org=org, hostnames=parsed["hostnames"])

    after = ucp_config_view(org=org)
    audit_record(
        org=org,
        actor=actor,
        action="ucp_config.set",
        target_type="ucp_config",
        target_id=org.orgcode,
        before=audited_view(before),
        after=audited_view(after),
    )
    logger.info(
        "UCP config changed",
        extra={"org": org.orgcode, "revision": after["revision"], "fields": sorted(parsed)},
    )
    return after


def signing_key_rotate_audited(*, org: Org, actor: str) -> dict:
    """Rotates the org's signing key and records it; returns the new key's public facts only."""
    with transaction.atomic():
        key = signing_key_rotate(org=org)
        audit_record(
            org=org,
            actor=actor,
            action="signing_key.rotate",
            target_type="signing_key",
            target_id=key.kid,
            after={"kid": key.kid},
        )
    return {"kid": key.kid, "created_at": key.created_at.isoformat()}
