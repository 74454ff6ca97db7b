"""Every route under /ucp answers in the envelope, errors included, never HTML."""

import pytest

from orgconfig.models import Role
from tests.conftest import make_admin_headers


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["error_code"] == code
    assert body["error"]["http_status"] == status
    assert body["error"]["message"]
    assert body["build"]["build_id"]
    assert body["stats"]["service"] == "ucp"
    assert body["stats"]["request_id"] == response["X-Request-Id"]
    assert response["X-API-Version"]
    return body


def test_stat_reports_build_database_and_broker(api, db):
    response = api.get("/ucp/stat")

    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"]["database"] == "ok"
    assert body["data"]["broker"] in ("ok", "eager")
    build_id = body["build"]["build_id"]
    weekday, unixtime = build_id.split("-")
    assert weekday in {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}
    assert unixtime.isdigit()
    assert body["stats"]["build"] == body["build"]
    assert body["stats"]["call"] == "GET /stat"


def test_build_id_is_settable_at_deploy_time(api, db, settings):
    settings.UCP_BUILD_ID = "MONDAY-1764547200"

    assert api.get("/ucp/stat").json()["build"]["build_id"] == "MONDAY-1764547200"


def test_request_id_is_echoed_when_sent(api, db):
    response = api.get("/ucp/stat", HTTP_X_REQUEST_ID="trace-123")

    assert response["X-Request-Id"] == "trace-123"
    assert response.json()["stats"]["request_id"] == "trace-123"


def test_unsafe_request_id_is_replaced(api, db):
    response = api.get("/ucp/stat", HTTP_X_REQUEST_ID="<script>")

    assert response["X-Request-Id"] != "<script>"


def test_unknown_route_is_a_json_404(api, db):
    assert_error(api.get("/ucp/no/such/route"), 404, "not-found")
    assert_error(api.post("/ucp/checkout/nothing", {}, format="json"), 404, "not-found")


def test_wrong_method_is_405_before_authentication(api, db):
    assert_error(api.get("/ucp/checkout/create"), 405, "method-not-allowed")
    assert_error(api.delete("/ucp/platform/list"), 405, "method-not-allowed")
    assert api.get("/ucp/checkout/create")["Allow"] == "POST, OPTIONS"


def test_malformed_json_is_invalid_input(api, admin_headers):
    response = api.post(
        "/ucp/platform/register", "{not json", content_type="application/json", **admin_headers
    )

    assert_error(response, 400, "invalid-input")


def test_body_that_is_not_an_object_is_invalid_input(api, admin_headers):
    response = api.post(
        "/ucp/platform/register", "[1, 2]", content_type="application/json", **admin_headers
    )

    assert_error(response, 400, "invalid-input")


def test_wrong_content_type_is_415(api, admin_headers):
    response = api.post(
        "/ucp/platform/register", "caption=x", content_type="text/plain", **admin_headers
    )

    assert_error(response, 415, "unsupported-media-type")


def test_missing_credentials_is_401(api, db):
    assert_error(api.post("/ucp/platform/list", {}, format="json"), 401, "unauthorized")
    assert_error(api.post("/ucp/checkout/get", {}, format="json"), 401, "unauthorized")


def test_viewer_cannot_write(api, org):
    headers = make_admin_headers(org, role=Role.VIEWER)

    assert api.post("/ucp/platform/list", {}, format="json", **headers).status_code == 200
    response = api.post("/ucp/platform/register", {"caption": "x"}, format="json", **headers)
    assert_error(response, 403, "forbidden")


def test_field_errors_name_the_field(admin):
    response = admin.post("platform/register", {"caption": ""})

    body = assert_error(response, 400, "invalid-input")
    assert "caption" in body["error"]["details"]["fields"]


def test_missing_expected_revision_is_428(admin, platform_credentials):
    guid = str(platform_credentials["platform"].guid)

    assert_error(
        admin.post("platform/rotate", {"platform_guid": guid}), 428, "expected-revision-required"
    )


def test_stale_revision_is_409_with_current_revision(admin, platform_credentials):
    guid = str(platform_credentials["platform"].guid)

    response = admin.post("platform/rotate", {"platform_guid": guid, "expected_revision": 7})

    body = assert_error(response, 409, "revision-mismatch")
    assert body["error"]["details"]["current_revision"] == 1


def test_unhandled_error_is_a_json_500_without_traceback(api, db, monkeypatch):
    from ucp.api import views

    def explode():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "database_status", explode)
    api.raise_request_exception = False

    body = assert_error(api.get("/ucp/stat"), 500, "internal-error")
    assert "secret internals" not in str(body)


@pytest.mark.parametrize("size", [2 * 1024 * 1024])
def test_oversized_body_is_413(api, admin_headers, size):
    body = '{"caption": "' + "x" * size + '"}'

    response = api.post(
        "/ucp/platform/register", body, content_type="application/json", **admin_headers
    )

    assert_error(response, 413, "payload-too-large")


def test_unreachable_database_is_503_unavailable(api, db, monkeypatch):
    from django.db import OperationalError

    from ucp.api import views

    def database_down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "database_status", database_down)

    response = api.get("/ucp/stat")

    assert_error(response, 503, "unavailable")
    assert response["Retry-After"] == "5"


def test_unacceptable_accept_header_is_406(api, db):
    response = api.get("/ucp/stat", HTTP_ACCEPT="application/xml")

    assert_error(response, 406, "not-acceptable")
