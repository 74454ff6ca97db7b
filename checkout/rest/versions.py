"""Protocol versions the binding speaks, and which one an org answers in by default."""

V2026_01_11 = "2026-01-11"
V2026_04_08 = "2026-04-08"
SUPPORTED_VERSIONS = (V2026_04_08, V2026_01_11)
FALLBACK_ROOT_VERSION = V2026_04_08


def org_root_version(org) -> str:
    """The version of the org's root profile: what a request that names none is answered in.

    Reads `ucp_root_version` from the org's settings when the org config provides it (the profile
    issue adds it); until then every org answers in settings.UCP_ROOT_VERSION_DEFAULT
    (2026-04-08 unless the environment says otherwise).
    """
    from django.conf import settings

    from orgconfig.selectors import org_settings

    fallback = settings.UCP_ROOT_VERSION_DEFAULT
    fallback = fallback if fallback in SUPPORTED_VERSIONS else FALLBACK_ROOT_VERSION
    version = getattr(org_settings(org=org), "ucp_root_version", "") or fallback
    return version if version in SUPPORTED_VERSIONS else fallback


def is_legacy(version: str) -> bool:
    """2026-01-11: capabilities as arrays, handlers in `payment`, unsigned totals."""
    return version == V2026_01_11
