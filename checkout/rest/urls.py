"""Routes of the REST binding: per org under /ucp/rest/<orgcode>/, and the root-level routes
clients of the 2026-01-11 generation call on the server root (`root_patterns`). A trailing slash
is tolerated: clients that join the advertised endpoint and the path with one more slash than
needed are common."""

from django.urls import include, path, re_path

from checkout.rest import views

ID = r"(?P<{}>[^/]+)"


def route(pattern: str, view, name: str):
    return re_path(rf"^{pattern}/?$", view.as_view(), name=name)


org_patterns = [
    route("checkout-sessions", views.CheckoutCollectionView, "ucp-rest-checkouts"),
    route(
        "checkout-sessions/" + ID.format("session_id"), views.CheckoutItemView, "ucp-rest-checkout"
    ),
    route(
        "checkout-sessions/" + ID.format("session_id") + "/complete",
        views.CheckoutCompleteView,
        "ucp-rest-checkout-complete",
    ),
    route(
        "checkout-sessions/" + ID.format("session_id") + "/cancel",
        views.CheckoutCancelView,
        "ucp-rest-checkout-cancel",
    ),
    route("orders/" + ID.format("order_id"), views.OrderView, "ucp-rest-order"),
    route("catalog/search", views.CatalogSearchView, "ucp-rest-catalog-search"),
    route("catalog/lookup", views.CatalogLookupView, "ucp-rest-catalog-lookup"),
    route("catalog/product", views.CatalogProductView, "ucp-rest-catalog-product"),
    route(
        "testing/simulate-shipping/" + ID.format("order_id"),
        views.SimulateShippingView,
        "ucp-rest-simulate-shipping",
    ),
    re_path(r"^.*$", views.UnknownRouteView.as_view(), name="ucp-rest-unknown"),
]

root_patterns = [
    route("orders/" + ID.format("order_id"), views.OrderView, "ucp-root-order"),
    route(
        "testing/simulate-shipping/" + ID.format("order_id"),
        views.SimulateShippingView,
        "ucp-root-simulate-shipping",
    ),
]

urlpatterns = [path("ucp/rest/<str:orgcode>/", include(org_patterns)), *root_patterns]
