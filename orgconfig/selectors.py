"""Reads for orgs and memberships."""

from orgconfig.models import Membership, Org, OrgSettings


def org_get_active(*, orgcode: str) -> Org | None:
    if not isinstance(orgcode, str):
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
