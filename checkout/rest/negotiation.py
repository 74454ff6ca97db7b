"""Version and capability negotiation for one request (spec overview "Negotiation").

The platform's version comes from `UCP-Agent`'s `version` when given, else from its fetched
profile, else the org's root version. The capability intersection follows the 2026-04-08
algorithm; a 2026-01-11 client is served every capability the org offers even when its profile
does not list them (the suite's platform profile lists only the order capability yet uses
checkout with fulfillment and discounts), which is that release's compatibility mode.
"""

from dataclasses import dataclass

from checkout.rest.agent import AgentHeader, PlatformProfile, parse_agent_header, platform_profile
from checkout.rest.errors import ProtocolError
from checkout.rest.versions import SUPPORTED_VERSIONS, is_legacy, org_root_version
from orgconfig.profile import CAPABILITY_SPECS, enabled_capabilities

CHECKOUT = "dev.ucp.shopping.checkout"
ORDER = "dev.ucp.shopping.order"
FULFILLMENT = "dev.ucp.shopping.fulfillment"
DISCOUNT = "dev.ucp.shopping.discount"
BUYER_CONSENT = "dev.ucp.shopping.buyer_consent"
CATALOG_SEARCH = "dev.ucp.shopping.catalog.search"
CATALOG_LOOKUP = "dev.ucp.shopping.catalog.lookup"

# Capability name → the parent it extends (None for a root capability).
BUSINESS_CAPABILITIES = {
    CHECKOUT: None,
    ORDER: None,
    FULFILLMENT: CHECKOUT,
    DISCOUNT: CHECKOUT,
    BUYER_CONSENT: CHECKOUT,
    CATALOG_SEARCH: None,
    CATALOG_LOOKUP: None,
}


@dataclass(frozen=True)
class Negotiated:
    version: str
    root_version: str
    capabilities: tuple[str, ...]
    agent: AgentHeader
    profile: PlatformProfile
    offered: tuple[str, ...] = tuple(BUSINESS_CAPABILITIES)

    @property
    def legacy(self) -> bool:
        return is_legacy(self.version)


def offered_capabilities(org, version: str) -> tuple[str, ...]:
    """What the org's config enables, by UCP name, among the capabilities `version` defines: the
    capabilities its published profile of that version lists (orgconfig.profile decides which
    switch each rides on and which release defines it). An inactive org offers nothing."""
    if not org.is_active:
        return ()
    listed = {CAPABILITY_SPECS[name][0] for name in enabled_capabilities(org, version)}
    return tuple(name for name in BUSINESS_CAPABILITIES if name in listed)


def speaks_a_common_version(platform_versions: list[str]) -> bool:
    """Step 2 of the intersection: the platform lists a version of the capability that we serve.
    Every capability we offer is served in every protocol version we support. An entry without
    a version (some profiles in the wild) is taken as compatible rather than dropped."""
    return not platform_versions or any(
        version in SUPPORTED_VERSIONS or version == "" for version in platform_versions
    )


def intersect(platform: dict[str, list[str]], offered: tuple[str, ...]) -> tuple[str, ...]:
    """The 2026-04-08 intersection: capabilities both sides name in a common version, then
    extensions whose parent survived, repeated until nothing more drops."""
    kept = {
        name for name in offered if name in platform and speaks_a_common_version(platform[name])
    }
    changed = True
    while changed:
        orphans = {
            n for n in kept if BUSINESS_CAPABILITIES[n] and BUSINESS_CAPABILITIES[n] not in kept
        }
        kept -= orphans
        changed = bool(orphans)
    return tuple(name for name in BUSINESS_CAPABILITIES if name in kept)


def negotiate(*, org, agent_header: str | None) -> Negotiated:
    root_version = org_root_version(org)
    try:
        agent = parse_agent_header(agent_header)
    except ValueError as exc:
        raise ProtocolError.invalid_agent(str(exc), version=root_version) from None

    profile = platform_profile(agent.profile_url)
    requested = agent.version or profile.version or root_version
    if requested not in SUPPORTED_VERSIONS:
        raise ProtocolError.version_unsupported(requested, version=root_version)

    offered = offered_capabilities(org, requested)
    if profile.reachable and not is_legacy(requested):
        capabilities = intersect(profile.capabilities, offered)
    else:
        capabilities = offered
    return Negotiated(
        version=requested,
        root_version=root_version,
        capabilities=capabilities,
        agent=agent,
        profile=profile,
        offered=offered,
    )
