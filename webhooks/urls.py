from django.urls import path

from webhooks import api

urlpatterns = [
    path("config/get", api.WebhookConfigGetApi.as_view()),
    path("config/set", api.WebhookConfigSetApi.as_view()),
    path("test", api.WebhookTestApi.as_view()),
]
