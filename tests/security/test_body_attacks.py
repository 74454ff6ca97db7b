"""Hostile JSON bodies on the seed routes: characters PostgreSQL or UTF-8 cannot hold, absurd
nesting, wrong types where a hashable was assumed. Each must be a 4xx in the envelope, naming the
field, never a 500."""

import base64
import json

import pytest

from tests.checkout.support import cart

SURROGATE = '"\\ud800"'  # JSON text for an unpaired surrogate; json.dumps cannot produce it raw


def post_raw(api, route, text, **headers):
    return api.post(f"/ucp/{route}", data=text, content_type="application/json", **headers)


def error_of(response):
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["success"] is False
    return body["error"]


@pytest.fixture
def credentials(platform_credentials):
    return {k: platform_credentials[k] for k in ("client_id", "client_secret")}


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["client_id", "client_secret"])
@pytest.mark.parametrize("route", ["checkout/create", "identity/token", "identity/revoke"])
def test_nul_in_client_credentials_is_refused_not_500(api, credentials, flower_shop, route, field):
    body = {**credentials, **cart(("bouquet_roses", 1)), "token": "t", field: "a\x00b"}

    response = post_raw(api, route, json.dumps(body))

    assert response.status_code == 400
    error = error_of(response)
    assert error["error_code"] == "invalid-input"
    assert field in error["details"]["fields"]


@pytest.mark.django_db
def test_nul_in_basic_client_id_is_unauthorized_not_500(api, credentials):
    basic = base64.b64encode(f"a\x00b:{credentials['client_secret']}".encode()).decode()

    response = post_raw(api, "checkout/get", "{}", HTTP_AUTHORIZATION=f"Basic {basic}")

    assert response.status_code == 401
    assert error_of(response)["error_code"] == "unauthorized"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route,template",
    [
        ("checkout/create", '{"client_id": SUR, "client_secret": "x"}'),
        ("identity/token", '{"client_id": "x", "client_secret": SUR, "grant_type": "x"}'),
        ("identity/revoke", '{"client_id": "x", "client_secret": "x", "token": SUR}'),
    ],
)
def test_unpaired_surrogate_is_refused_not_500(api, route, template):
    response = post_raw(api, route, template.replace("SUR", SURROGATE))

    assert response.status_code == 400
    error = error_of(response)
    assert error["error_code"] == "invalid-input"
    assert error["details"]["fields"]


@pytest.mark.django_db
def test_surrogate_echoed_by_a_choice_error_renders(admin, admin_headers, api):
    response = post_raw(api, "platform/list", '{"status": ' + SURROGATE + "}", **admin_headers)

    assert response.status_code == 400
    assert "status" in error_of(response)["details"]["fields"]


@pytest.mark.django_db
def test_nul_in_a_stored_checkout_string_names_its_path(api, credentials, flower_shop):
    body = {
        **credentials,
        **cart(("bouquet_roses", 1)),
        "payment": {"instruments": [{"display": {"x": "\x00"}}]},
    }

    response = post_raw(api, "checkout/create", json.dumps(body))

    assert response.status_code == 400
    assert "payment.instruments[0].display.x" in error_of(response)["details"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("opening,closing", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_body_is_refused_not_500(api, opening, closing):
    response = post_raw(api, "checkout/create", opening * 50_000 + "1" + closing * 50_000)

    assert response.status_code == 400
    assert error_of(response)["error_code"] == "invalid-input"


@pytest.mark.django_db
def test_moderately_nested_body_names_the_deep_field(api, credentials):
    body = {**credentials, "line_items": [{"item": {"id": "x"}, "quantity": 1}]}
    deep = 1
    for _ in range(40):
        deep = [deep]
    body["buyer"] = {"first_name": deep}

    response = post_raw(api, "checkout/create", json.dumps(body))

    assert response.status_code == 400
    field = next(iter(error_of(response)["details"]["fields"]))
    assert field.startswith("buyer.first_name[0]")


@pytest.mark.django_db
@pytest.mark.parametrize("config", [{"label": "a\x00b"}, {"a\x00": "b"}])
def test_nul_in_payment_handler_config_is_refused_not_500(admin, config):
    response = admin.post(
        "config/set",
        {
            "expected_revision": 1,
            "payment_handlers": [{"id": "mock_payment_handler", "config": config}],
        },
    )

    assert response.status_code == 400
    fields = error_of(response)["details"]["fields"]
    assert any(field.startswith("payment_handlers[0].config") for field in fields)


@pytest.mark.django_db
@pytest.mark.parametrize("handler_id", [[], ["mock_payment_handler"], {}, {"a": 1}])
def test_unhashable_payment_handler_id_is_refused_not_500(admin, handler_id):
    response = admin.post(
        "config/set", {"expected_revision": 1, "payment_handlers": [{"id": handler_id}]}
    )

    assert response.status_code == 400
    assert "payment_handlers[0].id" in error_of(response)["details"]["fields"]


@pytest.mark.django_db
def test_escaped_surrogate_pairs_and_accents_still_pass(api, credentials, flower_shop):
    text = json.dumps(
        {**credentials, **cart(("bouquet_roses", 1)), "buyer": {"first_name": "Zoë 😀"}}
    )
    assert "\\ud83d\\ude00" in text  # json.dumps escapes the emoji as a surrogate pair

    response = post_raw(api, "checkout/create", text)

    assert response.status_code == 201, response.content
    assert response.json()["data"]["buyer"]["first_name"] == "Zoë 😀"
