"""Answering routes of a capability the org has switched off.

A disabled capability answers `404 capability-disabled`: to a platform the route does not exist
for this org (as the profile no longer lists it), and the stable code tells it why.
"""

from rest_framework.permissions import BasePermission

from orgconfig.models import Org
from orgconfig.selectors import capability_enabled
from ucp import errors


class CapabilityDisabled(errors.NotFound):
    error_code = "capability-disabled"
    default_message = "This org does not offer this capability."


def ensure_capability(*, org: Org, capability: str) -> None:
    """Raises CapabilityDisabled unless the org offers `capability`. For code outside DRF views
    (the REST binding, services)."""
    if not capability_enabled(org=org, capability=capability):
        raise CapabilityDisabled(
            f"This org does not offer {capability}.", details={"capability": capability}
        )


def RequiresCapability(capability: str) -> type[BasePermission]:  # noqa: N802 (reads as a class)
    """A DRF permission for views whose caller carries an org (admins and platforms):
    `permission_classes = [RequiresCapability("checkout")]`. Runs after authentication."""

    class CapabilityPermission(BasePermission):
        def has_permission(self, request, view):
            org = getattr(request.user, "org", None)
            if org is None:
                return False
            ensure_capability(org=org, capability=capability)
            return True

    CapabilityPermission.__name__ = f"Requires{capability.title().replace('_', '')}"
    return CapabilityPermission
