"""Query strings, paths, methods and Host headers on the profile and OAuth routes: errors stay JSON
(the envelope under /ucp/, the plain protocol shape at the root), never a 500 or an HTML page."""

import json

import pytest


def assert_plain_json(response, status, error):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["error"] == error


@pytest.fixture
def api_no_raise(api):
    api.raise_request_exception = False
    return api


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/ucp/.well-known/ucp", "/ucp/identity/.well-known/oauth-authorization-server"]
)
def test_nul_orgcode_in_query_is_not_found_in_the_envelope(api_no_raise, org, path):
    response = api_no_raise.get(path, {"orgcode": "FLOW\x00ERS"})

    assert response.status_code == 404
    assert json.loads(response.content)["error"]["error_code"] == "not-found"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/.well-known/ucp", "/.well-known/ucp/2026-04-08"])
def test_nul_orgcode_on_root_profile_is_plain_404(api_no_raise, org, path):
    assert_plain_json(api_no_raise.get(path, {"orgcode": "\x00"}), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/.well-known/oauth-authorization-server/oauth/%00"),
        ("get", "/.well-known/oauth-authorization-server/oauth/NOSUCH"),
        ("post", "/oauth/%00/token"),
        ("post", "/oauth/flowers/token"),
        ("post", "/oauth/NOSUCH/revoke"),
    ],
)
def test_unknown_or_nul_org_on_oauth_routes_is_plain_json_404(api_no_raise, org, method, path):
    if method == "get":
        response = api_no_raise.get(path)
    else:
        response = api_no_raise.post(
            path, data="grant_type=refresh_token", content_type="application/x-www-form-urlencoded"
        )

    assert_plain_json(response, 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method,path",
    [
        ("post", "/.well-known/ucp"),
        ("get", "/oauth/FLOWERS/token"),
        ("put", "/oauth/FLOWERS/revoke"),
    ],
)
def test_wrong_method_on_root_routes_is_plain_json_405(api_no_raise, org, method, path):
    response = getattr(api_no_raise, method)(path)

    assert_plain_json(response, 405, "method_not_allowed")
    assert response.has_header("Allow")


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["evil.example", "testserver:abc"])
def test_disallowed_host_on_root_profile_is_plain_json_400(api_no_raise, org, host):
    response = api_no_raise.get("/.well-known/ucp", HTTP_HOST=host)

    assert_plain_json(response, 400, "invalid_input")


@pytest.mark.django_db
def test_browser_authorize_page_stays_html(api_no_raise, org):
    response = api_no_raise.get("/oauth/NOSUCH/authorize")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
