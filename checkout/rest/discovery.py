"""A minimal root `/.well-known/ucp` so that clients (and the conformance suite) can find the
REST endpoint before the org-config/profile work lands.

Known limit: it is a stand-in. The profile issue builds the real profile from the org config
(signing keys, policy links, supported_versions, per-version leaves); its route is included
before this one in ucp/urls.py and then shadows it, and this module can be deleted.
"""

from django.http import JsonResponse
from django.views import View

from checkout.rest.handlers import payment_handlers_for
from checkout.rest.negotiation import BUSINESS_CAPABILITIES
from checkout.rest.translators import public_base
from checkout.rest.versions import is_legacy, org_root_version

SPEC = "https://ucp.dev/specification/"
SCHEMAS = "https://ucp.dev/schemas/shopping/"


def capability_entry(name: str, version: str) -> dict:
    short = name.rsplit(".", 1)[1]
    entry = {
        "version": version,
        "spec": SPEC + short.replace("_", "-"),
        "schema": SCHEMAS + f"{short}.json",
    }
    if BUSINESS_CAPABILITIES[name]:
        entry["extends"] = BUSINESS_CAPABILITIES[name]
    return entry


def profile_for(org, request) -> dict:
    version = org_root_version(org)
    endpoint = f"{public_base(request)}/ucp/rest/{org.orgcode}"
    if is_legacy(version):
        return {
            "ucp": {
                "version": version,
                "services": {
                    "dev.ucp.shopping": {
                        "version": version,
                        "spec": SPEC + "overview",
                        "rest": {
                            "schema": "https://ucp.dev/services/shopping/openapi.json",
                            "endpoint": endpoint,
                        },
                    }
                },
                "capabilities": [
                    {"name": name, **capability_entry(name, version)}
                    for name in BUSINESS_CAPABILITIES
                ],
            },
            "payment": {"handlers": payment_handlers_for(org, version)},
        }
    return {
        "ucp": {
            "version": version,
            "services": {
                "dev.ucp.shopping": [
                    {
                        "version": version,
                        "spec": SPEC + "overview",
                        "transport": "rest",
                        "endpoint": endpoint,
                        "schema": f"https://ucp.dev/{version}/services/shopping/rest.openapi.json",
                    }
                ]
            },
            "capabilities": {
                name: [capability_entry(name, version)]
                for name in BUSINESS_CAPABILITIES
                if name != "dev.ucp.shopping.buyer_consent"
            },
            "payment_handlers": payment_handlers_for(org, version),
        }
    }


class DiscoveryFallbackView(View):
    def get(self, request):
        from checkout.rest.views import not_found_org, org_for_request

        org = org_for_request(request, None)
        if org is None:
            return not_found_org()
        response = JsonResponse(profile_for(org, request))
        response["Cache-Control"] = "public, max-age=60"
        return response
