from django.urls import path

from checkout import api

urlpatterns = [
    path("create", api.CheckoutCreateApi.as_view(), name="checkout-create"),
    path("get", api.CheckoutGetApi.as_view(), name="checkout-get"),
    path("update", api.CheckoutUpdateApi.as_view(), name="checkout-update"),
    path("complete", api.CheckoutCompleteApi.as_view(), name="checkout-complete"),
    path("cancel", api.CheckoutCancelApi.as_view(), name="checkout-cancel"),
]
