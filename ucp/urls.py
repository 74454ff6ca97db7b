from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularSwaggerView,
    SpectacularYAMLAPIView,
)

from orgconfig.api import ProfileEnvelopeApi, leaf_profile_view, root_profile_view
from orgconfig.console import ucp_config_view
from ucp.api.views import StatApi
from ucp.dashboard import dashboard_index_view, dashboard_view

urlpatterns = [
    # Console: per-org dashboards live inside the admin (same login, same look).
    path("admin/dashboard/", admin.site.admin_view(dashboard_index_view), name="ucp-dashboards"),
    path(
        "admin/dashboard/<str:orgcode>/",
        admin.site.admin_view(dashboard_view),
        name="ucp-dashboard",
    ),
    path(
        "admin/ucp-config/<str:orgcode>/",
        admin.site.admin_view(ucp_config_view),
        name="ucp-config",
    ),
    path("admin/", admin.site.urls),
    # API docs: OpenAPI 3.1 as JSON and YAML, and Swagger UI with assets served by the project.
    path("api/schema.json", SpectacularJSONAPIView.as_view(), name="api-schema-json"),
    path("api/schema.yaml", SpectacularYAMLAPIView.as_view(), name="api-schema-yaml"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema-json"), name="api-docs"),
    path("ucp/stat", StatApi.as_view(), name="stat"),
    path("ucp/platform/", include("platforms.urls")),
    path("ucp/checkout/", include("checkout.urls")),
    path("ucp/config/", include("orgconfig.urls")),
    path("ucp/identity/", include("identity.urls")),
    path("ucp/webhook/", include("webhooks.urls")),
    # The org's UCP business profile: in the envelope, and plain at the site root (no redirect).
    path("ucp/.well-known/ucp", ProfileEnvelopeApi.as_view(), name="profile-envelope"),
    path(".well-known/ucp", root_profile_view, name="profile-root"),
    path(".well-known/ucp/<str:version>", leaf_profile_view, name="profile-leaf"),
    # Standard OAuth surfaces of each org's issuer (RFC 8414 / 6749 / 7009, browser authorize).
    path("", include("identity.oauth_urls")),
    # The standard UCP REST binding (and its root-level routes); last, so the routes above win.
    path("", include("checkout.rest.urls")),
]
