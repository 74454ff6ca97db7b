from django.urls import path

from platforms import api

urlpatterns = [
    path("register", api.PlatformRegisterApi.as_view(), name="platform-register"),
    path("list", api.PlatformListApi.as_view(), name="platform-list"),
    path("get", api.PlatformGetApi.as_view(), name="platform-get"),
    path("revoke", api.PlatformRevokeApi.as_view(), name="platform-revoke"),
    path("rotate", api.PlatformRotateApi.as_view(), name="platform-rotate"),
]
