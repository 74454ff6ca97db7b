from django.contrib import admin
from django.urls import include, path

from orgconfig.api import ProfileEnvelopeApi, leaf_profile_view, root_profile_view
from ucp.api.views import StatApi

urlpatterns = [
    path("admin/", admin.site.urls),
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
]
