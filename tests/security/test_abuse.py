"""Abusive requests get clear errors in the envelope, never a 500, and the service keeps serving.

Slow clients (connections that trickle bytes) need a real gunicorn and take too long for CI; they
are exercised by `python bench/run.py` (the "slow clients" line).
"""

import base64
import json

import pytest

from catalog.models import InventoryLevel
from checkout.models import CheckoutSession
from platforms.models import Platform

CART = [{"item": {"id": "bouquet_roses"}, "quantity": 1}]


def post_raw(api, route: str, raw: str | bytes, **headers):
    return api.post(f"/ucp/{route}", data=raw, content_type="application/json", **headers)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["error_code"] == code
    assert body["error"]["http_status"] == status
    return body


@pytest.fixture
def platform_body(platform_credentials, flower_shop):
    return {k: platform_credentials[k] for k in ("client_id", "client_secret")}


def assert_still_serving(api, platform_body):
    response = api.post(
        "/ucp/checkout/create", {**platform_body, "line_items": CART}, format="json"
    )
    assert response.status_code == 201, response.content


# --- size -------------------------------------------------------------------------------------


def test_body_over_the_size_limit_is_413_before_parsing(api, platform_body, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    raw = json.dumps({**platform_body, "line_items": CART, "pad": "x" * 5000})

    body = assert_error(post_raw(api, "checkout/create", raw), 413, "payload-too-large")

    assert body["error"]["details"]["max_bytes"] == 4096
    assert CheckoutSession.objects.count() == 0


# --- nesting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 2_000, 100_000], ids=["over-limit", "deep", "very-deep"])
@pytest.mark.parametrize("route", ["checkout/create", "platform/register"])
def test_deeply_nested_json_is_a_clear_400(api, platform_body, admin_headers, route, depth):
    # Python's json raises RecursionError on the very deep one; the parser turns every depth past
    # the limit into invalid-input instead of a 500.
    raw = '{"buyer": ' + "[" * depth + "]" * depth + "}"

    body = assert_error(post_raw(api, route, raw, **admin_headers), 400, "invalid-input")

    assert "nested deeper than" in body["error"]["message"]
    assert body["error"]["details"]["max_depth"] == 32
    assert_still_serving(api, platform_body)


def test_nesting_within_the_limit_still_parses(api, platform_body):
    buyer = {"first_name": "Ada"}
    for _ in range(20):
        buyer = {"nested": buyer}

    response = api.post(
        "/ucp/checkout/create",
        {**platform_body, "line_items": CART, "extra": buyer},
        format="json",
    )

    assert response.status_code == 201, response.content


# --- huge arrays ------------------------------------------------------------------------------


def test_too_many_line_items_is_refused_naming_the_field(api, platform_body):
    lines = [{"item": {"id": "bouquet_roses"}, "quantity": 1}] * 251

    body = assert_error(
        api.post("/ucp/checkout/create", {**platform_body, "line_items": lines}, format="json"),
        400,
        "invalid-input",
    )

    assert "line_items" in body["error"]["details"]["fields"]
    assert CheckoutSession.objects.count() == 0


def test_a_huge_array_under_the_byte_limit_is_refused_for_its_length(api, platform_body):
    lines = [{"item": {"id": "no_such_item"}, "quantity": 1}] * 20_000
    raw = json.dumps({**platform_body, "line_items": lines})
    assert len(raw) < 1024 * 1024

    body = assert_error(post_raw(api, "checkout/create", raw), 400, "invalid-input")

    assert body["error"]["details"]["fields"] == {
        "line_items": ["Ensure this field has no more than 250 elements."]
    }
    assert_still_serving(api, platform_body)


# --- unicode ----------------------------------------------------------------------------------

# Raw JSON text, so that escapes reach the parser exactly as a client would send them.
REFUSED_STRINGS = {
    "nul": r'"a\u0000b"',
    "lone-surrogate": r'"\ud800"',
    "lone-low-surrogate": r'"x\udfffy"',
}
ODD_BUT_VALID_STRINGS = {
    "rtl-override": json.dumps("\u202eflow\u202c"),
    "arabic": json.dumps("زهور"),
    "emoji-zwj": json.dumps("\U0001f469\u200d\U0001f33e"),
    "combining": json.dumps("e\u0301" * 50),
    "very-long": json.dumps("x" * 200_000),
}

# (route, template with %s where the string goes, field name the error must name)
STRING_FIELDS = [
    ("checkout/create", '{"line_items": [{"item": {"id": %s}, "quantity": 1}]}', "line_items[0].item.id"),  # noqa: E501
    ("checkout/create", '{"line_items": [{"id": %s, "item": {"id": "bouquet_roses"}, "quantity": 1}]}', "line_items[0].id"),  # noqa: E501
    ("checkout/create", '{"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}], "buyer": {"email": %s}}', "buyer.email"),  # noqa: E501
    ("checkout/create", '{"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}], "buyer": {"first_name": %s}}', "buyer.first_name"),  # noqa: E501
    ("checkout/create", '{"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}], "buyer": {"last_name": %s}}', "buyer.last_name"),  # noqa: E501
    ("checkout/create", '{"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}], "buyer": {"phone_number": %s}}', "buyer.phone_number"),  # noqa: E501
    ("checkout/get", '{"checkout_guid": %s}', "checkout_guid"),
    ("checkout/update", '{"checkout_guid": %s, "expected_revision": 1, "line_items": []}', "checkout_guid"),  # noqa: E501
    ("checkout/complete", '{"checkout_guid": %s}', "checkout_guid"),
    ("checkout/cancel", '{"checkout_guid": %s, "expected_revision": 1}', "checkout_guid"),
    ("platform/register", '{"caption": %s}', "caption"),
    ("platform/register", '{"caption": "c", "scopes": [%s]}', "scopes[0]"),
    ("platform/register", '{"caption": "c", "callback_url": %s}', "callback_url"),
    ("platform/get", '{"platform_guid": %s}', "platform_guid"),
    ("platform/rotate", '{"platform_guid": %s, "expected_revision": 1}', "platform_guid"),
    ("platform/revoke", '{"platform_guid": %s, "expected_revision": 1}', "platform_guid"),
    ("platform/list", '{"next_token": %s}', "next_token"),
    ("platform/list", '{"status": %s}', "status"),
    # Credentials themselves: the parser refuses before any lookup by them.
    ("checkout/get", '{"client_id": %s, "checkout_guid": "x"}', "client_id"),
    ("checkout/get", '{"client_secret": %s, "checkout_guid": "x"}', "client_secret"),
    # Keys, not only values.
    ("checkout/create", '{"line_items": [], "buyer": {%s: "x"}}', "buyer"),
    # Org config (admin). config/get and identity/userinfo read no body field, so have none here.
    ("config/set", '{"expected_revision": 1, "rest_auth": %s}', "rest_auth"),
    ("config/set", '{"expected_revision": 1, "root_profile_version": %s}', "root_profile_version"),
    ("config/set", '{"expected_revision": 1, "hostnames": [%s]}', "hostnames[0]"),
    ("config/set", '{"expected_revision": 1, "policy_links": {"terms_of_service": %s}}', "policy_links.terms_of_service"),  # noqa: E501
    ("config/set", '{"expected_revision": 1, "policy_links": {%s: "https://a.example"}}', "policy_links"),  # noqa: E501
    ("config/set", '{"expected_revision": 1, "payment_handlers": [{"id": %s}]}', "payment_handlers[0].id"),  # noqa: E501
    ("config/set", '{"expected_revision": 1, "payment_handlers": [{"id": "mock_payment_handler", "config": {"label": %s}}]}', "payment_handlers[0].config.label"),  # noqa: E501
    ("config/set", '{"expected_revision": 1, "webhook_defaults": {"events": [%s]}}', "webhook_defaults.events[0]"),  # noqa: E501
    ("config/set", '{"expected_revision": 1, "capabilities": {%s: true}}', "capabilities"),
    ("config/set", '{"expected_revision": 1, %s: 1}', "body"),
    # Identity (admin routes).
    ("identity/authorize", '{"platform_guid": %s, "customer_guid": "cust_1"}', "platform_guid"),
    ("identity/authorize", '{"platform_guid": "PLATFORM_GUID", "customer_guid": %s}', "customer_guid"),  # noqa: E501
    ("identity/authorize", '{"platform_guid": "PLATFORM_GUID", "customer_guid": "cust_1", "scope": %s}', "scope"),  # noqa: E501
    ("identity/authorize", '{"platform_guid": "PLATFORM_GUID", "customer_guid": "cust_1", "redirect_uri": %s}', "redirect_uri"),  # noqa: E501
    ("identity/authorize", '{"platform_guid": "PLATFORM_GUID", "customer_guid": "cust_1", "code_challenge": %s}', "code_challenge"),  # noqa: E501
    ("identity/link/list", '{"platform_guid": %s}', "platform_guid"),
    ("identity/link/list", '{"customer_guid": %s}', "customer_guid"),
    ("identity/link/list", '{"status": %s}', "status"),
    ("identity/link/list", '{"next_token": %s}', "next_token"),
    ("identity/link/revoke", '{"link_guid": %s}', "link_guid"),
    # Webhooks (admin).
    ("webhook/config/get", '{"platform_guid": %s}', "platform_guid"),
    ("webhook/config/set", '{"platform_guid": %s, "expected_revision": 1}', "platform_guid"),
    ("webhook/config/set", '{"platform_guid": "PLATFORM_GUID", "expected_revision": 1, "callback_url": %s}', "callback_url"),  # noqa: E501
    ("webhook/config/set", '{"platform_guid": "PLATFORM_GUID", "expected_revision": 1, "ucp_version": %s}', "ucp_version"),  # noqa: E501
    ("webhook/config/set", '{"platform_guid": "PLATFORM_GUID", "expected_revision": 1, "event_filters": [%s]}', "event_filters[0]"),  # noqa: E501
    ("webhook/test", '{"platform_guid": %s}', "platform_guid"),
    # Identity (platform routes: OAuth token and revocation).
    ("identity/token", '{"grant_type": %s, "code": "x"}', "grant_type"),
    ("identity/token", '{"grant_type": "authorization_code", "code": %s}', "code"),
    ("identity/token", '{"grant_type": "authorization_code", "code": "x", "redirect_uri": %s}', "redirect_uri"),  # noqa: E501
    ("identity/token", '{"grant_type": "authorization_code", "code": "x", "code_verifier": %s}', "code_verifier"),  # noqa: E501
    ("identity/token", '{"grant_type": "refresh_token", "refresh_token": %s}', "refresh_token"),
    ("identity/token", '{"grant_type": "refresh_token", "refresh_token": "x", "scope": %s}', "scope"),  # noqa: E501
    ("identity/token", '{"client_id": %s, "grant_type": "authorization_code", "code": "x"}', "client_id"),  # noqa: E501
    ("identity/revoke", '{"token": %s}', "token"),
    ("identity/revoke", '{"token": "x", "token_type_hint": %s}', "token_type_hint"),
]  # fmt: skip
# Routes that take the platform's client credentials in the body.
PLATFORM_BODY_ROUTES = ("checkout/", "identity/token", "identity/revoke")


def with_credentials(route: str, template: str, platform_body: dict) -> str:
    if not route.startswith(PLATFORM_BODY_ROUTES):
        return template
    prefix = ", ".join(
        f'"{k}": {json.dumps(v)}' for k, v in platform_body.items() if f'"{k}"' not in template
    )
    return "{" + prefix + ", " + template[1:]


@pytest.mark.parametrize(
    ("route", "template", "field"), STRING_FIELDS, ids=[f"{r}:{f}" for r, _, f in STRING_FIELDS]
)
def test_unicode_edge_cases_in_every_string_field(
    api, platform_credentials, platform_body, admin_headers, route, template, field
):
    # PLATFORM_GUID: a real platform of the org, so that the other fields are the ones checked.
    template = template.replace("PLATFORM_GUID", str(platform_credentials["platform"].guid))
    template = with_credentials(route, template, platform_body)
    sessions_before = CheckoutSession.objects.count()
    platforms_before = Platform.objects.count()

    for name, raw_string in REFUSED_STRINGS.items():
        raw = template % raw_string
        body = assert_error(post_raw(api, route, raw, **admin_headers), 400, "invalid-input")
        assert field in body["error"]["details"]["fields"], (name, body["error"])

    for name, raw_string in ODD_BUT_VALID_STRINGS.items():
        response = post_raw(api, route, template % raw_string, **admin_headers)
        assert response.status_code < 500, (name, response.content[:300])
        assert response["Content-Type"].startswith("application/json"), name
        assert isinstance(response.json()["success"], bool), name

    assert CheckoutSession.objects.count() - sessions_before <= len(ODD_BUT_VALID_STRINGS)
    assert Platform.objects.count() - platforms_before <= len(ODD_BUT_VALID_STRINGS)
    assert_still_serving(api, platform_body)


def test_nul_in_an_item_id_changes_no_stock(api, platform_body, flower_shop):
    stock_before = list(InventoryLevel.objects.order_by("pk").values_list("quantity", flat=True))
    raw = with_credentials(
        "checkout/create",
        '{"line_items": [{"item": {"id": "bouquet_roses\\u0000"}, "quantity": 1}]}',
        platform_body,
    )

    assert_error(post_raw(api, "checkout/create", raw), 400, "invalid-input")

    stock_after = list(InventoryLevel.objects.order_by("pk").values_list("quantity", flat=True))
    assert stock_after == stock_before


# --- query strings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orgcode", ["FLOWERS\x00", "\x00", "é" * 40, "FLOWERS\n"], ids=["nul", "only-nul", "long", "nl"]
)
@pytest.mark.parametrize(
    "route",
    ["/ucp/.well-known/ucp", "/ucp/identity/.well-known/oauth-authorization-server"],
)
def test_odd_orgcodes_in_the_query_are_not_found(api, flower_shop, route, orgcode):
    assert_error(api.get(route, {"orgcode": orgcode}), 404, "not-found")


