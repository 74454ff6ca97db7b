"""Protocol versions the binding speaks, and which one an org answers in by default."""

V2026_01_11 = "2026-01-11"
V2026_04_08 = "2026-04-08"
SUPPORTED_VERSIONS = (V2026_04_08, V2026_01_11)

# Total types that reduce the total: positive in 2026-01-11, negative from 2026-04-08 on.
NEGATIVE_IN_2026_04 = frozenset({"discount", "items_discount"})


def org_root_version(org) -> str:
    """The version of the org's root profile (its UCP config): what a request that names none
    is answered in."""
    from orgconfig.profile import root_profile_version

    version = root_profile_version(org)
    return version if version in SUPPORTED_VERSIONS else V2026_04_08


def is_legacy(version: str) -> bool:
    """2026-01-11: capabilities as arrays, handlers in `payment`, unsigned totals."""
    return version == V2026_01_11


def signed_totals(totals: list[dict], version_is_legacy: bool) -> list[dict]:
    """Discount entries are positive (subtracted) in 2026-01-11 and negative in 2026-04-08."""
    shaped = []
    for entry in totals or []:
        entry = dict(entry)
        if entry.get("type") in NEGATIVE_IN_2026_04:
            entry["amount"] = abs(entry["amount"]) if version_is_legacy else -abs(entry["amount"])
        shaped.append(entry)
    return shaped
