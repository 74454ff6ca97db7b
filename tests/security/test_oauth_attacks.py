"""Hostile client ids on the OAuth surfaces (seed envelope routes, RFC form routes, browser
authorize): a NUL in a client id is an unknown client, never a 500."""

import json
from urllib.parse import urlencode

import pytest

from tests.identity.conftest import basic

FORM = "application/x-www-form-urlencoded"
NUL_ID = "a\x00b"


@pytest.fixture
def api_no_raise(api):
    api.raise_request_exception = False
    return api


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["token", "revoke"])
def test_nul_client_id_in_form_is_invalid_client(api_no_raise, platform_credentials, route):
    body = {
        "grant_type": "authorization_code",
        "code": "x",
        "token": "x",
        "client_id": NUL_ID,
        "client_secret": platform_credentials["client_secret"],
    }

    response = api_no_raise.post(f"/oauth/FLOWERS/{route}", data=urlencode(body), content_type=FORM)

    assert response.status_code == 401
    assert json.loads(response.content)["error"] == "invalid_client"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["token", "revoke"])
def test_nul_client_id_in_basic_on_seed_route_is_invalid_client(
    api_no_raise, platform_credentials, route
):
    response = api_no_raise.post(
        f"/ucp/identity/{route}",
        data=json.dumps({"grant_type": "authorization_code", "code": "x", "token": "x"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(NUL_ID, platform_credentials["client_secret"]),
    )

    assert response.status_code == 401
    assert json.loads(response.content)["error"]["error_code"] == "invalid-client"


@pytest.mark.django_db
def test_nul_client_id_in_basic_on_form_token_route_is_invalid_client(
    api_no_raise, platform_credentials
):
    response = api_no_raise.post(
        "/oauth/FLOWERS/token",
        data="grant_type=authorization_code&code=x",
        content_type=FORM,
        HTTP_AUTHORIZATION=basic(NUL_ID, platform_credentials["client_secret"]),
    )

    assert response.status_code == 401
    assert json.loads(response.content)["error"] == "invalid_client"


@pytest.mark.django_db
def test_nul_client_id_on_browser_authorize_is_a_400_page(api_no_raise, platform_credentials):
    query = urlencode(
        {
            "client_id": NUL_ID,
            "response_type": "code",
            "redirect_uri": "https://agent.example/cb",
            "code_challenge": "a" * 43,
            "code_challenge_method": "S256",
            "state": "s",
        }
    )

    response = api_no_raise.get(f"/oauth/FLOWERS/authorize?{query}")

    assert response.status_code == 400
