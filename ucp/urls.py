from django.contrib import admin
from django.urls import include, path

from ucp.api.views import StatApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("ucp/stat", StatApi.as_view(), name="stat"),
    path("ucp/platform/", include("platforms.urls")),
    path("ucp/checkout/", include("checkout.urls")),
    path("ucp/config/", include("orgconfig.urls")),
    path("ucp/identity/", include("identity.urls")),
    path("ucp/webhook/", include("webhooks.urls")),
    # Standard OAuth surfaces of each org's issuer (RFC 8414 / 6749 / 7009, browser authorize).
    path("", include("identity.oauth_urls")),
]
