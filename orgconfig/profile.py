"""The org's UCP business profile, built from its config on every request, in the shape of each
protocol release (ucp-spec-notes §0.4, §1.1).

The two releases differ in layout: 2026-04-08 keys capabilities, services and payment handlers by
reverse-DNS name inside `ucp` (each a list of entries); 2026-01-11 lists capabilities as an array of
named entries, gives each service one object with a `rest` binding, and puts payment handlers in a
top-level `payment.handlers` array. Only capabilities the org enabled are listed (buyer consent,
which has no switch of its own, whenever checkout is), and only the REST transport, which the
service serves at /ucp/rest/<orgcode>.
"""

from dataclasses import dataclass

from identity.selectors import issuer_url
from orgconfig.models import Org, ProfileVersion
from orgconfig.payment_handlers import PAYMENT_HANDLERS
from orgconfig.selectors import org_settings, ucp_config_of
from orgconfig.signing import signing_keys_published

SHOPPING_SERVICE = "dev.ucp.shopping"
REST_BINDING_PREFIX = "/ucp/rest"

# Config name → (UCP capability name, its spec page, its schema path, the capability it extends).
CAPABILITY_SPECS = {
    "checkout": ("dev.ucp.shopping.checkout", "checkout", "schemas/shopping/checkout.json", None),
    "fulfillment": (
        "dev.ucp.shopping.fulfillment",
        "fulfillment",
        "schemas/shopping/fulfillment.json",
        "dev.ucp.shopping.checkout",
    ),
    "discount": (
        "dev.ucp.shopping.discount",
        "discount",
        "schemas/shopping/discount.json",
        "dev.ucp.shopping.checkout",
    ),
    "buyer_consent": (
        "dev.ucp.shopping.buyer_consent",
        "buyer-consent",
        "schemas/shopping/buyer_consent.json",
        "dev.ucp.shopping.checkout",
    ),
    "order": ("dev.ucp.shopping.order", "order", "schemas/shopping/order.json", None),
    "catalog_search": (
        "dev.ucp.shopping.catalog.search",
        "catalog/search",
        "schemas/shopping/catalog_search.json",
        None,
    ),
    "catalog_lookup": (
        "dev.ucp.shopping.catalog.lookup",
        "catalog/lookup",
        "schemas/shopping/catalog_lookup.json",
        None,
    ),
    "identity_linking": (
        "dev.ucp.common.identity_linking",
        "identity-linking",
        "schemas/common/identity_linking.json",
        None,
    ),
}

# OAuth scopes a linked identity grants, per release (ucp-spec-notes §0.4, identity scopes).
IDENTITY_SCOPES = {
    ProfileVersion.V2026_04_08: (
        "dev.ucp.shopping.checkout:manage",
        "dev.ucp.shopping.order:read",
    ),
    ProfileVersion.V2026_01_11: ("ucp:scopes:checkout_session",),
}


@dataclass(frozen=True)
class ProfileContext:
    """Where the profile is served from: the base URL of the service as the caller reached it,
    and the URL of each release's leaf profile for this org."""

    base_url: str
    leaf_urls: dict[str, str]


def ucp_dev_url(version: str, path: str) -> str:
    # 2026-01-11 documents live at the site root of ucp.dev; later releases are versioned.
    if version == ProfileVersion.V2026_01_11:
        return f"https://ucp.dev/{path}"
    return f"https://ucp.dev/{version}/{path}"


def rest_endpoint(org: Org, context: ProfileContext) -> str:
    return f"{context.base_url}{REST_BINDING_PREFIX}/{org.orgcode}"


def identity_authorization_server(org: Org, context: ProfileContext) -> str:
    """The OAuth authorization server (RFC 8414 issuer) platforms link identities with."""
    return issuer_url(org=org, base_url=context.base_url)


# Capabilities with no switch of their own in the UCP config: listed whenever the switch they
# ride on is on. Buyer consent is stored with the buyer of every checkout, so it comes with
# checkout; the one `catalog` switch serves both catalog capabilities, which read the same
# products. The REST binding offers exactly what enabled_capabilities lists
# (checkout.rest.negotiation.offered_capabilities).
RIDES_ON = {
    "buyer_consent": "checkout",
    "catalog_search": "catalog",
    "catalog_lookup": "catalog",
}

# Capabilities that a release does not define, by the first release that does. The REST binding
# serves the catalog routes in 2026-04-08 only, so the 2026-01-11 profile never lists them.
FIRST_RELEASE = {
    "catalog_search": ProfileVersion.V2026_04_08,
    "catalog_lookup": ProfileVersion.V2026_04_08,
}


def defined_in(name: str, version: str) -> bool:
    # Release names are dates, so they compare in time order as text.
    return version >= FIRST_RELEASE.get(name, version)


def enabled_capabilities(org: Org, version: str) -> list[str]:
    enabled = ucp_config_of(org=org).capabilities
    return [
        name
        for name in CAPABILITY_SPECS
        if enabled.get(RIDES_ON.get(name, name)) and defined_in(name, version)
    ]


