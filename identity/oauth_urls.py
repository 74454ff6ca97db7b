"""Root-level OAuth routes of each org's issuer (included from ucp/urls.py)."""

from django.urls import path

from identity import views

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server/oauth/<str:orgcode>",
        views.MetadataView.as_view(),
        name="identity-oauth-metadata",
    ),
    path("oauth/<str:orgcode>", views.IssuerView.as_view(), name="identity-oauth-issuer"),
    path(
        "oauth/<str:orgcode>/authorize",
        views.AuthorizeView.as_view(),
        name="identity-oauth-authorize",
    ),
    path("oauth/<str:orgcode>/token", views.TokenView.as_view(), name="identity-oauth-token"),
    path("oauth/<str:orgcode>/revoke", views.RevokeView.as_view(), name="identity-oauth-revoke"),
]
