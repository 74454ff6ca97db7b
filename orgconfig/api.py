"""Routes for the org's UCP config (`/ucp/config/get|set`) and its published profile
(`/ucp/.well-known/ucp?orgcode=X` in the envelope, `/.well-known/ucp[/<version>]` plain)."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from orgconfig import profile, selectors, services
from orgconfig.models import Org, ProfileVersion
from ucp import errors
from ucp.api.views import AdminApiView, AdminReadApiView, SeedApiView, envelope

logger = logging.getLogger(__name__)

# UCP requires `public` and a max-age of at least 60 s on the profile (ucp-spec-notes §1.1).
# The profile views only read the org's config, and a profile build consults it for the version,
# the capabilities and the payment handlers: each view reads it once (ucp_configs_read_once).
PROFILE_CACHE_CONTROL = "public, max-age=300"
ROOT_PROFILE_PATH = "/.well-known/ucp"


class ConfigGetApi(AdminReadApiView):
    def post(self, request):
        config = selectors.ucp_config_view(org=self.org)
        return envelope(config, revision=config["revision"])


class ConfigSetApi(AdminApiView):
    def post(self, request):
        body = self.request_body()
        expected_revision = body.pop("expected_revision", None)
        config = services.ucp_config_set(
            org=self.org,
            actor=request.user.actor,
            expected_revision=expected_revision,
            changes=body,
        )
        return envelope(config, revision=config["revision"])


def request_host(request) -> str:
    """The hostname the caller used, without port. Django has already checked it against
    ALLOWED_HOSTS, so it is one this deployment answers to."""
    return (urlsplit(f"//{request.get_host()}").hostname or "").lower()


def public_base_url(request) -> str:
    if settings.UCP_PUBLIC_BASE_URL:
        return settings.UCP_PUBLIC_BASE_URL.rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def org_served_at(hostname: str) -> Org | None:
    """The org whose profile a hostname serves: the org mapped to it, else the default org. A
    hostname mapped to a disabled org serves nobody: another org's profile would mislead."""
    org, claimed = selectors.org_for_hostname(hostname=hostname)
    if claimed:
        return org
    return selectors.org_get_active(orgcode=settings.UCP_DEFAULT_ORGCODE)


def profile_context(request, org: Org) -> profile.ProfileContext:
    """Leaf profile URLs live on the service's public base URL; they carry `?orgcode=` when that
    host alone would not lead to this org (the envelope route, an explicit `?orgcode=`, or a
    public base URL other than the org's own hostname)."""
    base = public_base_url(request)
    served_there = org_served_at((urlsplit(base).hostname or "").lower())
    host_leads_here = served_there is not None and served_there.pk == org.pk
    suffix = "" if host_leads_here else f"?orgcode={org.orgcode}"
    return profile.ProfileContext(
        base_url=base,
        leaf_urls={
            version: f"{base}{ROOT_PROFILE_PATH}/{version}{suffix}"
            for version in ProfileVersion.values
        },
    )


class ProfileEnvelopeApi(SeedApiView):
    """`GET /ucp/.well-known/ucp?orgcode=X`: the org's root profile inside the envelope."""

    @selectors.ucp_configs_read_once()
    def get(self, request):
        org = selectors.org_get_active(orgcode=request.query_params.get("orgcode"))
        if org is None:
            raise errors.NotFound("No such org.")
        context = profile_context(request, org)
        response = envelope(profile.root_profile_build(org=org, context=context))
        response["Cache-Control"] = PROFILE_CACHE_CONTROL
        response["Vary"] = "Host"  # its URLs are built on the request's host, as at the root
        return response


def plain_not_found() -> JsonResponse:
    return JsonResponse({"error": "not_found", "message": "No UCP profile here."}, status=404)


def resolve_root_org(request) -> Org | None:
    """The org a root route serves: `?orgcode=` when given, else the request's hostname."""
    orgcode = request.GET.get("orgcode")
    if orgcode is not None:
        return selectors.org_get_active(orgcode=orgcode)
    return org_served_at(request_host(request))


def plain_profile_response(document: dict) -> JsonResponse:
    response = JsonResponse(document, json_dumps_params={"separators": (",", ":")})
    response["Cache-Control"] = PROFILE_CACHE_CONTROL
    response["Vary"] = "Host"
    return response


@require_safe
@selectors.ucp_configs_read_once()
def root_profile_view(request):
    """`GET /.well-known/ucp`: the plain UCP business profile, never redirected."""
    org = resolve_root_org(request)
    if org is None:
        return plain_not_found()
    context = profile_context(request, org)
    return plain_profile_response(profile.root_profile_build(org=org, context=context))


@require_safe
@selectors.ucp_configs_read_once()
def leaf_profile_view(request, version: str):
    """`GET /.well-known/ucp/<version>`: the complete profile of one protocol release."""
    if version not in ProfileVersion.values:
        return plain_not_found()
    org = resolve_root_org(request)
    if org is None:
        return plain_not_found()
    context = profile_context(request, org)
    return plain_profile_response(profile.profile_build(org=org, version=version, context=context))
