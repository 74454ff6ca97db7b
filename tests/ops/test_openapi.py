"""OpenAPI 3.1 for every seed route, with the envelope and the auth headers, served as JSON,
YAML and an offline Swagger UI."""

import re

import yaml
from django.urls import URLPattern, URLResolver, get_resolver, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

from ucp.api.views import SeedApiView, envelope


def seed_paths() -> set[str]:
    """Every DRF route mounted under /ucp/, read from the URL configuration itself."""
    found = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", None)
                route = prefix + str(pattern.pattern)
                if view and issubclass(view, APIView) and route.startswith("ucp/"):
                    found.add("/" + route)

    walk(get_resolver().url_patterns)
    return found


def test_schema_covers_every_seed_route(client, db):
    response = client.get("/api/schema.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"] == "3.1.0"
    assert seed_paths() <= set(schema["paths"])
    assert {"/ucp/platform/register", "/ucp/checkout/create", "/ucp/stat"} <= seed_paths()


def test_generation_has_no_errors_or_name_collisions():
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)

    collisions = [w for w in GENERATOR_STATS._warn_cache if "identical names" in w]
    assert not collisions, collisions
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)


def test_responses_are_enveloped_and_errors_declared(client, db):
    schema = client.get("/api/schema.json").json()
    register = schema["paths"]["/ucp/platform/register"]["post"]

    created = register["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["allOf"][0] == {"$ref": "#/components/schemas/SuccessEnvelope"}
    assert created["allOf"][1]["properties"]["data"] == {
        "$ref": "#/components/schemas/PlatformWithSecretOutput"
    }
    for status in ("400", "401", "403", "404"):
        error = register["responses"][status]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/ErrorEnvelope"}
    components = schema["components"]["schemas"]
    assert "revision-mismatch" in components["Error"]["properties"]["error_code"]["enum"]
    assert components["SuccessEnvelope"]["required"] == ["success", "data", "build", "stats"]
    platform = components["PlatformWithSecretOutput"]["properties"]
    assert "client_secret" in platform and "platform_guid" in platform


def test_auth_headers_are_declared(client, db):
    schema = client.get("/api/schema.json").json()
    schemes = schema["components"]["securitySchemes"]

    assert schemes["ApiKey"] == {**schemes["ApiKey"], "in": "header", "name": "x-api-key"}
    assert schemes["OrgCode"]["name"] == "x-orgcode"
    assert schemes["SessionGuid"]["name"] == "x-session-guid"
    assert schemes["PlatformBasic"]["scheme"] == "basic"
    admin_op = schema["paths"]["/ucp/platform/list"]["post"]
    assert admin_op["security"] == [
        {"ApiKey": [], "OrgCode": []},
        {"SessionGuid": [], "OrgCode": []},
    ]
    checkout = schema["paths"]["/ucp/checkout/update"]["post"]
    assert checkout["security"] == [{"PlatformBasic": []}]
    body = checkout["requestBody"]["content"]["application/json"]["schema"]["allOf"]
    assert {"$ref": "#/components/schemas/PlatformClientCredentials"} in body
    assert schema["paths"]["/ucp/stat"]["get"]["security"] == []


def test_component_names_are_unique_and_carry_their_app(client, db):
    schema = client.get("/api/schema.json").json()
    names = list(schema["components"]["schemas"])

    assert len(names) == len(set(names))
    assert "PlatformRegisterInput" in names
    # Serializers of an app are named after it (checkout's LineItemInput -> CheckoutLineItemInput).
    assert not {"LineItemInput", "BuyerInput", "ItemRefInput", "CartInput"} & set(names)


def test_yaml_matches_json(client, db):
    as_yaml = yaml.safe_load(client.get("/api/schema.yaml").content)

    assert as_yaml["paths"].keys() == client.get("/api/schema.json").json()["paths"].keys()


def test_swagger_ui_is_served_offline(client, db):
    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("swagger-ui-bundle" in a for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        b"".join(response.streaming_content) if response.streaming else response.content


def test_generation_has_no_warnings():
    # The test form of `manage.py spectacular --validate --fail-on-warn`.
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)


def test_a_view_that_declares_nothing_gets_a_free_form_body_and_a_warning():
    class UndeclaredApi(SeedApiView):
        def post(self, request):
            return envelope({})

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("ucp/undeclared", UndeclaredApi.as_view())]).get_schema(
        request=None, public=True
    )

    operation = schema["paths"]["/ucp/undeclared"]["post"]
    assert operation["requestBody"]["content"] == {
        "application/json": {"schema": {"type": "object", "additionalProperties": {}}}
    }
    data = operation["responses"]["200"]["content"]["application/json"]["schema"]["allOf"][1]
    assert data["properties"]["data"] == {"type": "object", "additionalProperties": {}}
    warnings = " ".join(GENERATOR_STATS._warn_cache)
    assert "POST /ucp/undeclared declares no request body" in warnings


def test_identity_and_config_routes_are_described(client, db):
    schema = client.get("/api/schema.json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    userinfo = paths["/ucp/identity/userinfo"]
    assert userinfo["post"]["operationId"] == "identity_userinfo"
    assert userinfo["get"]["operationId"] == "identity_userinfo_get"
    assert userinfo["post"]["security"] == [{"CustomerBearer": []}]
    assert schema["components"]["securitySchemes"]["CustomerBearer"]["scheme"] == "bearer"
    assert "requestBody" not in userinfo["post"]

    token = paths["/ucp/identity/token"]["post"]
    assert token["security"] == [{"PlatformBasic": []}]
    token_body = token["requestBody"]["content"]["application/json"]["schema"]["allOf"]
    assert token_body == [
        {"$ref": "#/components/schemas/IdentityTokenInput"},
        {"$ref": "#/components/schemas/PlatformClientCredentials"},
    ]
    assert set(token["responses"]) == {"200", "400", "401", "429", "500"}
    assert "invalid-grant" in components["Error"]["properties"]["error_code"]["enum"]

    authorize = paths["/ucp/identity/authorize"]["post"]
    created = authorize["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["allOf"][1]["properties"]["data"] == {
        "$ref": "#/components/schemas/IdentityAuthorizeOutput"
    }

    config_set = paths["/ucp/config/set"]["post"]
    set_body = config_set["requestBody"]["content"]["application/json"]["schema"]
    assert set_body == {"$ref": "#/components/schemas/ConfigSetInput"}
    assert components["ConfigSetInput"]["required"] == ["expected_revision"]
    assert "signing_keys" in components["ConfigOutput"]["required"]

    for route in ("/ucp/.well-known/ucp", "/ucp/identity/.well-known/oauth-authorization-server"):
        operation = paths[route]["get"]
        assert operation["security"] == []
        assert [p["name"] for p in operation["parameters"]] == ["orgcode"]

    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
