"""Routes of the REST binding: per org under /ucp/rest/<orgcode>/, and the root-level routes
clients of the 2026-01-11 generation call on the server root (`root_urlpatterns`)."""

from django.urls import include, path, re_path

from checkout.rest import views
from checkout.rest.discovery import DiscoveryFallbackView

org_patterns = [
    path("checkout-sessions", views.CheckoutCollectionView.as_view(), name="ucp-rest-checkouts"),
    path(
        "checkout-sessions/<str:session_id>",
        views.CheckoutItemView.as_view(),
        name="ucp-rest-checkout",
    ),
    path(
        "checkout-sessions/<str:session_id>/complete",
        views.CheckoutCompleteView.as_view(),
        name="ucp-rest-checkout-complete",
    ),
    path(
        "checkout-sessions/<str:session_id>/cancel",
        views.CheckoutCancelView.as_view(),
        name="ucp-rest-checkout-cancel",
    ),
    path("orders/<str:order_id>", views.OrderView.as_view(), name="ucp-rest-order"),
    path(
        "testing/simulate-shipping/<str:order_id>",
        views.SimulateShippingView.as_view(),
        name="ucp-rest-simulate-shipping",
    ),
    re_path(r"^.*$", views.UnknownRouteView.as_view(), name="ucp-rest-unknown"),
]

root_patterns = [
    path(".well-known/ucp", DiscoveryFallbackView.as_view(), name="ucp-root-profile-fallback"),
    path("orders/<str:order_id>", views.OrderView.as_view(), name="ucp-root-order"),
    path(
        "testing/simulate-shipping/<str:order_id>",
        views.SimulateShippingView.as_view(),
        name="ucp-root-simulate-shipping",
    ),
]

urlpatterns = [path("ucp/rest/<str:orgcode>/", include(org_patterns)), *root_patterns]
