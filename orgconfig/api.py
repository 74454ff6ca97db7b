"""Routes for the org's UCP config (`/ucp/config/get|set`) and its published profile
(`/ucp/.well-known/ucp?orgcode=X` in the envelope, `/.well-known/ucp[/<version>]` plain)."""

import logging

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_safe

from orgconfig import profile, selectors, services
from orgconfig.models import Org, ProfileVersion
from ucp import errors
from ucp.api.views import AdminApiView, AdminReadApiView, SeedApiView, envelope

logger = logging.getLogger(__name__)

# UCP requires `public` and a max-age of at least 60 s on the profile (ucp-spec-notes §1.1).
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
    return request.get_host().rsplit(":", 1)[0].strip("[]").lower()


def public_base_url(request) -> str:
    if settings.UCP_PUBLIC_BASE_URL:
        return settings.UCP_PUBLIC_BASE_URL.rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def org_of_host(request) -> Org | None:
    """The org whose hostname the request used, else the default org. A hostname mapped to a
    disabled org answers for nobody: falling back to another org's profile would mislead."""
    org, claimed = selectors.org_for_hostname(hostname=request_host(request))
    if claimed:
        return org
    return selectors.org_get_active(orgcode=settings.UCP_DEFAULT_ORGCODE)


def profile_context(request, org: Org, *, orgcode_in_query: bool) -> profile.ProfileContext:
    """Leaf URLs point at this host; they carry `?orgcode=` when the host alone does not name
    the org (the envelope route, or a root route asked for another org explicitly)."""
    base = public_base_url(request)
    suffix = f"?orgcode={org.orgcode}" if orgcode_in_query else ""
    return profile.ProfileContext(
        base_url=base,
        leaf_urls={
            version: f"{base}{ROOT_PROFILE_PATH}/{version}{suffix}"
            for version in ProfileVersion.values
        },
    )


class ProfileEnvelopeApi(SeedApiView):
    """`GET /ucp/.well-known/ucp?orgcode=X`: the org's root profile inside the envelope."""

    def get(self, request):
        org = selectors.org_get_active(orgcode=request.query_params.get("orgcode"))
        if org is None:
            raise errors.NotFound("No such org.")
        context = profile_context(request, org, orgcode_in_query=True)
        response = envelope(profile.root_profile_build(org=org, context=context))
        response["Cache-Control"] = PROFILE_CACHE_CONTROL
        return response


def plain_not_found() -> JsonResponse:
    return JsonResponse({"error": "not_found", "message": "No UCP profile here."}, status=404)


def resolve_root_org(request) -> tuple[Org | None, bool]:
    """The org a root route serves: `?orgcode=` when given, else the request's hostname."""
    orgcode = request.GET.get("orgcode")
    if orgcode is not None:
        return selectors.org_get_active(orgcode=orgcode), True
    return org_of_host(request), False


def plain_profile_response(document: dict) -> JsonResponse:
    response = JsonResponse(document, json_dumps_params={"separators": (",", ":")})
    response["Cache-Control"] = PROFILE_CACHE_CONTROL
    response["Vary"] = "Host"
    return response


@require_safe
def root_profile_view(request):
    """`GET /.well-known/ucp`: the plain UCP business profile, never redirected."""
    org, by_query = resolve_root_org(request)
    if org is None:
        return plain_not_found()
    context = profile_context(request, org, orgcode_in_query=by_query)
    return plain_profile_response(profile.root_profile_build(org=org, context=context))


@require_safe
def leaf_profile_view(request, version: str):
    """`GET /.well-known/ucp/<version>`: the complete profile of one protocol release."""
    if version not in ProfileVersion.values:
        return plain_not_found()
    org, by_query = resolve_root_org(request)
    if org is None:
        return plain_not_found()
    context = profile_context(request, org, orgcode_in_query=by_query)
    return plain_profile_response(profile.profile_build(org=org, version=version, context=context))