@pytest.mark.parametrize("orgcode", ["FLOWERS\x00", "\x00"], ids=["nul", "only-nul"])
def test_nul_in_the_root_profile_orgcode_is_not_found(api, flower_shop, orgcode):
    response = api.get("/.well-known/ucp", {"orgcode": orgcode})

    assert response.status_code == 404, response.content[:300]
    assert response.json()["error"] == "not_found"


def test_nul_in_the_orgcode_header_is_not_found(api, flower_shop, admin_headers):
    headers = {**admin_headers, "HTTP_X_ORGCODE": "FLOWERS\x00"}

    assert_error(api.post("/ucp/config/get", {}, format="json", **headers), 404, "not-found")


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/ucp/2026-04-08?orgcode=%00",
        "/.well-known/oauth-authorization-server/oauth/FLOWERS%00",
        "/oauth/FLOWERS%00/authorize?client_id=x",
        "/oauth/FLOWERS/authorize?response_type=code&client_id=%00&redirect_uri=https://a.example",
        "/oauth/FLOWERS/authorize?response_type=code&client_id=x%00&state=%00",
    ],
)
def test_nul_on_the_standard_surfaces_is_never_a_500(api, flower_shop, path):
    response = api.get(path)

    assert response.status_code < 500, response.content[:300]


@pytest.mark.parametrize("route", ["token", "revoke"])
def test_nul_in_a_form_posted_to_the_standard_token_routes_is_never_a_500(api, flower_shop, route):
    response = api.post(
        f"/oauth/FLOWERS/{route}",
        "grant_type=authorization_code&code=%00&token=%00&client_id=%00&client_secret=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code < 500, response.content[:300]


@pytest.mark.parametrize(
    "form",
    [
        "grant_type=authorization_code&code=%00&redirect_uri=%00&code_verifier=%00",
        "grant_type=refresh_token&refresh_token=%00&scope=%00",
        "grant_type=%00",
        "token=%00&token_type_hint=refresh_token",
        "token=%00&token_type_hint=%00",
    ],
)
@pytest.mark.parametrize("route", ["token", "revoke"])
def test_nul_from_an_authenticated_client_on_the_standard_routes_is_never_a_500(
    api, platform_credentials, route, form
):
    client = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    basic = base64.b64encode(client.encode()).decode()

    response = api.post(
        f"/oauth/{platform_credentials['platform'].org.orgcode}/{route}",
        form,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )

    assert response.status_code < 500, response.content[:300]
    assert response.status_code != 401, response.content[:300]