def capability_config(name: str, org: Org, version: str, context: ProfileContext) -> dict | None:
    if name != "identity_linking":
        return None
    scopes = IDENTITY_SCOPES[version]
    config = {"authorization_server": identity_authorization_server(org, context)}
    if version == ProfileVersion.V2026_01_11:
        config["scopes"] = list(scopes)
    else:
        config["scopes"] = {scope: {} for scope in scopes}
    return config


def capability_entry(name: str, org: Org, version: str, context: ProfileContext) -> dict:
    ucp_name, spec_page, schema_path, extends = CAPABILITY_SPECS[name]
    entry = {
        "version": version,
        "spec": ucp_dev_url(version, f"specification/{spec_page}"),
        "schema": ucp_dev_url(version, schema_path),
    }
    if extends:
        entry["extends"] = extends
    config = capability_config(name, org, version, context)
    if config is not None:
        entry["config"] = config
    if version == ProfileVersion.V2026_01_11:
        entry = {"name": ucp_name, **entry}
    return entry


def offered_handlers(org: Org) -> list[tuple]:
    configs = ucp_config_of(org=org).payment_handler_configs or {}
    return [
        (PAYMENT_HANDLERS[handler_id], configs.get(handler_id, {}))
        for handler_id in org_settings(org=org).payment_handlers
        if handler_id in PAYMENT_HANDLERS
    ]


# Capabilities served on the REST binding; identity linking is served by the OAuth endpoints.
REST_CAPABILITIES = frozenset({"checkout", "order", "catalog_search", "catalog_lookup"})


def serves_rest_binding(capabilities: list[str]) -> bool:
    return bool(REST_CAPABILITIES.intersection(capabilities))


def profile_2026_04_08(org: Org, context: ProfileContext) -> dict:
    version = ProfileVersion.V2026_04_08
    capabilities = enabled_capabilities(org, version)
    services = {}
    if serves_rest_binding(capabilities):
        services[SHOPPING_SERVICE] = [
            {
                "version": version,
                "spec": ucp_dev_url(version, "specification/overview"),
                "transport": "rest",
                "endpoint": rest_endpoint(org, context),
                "schema": ucp_dev_url(version, "services/shopping/rest.openapi.json"),
            }
        ]
    handlers: dict[str, list] = {}
    for descriptor, config in offered_handlers(org):
        handlers.setdefault(descriptor.name, []).append(
            {
                "id": descriptor.id,
                "version": descriptor.version,
                "spec": descriptor.spec,
                "schema": descriptor.schema,
                "available_instruments": [{"type": t} for t in descriptor.instrument_types],
                "config": config,
            }
        )
    return {
        "ucp": {
            "version": version,
            "services": services,
            "capabilities": {
                CAPABILITY_SPECS[name][0]: [capability_entry(name, org, version, context)]
                for name in capabilities
            },
            "payment_handlers": handlers,
        },
        "signing_keys": signing_keys_published(org=org),
    }


def profile_2026_01_11(org: Org, context: ProfileContext) -> dict:
    version = ProfileVersion.V2026_01_11
    capabilities = enabled_capabilities(org, version)
    services = {}
    if serves_rest_binding(capabilities):
        services[SHOPPING_SERVICE] = {
            "version": version,
            "spec": ucp_dev_url(version, "specification/overview"),
            "rest": {
                "schema": ucp_dev_url(version, "services/shopping/rest.openapi.json"),
                "endpoint": rest_endpoint(org, context),
            },
        }
    handlers = [
        {
            "id": descriptor.id,
            "name": descriptor.name,
            "version": descriptor.version,
            "spec": descriptor.spec,
            "config_schema": descriptor.schema,
            "instrument_schemas": list(descriptor.instrument_schemas),
            "config": config,
        }
        for descriptor, config in offered_handlers(org)
    ]
    return {
        "ucp": {
            "version": version,
            "services": services,
            "capabilities": [
                capability_entry(name, org, version, context) for name in capabilities
            ],
        },
        "payment": {"handlers": handlers},
        "signing_keys": signing_keys_published(org=org),
    }


BUILDERS = {
    ProfileVersion.V2026_04_08: profile_2026_04_08,
    ProfileVersion.V2026_01_11: profile_2026_01_11,
}


def profile_build(*, org: Org, version: str, context: ProfileContext) -> dict:
    """The complete leaf profile of one release."""
    return BUILDERS[version](org, context)


def root_profile_version(org: Org) -> str:
    return ucp_config_of(org=org).root_profile_version


def root_profile_build(*, org: Org, context: ProfileContext) -> dict:
    """The profile at /.well-known/ucp: the release the org chose, listing the other release's
    leaf profile in `supported_versions` so that clients of either generation find theirs."""
    version = root_profile_version(org)
    profile = profile_build(org=org, version=version, context=context)
    profile["ucp"]["supported_versions"] = {
        other: url for other, url in context.leaf_urls.items() if other != version
    }
    return profile
