"""Reads for identity linking, and the org's OAuth issuer and RFC 8414 metadata (which the
capability profile builder calls too)."""

from django.conf import settings
from django.urls import reverse

from catalog.models import Customer
from identity.models import IdentityLink
from identity.scopes import SCOPES
from orgconfig.models import Org
from orgconfig.selectors import org_get_active
from ucp import errors
from ucp.ids import parse_guid

METADATA_WELL_KNOWN = "/.well-known/oauth-authorization-server"


def public_base_url(request=None) -> str:
    """UCP_PUBLIC_BASE_URL when set (deployments behind a proxy), else where the request came."""
    if settings.UCP_PUBLIC_BASE_URL:
        return settings.UCP_PUBLIC_BASE_URL.rstrip("/")
    if request is None:
        raise ValueError("Set UCP_PUBLIC_BASE_URL or pass the request.")
    return request.build_absolute_uri("/").rstrip("/")


def issuer_url(*, org: Org, base_url: str) -> str:
    """The org's OAuth issuer, e.g. `https://shop.example/oauth/DEMO`."""
    return base_url.rstrip("/") + reverse("identity-oauth-issuer", args=[org.orgcode])


def metadata_url(*, org: Org, base_url: str) -> str:
    """Where RFC 8414 §3 puts the metadata of an issuer with a path: the well-known segment is
    inserted between the host and the issuer's path."""
    path = reverse("identity-oauth-issuer", args=[org.orgcode])
    return base_url.rstrip("/") + METADATA_WELL_KNOWN + path


def authorization_server_metadata(*, org: Org, base_url: str) -> dict:
    """RFC 8414 metadata of the org's issuer: only what the server really supports."""
    base_url = base_url.rstrip("/")
    orgcode = org.orgcode
    return {
        "issuer": issuer_url(org=org, base_url=base_url),
        "authorization_endpoint": base_url + reverse("identity-oauth-authorize", args=[orgcode]),
        "token_endpoint": base_url + reverse("identity-oauth-token", args=[orgcode]),
        "revocation_endpoint": base_url + reverse("identity-oauth-revoke", args=[orgcode]),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "authorization_response_iss_parameter_supported": True,
    }


def org_for_metadata(*, orgcode) -> Org:
    org = org_get_active(orgcode=orgcode) if isinstance(orgcode, str) and orgcode else None
    if org is None:
        raise errors.NotFound("No such org.")
    return org


def customer_get(*, org: Org, customer_guid) -> Customer:
    if not isinstance(customer_guid, str) or not customer_guid:
        raise errors.InvalidInput.for_field("customer_guid", "is required and must be a string")
    customer = Customer.objects.filter(org=org, public_id=customer_guid).first()
    if customer is None:
        raise errors.NotFound("No such customer.")
    return customer


def link_get(*, org: Org, link_guid) -> IdentityLink:
    guid = parse_guid(link_guid, "link_guid")
    link = (
        IdentityLink.objects.select_related("platform", "customer", "org")
        .filter(org=org, guid=guid)
        .first()
    )
    if link is None:
        raise errors.NotFound("No such identity link.")
    return link


def link_list(*, org: Org):
    return IdentityLink.objects.select_related("platform", "customer").filter(org=org)
