"""Schemathesis against the service's own OpenAPI, generated in-process by drf-spectacular.

Every operation the schema declares is fuzzed twice, with valid credentials (an org admin's API key
and a platform's client credentials by HTTP Basic; each route uses the one it accepts) and with
none. Whatever the schema declares is what gets generated and checked, so the test grows as the
schema does:

- no response is a 5xx;
- every /ucp/ response (outside the protocol surface /ucp/rest/) is the envelope, and an error's
  `http_status` matches the HTTP status;
- the status is one the operation documents, once the operation documents any error status (an
  operation that documents only its success would fail on every 4xx, which is the schema's gap, not
  the service's);
- the body matches the response schema wherever one is declared.

An operation that takes JSON but declares no request body is fuzzed with arbitrary JSON objects
(with the seed routes' field names as likely keys), so routes are exercised before their schema is
filled in. Examples per case are bounded to keep the
run short enough for `make test`.
"""

import base64
import copy

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from orgconfig.services import api_key_create
from platforms.services import platform_register

MAX_EXAMPLES = 15
# Field names the seed routes read, each allowed to be any JSON value, so that a body the schema
# does not describe yet still reaches the code that reads those fields.
FIELD_HINTS = [
    "checkout_guid", "platform_guid", "expected_revision", "line_items", "buyer", "caption",
    "scopes", "callback_url", "limit", "next_token", "status", "client_id", "client_secret",
]  # fmt: skip
ANY_JSON_OBJECT = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {name: {} for name in FIELD_HINTS}}
        }
    },
}


def fuzzable_schema() -> dict:
    schema = copy.deepcopy(SchemaGenerator().get_schema(request=None, public=True))
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in ("post", "put", "patch") and "requestBody" not in operation:
                operation["requestBody"] = copy.deepcopy(ANY_JSON_OBJECT)
    return schema


def load_schema():
    loaded = schemathesis.openapi.from_dict(fuzzable_schema())
    loaded.app = get_wsgi_application()
    return loaded


def operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation, read at collection time so each is its own test."""
    paths = fuzzable_schema().get("paths", {})
    return [
        (method.upper(), path)
        for path, path_item in sorted(paths.items())
        for method in path_item
        if method in ("get", "post", "put", "patch", "delete")
    ]


@pytest.fixture
def credentials(flower_shop):
    _, api_key = api_key_create(org=flower_shop, name="fuzz", role="owner")
    platform, secret = platform_register(org=flower_shop, caption="fuzz agent")
    basic = base64.b64encode(f"{platform.client_id}:{secret}".encode()).decode()
    return {
        "x-api-key": api_key,
        "x-orgcode": flower_shop.orgcode,
        "Authorization": f"Basic {basic}",
    }


def documents_errors(case) -> bool:
    statuses = case.operation.definition.raw.get("responses", {}).keys()
    return any(str(status)[0] in "45" or str(status) == "default" for status in statuses)


def assert_envelope(case, response) -> None:
    path = case.operation.path
    if not path.startswith("/ucp/") or path.startswith("/ucp/rest/"):
        return
    content_type = next(
        (values[0] for name, values in response.headers.items() if name.lower() == "content-type"),
        "",
    )
    assert content_type.startswith("application/json"), (
        case.operation.label,
        response.status_code,
        response.text[:300],
    )
    body = response.json()
    assert isinstance(body.get("success"), bool), body
    assert body["build"]["build_id"] and body["stats"]["request_id"], body
    if response.status_code >= 400:
        assert body["success"] is False, body
        assert body["error"]["http_status"] == response.status_code, body
        assert body["error"]["error_code"] and body["error"]["message"], body
    else:
        assert body["success"] is True and "data" in body, body


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def call_and_check(case, headers: dict) -> None:
    checks = [not_a_server_error, response_schema_conformance]
    if documents_errors(case):
        checks.append(status_code_conformance)

    response = case.call_and_validate(headers=headers, checks=checks)

    assert_envelope(case, response)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction_open():
    """Django's WSGI handler closes the database connection around each request, which would end
    the test's transaction; Django's own test client detaches that handler the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(method: str, path: str, headers: dict) -> None:
    operation = load_schema()[path][method]

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def run(case):
        call_and_check(case, headers)

    run()


@pytest.mark.parametrize(("method", "path"), operations())
def test_with_valid_credentials(method, path, credentials):
    fuzz(method, path, credentials)


@pytest.mark.parametrize(("method", "path"), operations())
def test_without_credentials(method, path, db):
    fuzz(method, path, {})
