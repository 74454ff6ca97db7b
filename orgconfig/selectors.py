"""Reads for orgs, memberships and the UCP config."""

from contextlib import contextmanager
from contextvars import ContextVar

from orgconfig.models import Membership, Org, OrgHostname, OrgSettings, UcpConfig, orgcode_validator
from orgconfig.signing import signing_keys_listed


def org_get_active(*, orgcode: str) -> Org | None:
    # Orgcodes arrive from query strings and headers: anything that cannot be one (a NUL, which
    # PostgreSQL refuses in text, included) names no org, without a query.
    if not isinstance(orgcode, str) or not orgcode_validator.regex.fullmatch(orgcode):
        return None
    return Org.objects.filter(orgcode=orgcode, is_active=True).first()


def org_settings(*, org: Org) -> OrgSettings:
    settings, _ = OrgSettings.objects.get_or_create(org=org)
    return settings


def membership_role(*, org: Org, user) -> str | None:
    """The user's role in the org; superusers act as owners of every org."""
    if not user or not user.is_active:
        return None
    if user.is_superuser:
        return "owner"
    return Membership.objects.filter(org=org, user=user).values_list("role", flat=True).first()


def orgs_of_user(*, user):
    if user.is_superuser:
        return Org.objects.all()
    return Org.objects.filter(memberships__user=user)


# Org pk → its config, while a ucp_configs_read_once() block runs (None outside one).
_configs_read: ContextVar[dict | None] = ContextVar("ucp_configs_read", default=None)


@contextmanager
def ucp_configs_read_once():
    """Within the block each org's config is read from the database once. For request paths
    that only read the config and consult it many times (a REST binding call asks about nine
    times: auth mode, versions, capabilities, payment handlers, policy links); a config written
    inside the block would not be seen there, so never wrap code that changes it. Usable as a
    decorator too (each call gets its own block)."""
    token = _configs_read.set({})
    try:
        yield
    finally:
        _configs_read.reset(token)


def ucp_config_of(*, org: Org) -> UcpConfig:
    """The org's stored config, or the defaults (unsaved, revision 1) when it has none yet."""
    read = _configs_read.get()
    if read is not None and org.pk in read:
        return read[org.pk]

    config = UcpConfig.objects.filter(org=org).first() or UcpConfig(org=org)
    if read is not None:
        read[org.pk] = config
    return config


def capability_enabled(*, org: Org, capability: str) -> bool:
    """Whether the org offers `capability` (checkout, fulfillment, discount, order, catalog,
    identity_linking). An inactive org offers nothing."""
    if not org.is_active:
        return False
    return bool(ucp_config_of(org=org).capabilities.get(capability, False))


def org_hostnames(*, org: Org) -> list[str]:
    return list(OrgHostname.objects.filter(org=org).values_list("hostname", flat=True))


def org_for_hostname(*, hostname: str) -> tuple[Org | None, bool]:
    """The org mapped to `hostname`, and whether any org (active or not) claims it."""
    mapping = OrgHostname.objects.select_related("org").filter(hostname=hostname.lower()).first()
    if mapping is None:
        return None, False
    return (mapping.org if mapping.org.is_active else None), True


def ucp_config_view(*, org: Org) -> dict:
    """The config as admins read and write it through /config/get and /config/set."""
    config = ucp_config_of(org=org)
    operational = org_settings(org=org)
    handler_configs = config.payment_handler_configs or {}
    return {
        "orgcode": org.orgcode,
        "revision": config.revision,
        "capabilities": dict(config.capabilities),
        "payment_handlers": [
            {"id": handler_id, "config": handler_configs.get(handler_id, {})}
            for handler_id in operational.payment_handlers
        ],
        "policy_links": dict(config.policy_links),
        "tax_rate_bps": operational.tax_rate_bps,
        "buyer_email_required": operational.buyer_email_required,
        "saved_addresses": operational.saved_addresses,
        "checkout_ttl_seconds": operational.checkout_ttl_seconds,
        "secret_rotation_grace_seconds": operational.secret_rotation_grace_seconds,
        "webhook_defaults": dict(config.webhook_defaults),
        "rest_auth": config.rest_auth,
        "hostnames": org_hostnames(org=org),
        "root_profile_version": config.root_profile_version,
        "signing_keys": signing_keys_listed(org=org),
        "updated_at": config.updated_at.isoformat() if config.updated_at else None,
    }


def policy_links(*, org: Org) -> list[dict]:
    """The org's policy links as UCP checkout `links` entries: `[{"type", "url"}]`."""
    links = ucp_config_of(org=org).policy_links or {}
    return [{"type": link_type, "url": url} for link_type, url in links.items()]


def rest_auth_mode(*, org: Org) -> str:
    """How platforms authenticate on the org's REST binding: none, api_key or
    oauth_client_credentials (orgconfig.models.RestAuth)."""
    return ucp_config_of(org=org).rest_auth


def webhook_defaults(*, org: Org) -> dict:
    """What a newly registered platform's webhook subscription starts with:
    `{"enabled": bool, "events": [...]}` drawn from orgconfig.ucp_config.WEBHOOK_EVENTS."""
    return dict(ucp_config_of(org=org).webhook_defaults)
