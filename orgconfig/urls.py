from django.urls import path

from orgconfig.api import ConfigGetApi, ConfigSetApi

urlpatterns = [
    path("get", ConfigGetApi.as_view(), name="config-get"),
    path("set", ConfigSetApi.as_view(), name="config-set"),
]
