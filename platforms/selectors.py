"""Reads for platforms. Every lookup is scoped to the caller's org."""

from orgconfig.models import Org
from platforms.models import Platform
from ucp import errors
from ucp.ids import parse_guid


def platform_get(*, org: Org, platform_guid) -> Platform:
    """The org's platform with this guid; NotFound for unknown ids and other orgs' platforms."""
    guid = parse_guid(platform_guid, "platform_guid")
    platform = (
        Platform.objects.select_related("org", "application").filter(org=org, guid=guid).first()
    )
    if platform is None:
        raise errors.NotFound("No such platform.")
    return platform


def platform_list(*, org: Org, include_revoked: bool = True):
    platforms = Platform.objects.select_related("application").filter(org=org)
    if not include_revoked:
        platforms = platforms.filter(revoked_at__isnull=True)
    return platforms
