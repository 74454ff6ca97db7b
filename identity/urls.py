from django.urls import path

from identity import api

urlpatterns = [
    path("authorize", api.AuthorizeApi.as_view(), name="identity-authorize"),
    path("token", api.TokenApi.as_view(), name="identity-token"),
    path("revoke", api.RevokeApi.as_view(), name="identity-revoke"),
    path("userinfo", api.UserinfoApi.as_view(), name="identity-userinfo"),
    path("link/list", api.LinkListApi.as_view(), name="identity-link-list"),
    path("link/revoke", api.LinkRevokeApi.as_view(), name="identity-link-revoke"),
    path(
        ".well-known/oauth-authorization-server",
        api.MetadataApi.as_view(),
        name="identity-metadata",
    ),
]
