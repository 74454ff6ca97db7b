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
    path("", include("checkout.rest.urls")),
]
