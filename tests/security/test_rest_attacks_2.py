"""Second adversarial pass on the UCP REST binding (/ucp/rest/<org>/ and the root routes):
bodies of both versions, headers, the platform profile fetch and the simulation route. Every
answer is JSON with a stable code, never a 500 or an HTML page."""

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from checkout.rest.settings import rest_settings_set
from orgconfig.selectors import org_settings
from platforms.services import platform_register

NEW = "2026-04-08"
OLD = "2026-01-11"
BOTH = [NEW, OLD]


def agent(version=None, profile="https://agent.invalid/profile"):
    return f'profile="{profile}"' + (f'; version="{version}"' if version else "")


@pytest.fixture
def shop(flower_shop):
    settings = org_settings(org=flower_shop)
    settings.payment_handlers = ["mock_payment_handler", "none"]
    settings.save()
    return flower_shop


class Rest:
    def __init__(self, api, orgcode, auth):
        self.api = api
        self.base = f"/ucp/rest/{orgcode}"
        self.auth = auth

    def call(self, method, path, body=None, *, raw=None, version=NEW, headers=None, root=False):
        extra = {"HTTP_UCP_AGENT": agent(version), **self.auth, **(headers or {})}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        url = path if root else self.base + path
        return getattr(self.api, method)(url, data=data, content_type="application/json", **extra)


@pytest.fixture
def rest(api, shop, platform_credentials):
    api.raise_request_exception = False
    token = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    return Rest(
        api,
        shop.orgcode,
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(token.encode()).decode()},
    )


def assert_json_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert body.get("code") or body.get("messages"), body
    return body


def create(rest, version=NEW):
    body = {
        "line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}],
        "buyer": {"email": "a@example.com"},
    }
    response = rest.call("post", "/checkout-sessions", body, version=version)
    assert response.status_code == 201, response.content
    return response.json()


NESTED = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("path,method", [("/checkout-sessions", "post")])
@pytest.mark.parametrize("version", BOTH)
def test_deeply_nested_body_on_create_is_400(rest, path, method, version):
    response = rest.call(method, path, raw='{"line_items": ' + NESTED + "}", version=version)
    assert_json_error(response, 400)


@pytest.mark.parametrize("version", BOTH)
def test_deeply_nested_body_on_session_writes_is_400(rest, version):
    session = create(rest, version)
    for method, suffix in (("put", ""), ("post", "/complete")):
        response = rest.call(
            method,
            f"/checkout-sessions/{session['id']}{suffix}",
            raw=NESTED,
            version=version,
            headers={"HTTP_IDEMPOTENCY_KEY": "k-" + suffix},
        )
        assert_json_error(response, 400)

    # Cancel ignores its body, but the idempotency fingerprint must still read it.
    response = rest.call(
        "post",
        f"/checkout-sessions/{session['id']}/cancel",
        raw=NESTED,
        version=version,
        headers={"HTTP_IDEMPOTENCY_KEY": "k-cancel"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize(
    "fulfillment",
    [
        {"methods": 5},
        {"methods": [{"destinations": 5}]},
        {"methods": [{"destinations": [], "groups": 7}]},
        {
            "methods": [
                {
                    "destinations": [{"id": 5, "street_address": ["x"]}],
                    "selected_destination_id": {"a": 1},
                }
            ]
        },
        {
            "methods": [
                {
                    "destinations": [{"id": "d", "street_address": "a\u0000b"}],
                    "selected_destination_id": "d",
                }
            ]
        },
    ],
)
def test_fulfillment_of_wrong_shapes_is_not_a_500(rest, version, fulfillment):
    body = {
        "line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}],
        "fulfillment": fulfillment,
    }
    response = rest.call("post", "/checkout-sessions", body, version=version)
    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize(
    "field,value",
    [
        ("address_country", 12),
        ("address_country", True),
        ("street_address", {"a": 1}),
        ("postal_code", 94043),
        ("address_region", ["IL"]),
        ("first_name", 7),
    ],
)
def test_destination_address_fields_must_be_strings(rest, version, field, value):
    """A number as the country was a 500 (len() of an int); other non-strings were echoed in the
    checkout and then in the order and its webhooks, where the schemas want strings."""
    destination = {
        "id": "d",
        "street_address": "1 Main St",
        "address_locality": "Springfield",
        "address_country": "US",
        field: value,
    }
    body = {
        "line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}],
        "fulfillment": {"methods": [{"type": "shipping", "destinations": [destination]}]},
    }

    response = rest.call("post", "/checkout-sessions", body, version=version)

    assert_json_error(response, 400)
    assert f"fulfillment.methods[0].destinations[0].{field}" in response.content.decode()


@pytest.mark.parametrize("version", BOTH)
@pytest.mark.parametrize(
    "body",
    [
        {"payment_data": {"id": "i", "handler_id": "mock_payment_handler", "display": "abc"}},
        {"payment_data": {"id": "i", "handler_id": "mock_payment_handler", "display": [1, 2]}},
        {"payment_data": {"id": {"x": 1}, "handler_id": ["mock"], "credential": {"token": 5}}},
        {"payment": {"instruments": 5}},
        {"payment": {"instruments": [{"id": "i", "display": 7, "selected": True}]}},
        {
            "payment": {
                "instruments": [
                    {
                        "id": "i",
                        "handler_id": "mock_payment_handler",
                        "credential": {"type": "token", "token": "a\u0000"},
                        "selected": True,
                    }
                ]
            }
        },
        {"discounts": {"codes": ["\u0000"]}},
        [1, 2],
        "text",
    ],
)
def test_complete_with_odd_payment_shapes_is_not_a_500(rest, version, body):
    session = create(rest, version)
    response = rest.call(
        "post", f"/checkout-sessions/{session['id']}/complete", body, version=version
    )
    assert response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("version", BOTH)
def test_nul_and_surrogates_in_strings_are_refused(rest, version):
    raw = (
        '{"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}],'
        ' "buyer": {"email": "a@example.com", "first_name": "\\ud800"}}'
    )
    response = rest.call("post", "/checkout-sessions", raw=raw, version=version)
    assert response.status_code < 500, response.content


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer a\x00b",
        "Bearer " + "x" * 5000,
        "Basic " + base64.b64encode(b"a\x00:b\x00").decode(),
        "Basic !!!",
        "Bearer",
    ],
)
def test_odd_authorization_headers_are_401(rest, authorization):
    rest.auth = {"HTTP_AUTHORIZATION": authorization}
    response = rest.call("get", f"/checkout-sessions/{uuid.uuid4()}")
    assert_json_error(response, 401)


@pytest.mark.parametrize(
    "header",
    [
        'profile="https://a.invalid/p"; version=5',
        "profile=?1",
        'profile=("a" "b")',
        "\u00e9=1",
        'profile="https://a.invalid/p", version=("x")',
        ",,,",
        'profile="' + "a" * 9000 + '"',
    ],
)
def test_odd_agent_headers_are_4xx(rest, header):
    response = rest.call(
        "get", f"/checkout-sessions/{uuid.uuid4()}", headers={"HTTP_UCP_AGENT": header}
    )
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("key", ["a\x00", " ", "x" * 1000, "é\u2028"])
def test_odd_idempotency_keys_are_400(rest, key):
    response = rest.call(
        "post", "/checkout-sessions", {"line_items": []}, headers={"HTTP_IDEMPOTENCY_KEY": key}
    )
    assert_json_error(response, 400)


def test_rest_prefix_without_org_is_json(rest):
    for path in (
        "/ucp/rest/",
        "/ucp/rest/%00/checkout-sessions",
        "/ucp/rest/NOPE/checkout-sessions",
    ):
        response = rest.api.get(path)
        assert response.status_code == 404, (path, response.content)
        assert response["Content-Type"].startswith("application/json"), (path, response.content)


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_wrong_method_on_simulation_route_is_json(rest, shop, method):
    for path in (
        f"/ucp/rest/{shop.orgcode}/testing/simulate-shipping/{uuid.uuid4()}",
        f"/testing/simulate-shipping/{uuid.uuid4()}",
    ):
        response = getattr(rest.api, method)(path)
        assert response.status_code == 405, response.content
        assert response["Content-Type"].startswith("application/json"), (path, response)
        assert response["Allow"] == "POST"


def test_wrong_method_on_a_rest_route_lists_the_allowed_ones(rest, shop):
    response = rest.api.delete(f"/ucp/rest/{shop.orgcode}/checkout-sessions/{uuid.uuid4()}")

    assert response.status_code == 405, response.content
    assert response["Allow"] == "GET, HEAD, PUT"


SIM = "simulation-secret-for-tests"


def test_simulation_errors_have_stable_codes(rest, shop):
    rest_settings_set(org=shop, actor="t", simulation_secret=SIM, simulation_enabled=True)
    response = rest.api.post(
        f"/ucp/rest/{shop.orgcode}/testing/simulate-shipping/not-a-uuid", HTTP_SIMULATION_SECRET=SIM
    )
    body = assert_json_error(response, 400)
    assert body["code"] != "not_found"


def test_simulation_secret_with_nul_is_403(rest, shop):
    rest_settings_set(org=shop, actor="t", simulation_secret=SIM, simulation_enabled=True)
    response = rest.api.post(
        f"/ucp/rest/{shop.orgcode}/testing/simulate-shipping/{uuid.uuid4()}",
        HTTP_SIMULATION_SECRET="\xe9\x00",
    )
    assert_json_error(response, 403)


def test_root_routes_with_disallowed_host_are_json(rest, shop):
    response = rest.api.get(f"/orders/{uuid.uuid4()}", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json"), response.content


# --- The platform profile the UCP-Agent header names -------------------------------------------


class HostileProfileServer:
    """A loopback 'platform' whose profile endpoint misbehaves in the way `mode` says."""

    def __init__(self, mode, document=None):
        hits = self.hits = []
        sent = self.sent = [0]
        self.finished = finished = threading.Event()
        payload = json.dumps(document).encode() if document is not None else b""

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                hits.append(self.path)
                if mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", self.path + "-elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if mode == "document":
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_header("Content-Length", str(10**9))
                self.end_headers()
                try:
                    if mode == "endless":  # a gigabyte, as fast as the reader takes it
                        chunk = b" " * 65536
                        for _ in range(10**9 // 65536):
                            self.wfile.write(chunk)
                            sent[0] += len(chunk)
                    elif mode == "drip":  # one byte a second: no single read ever times out
                        for _ in range(120):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(1)
                except OSError:
                    pass
                finished.set()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/profile"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile(settings):
    settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE = True
    servers = []

    def serve(mode, document=None):
        servers.append(HostileProfileServer(mode, document))
        return servers[-1]

    yield serve
    for server in servers:
        server.close()


def create_naming(rest, url, version=None):
    header = f'profile="{url}"' + (f'; version="{version}"' if version else "")
    body = {"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}]}
    started = time.monotonic()
    response = rest.call("post", "/checkout-sessions", body, headers={"HTTP_UCP_AGENT": header})
    return response, time.monotonic() - started


@pytest.mark.parametrize("mode", ["endless", "drip"])
def test_huge_or_slow_profile_is_abandoned(rest, hostile, mode):
    server = hostile(mode)

    response, elapsed = create_naming(rest, server.url, version=NEW)

    assert response.status_code == 201, response.content
    # Not a speed target: without a byte and time budget this call never returns (drip runs
    # two minutes, endless streams a gigabyte into memory).
    assert elapsed < 60
    if mode == "endless":
        assert server.finished.wait(30), "the service kept reading the endless profile"
        assert server.sent[0] < 16 * 1024 * 1024


@pytest.mark.parametrize(
    "document",
    [
        {"ucp": {"version": NEW, "capabilities": {"dev.ucp.shopping.order": [{"config": [1]}]}}},
        {
            "ucp": {
                "version": NEW,
                "capabilities": [{"name": "dev.ucp.shopping.order", "config": "x"}],
            }
        },
        {"ucp": {"version": 5, "capabilities": {"dev.ucp.shopping.checkout": "yes"}}},
        {
            "ucp": {
                "version": NEW,
                "capabilities": {"dev.ucp.shopping.checkout": [{"version": 1}], "x": 5},
            }
        },
        [1, 2, 3],
    ],
)
def test_malformed_profile_documents_are_not_a_500(rest, hostile, document):
    server = hostile("document", document)

    response, _ = create_naming(rest, server.url)

    assert response.status_code in (200, 201, 422), response.content
    assert response["Content-Type"].startswith("application/json")


def test_deeply_nested_profile_is_unreachable_not_a_500(rest, hostile):
    server = hostile("document")
    # Serve a body nested far deeper than the parser can recurse.
    nested = ("[" * 100000 + "]" * 100000).encode()

    class Deep(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(nested)))
            self.end_headers()
            self.wfile.write(nested)

        def log_message(self, *args):
            pass

    server.server.RequestHandlerClass = Deep

    response, _ = create_naming(rest, server.url, version=NEW)

    assert response.status_code == 201, response.content


def test_profile_redirects_are_not_followed(rest, hostile):
    server = hostile("redirect")

    response, _ = create_naming(rest, server.url, version=NEW)

    assert response.status_code == 201, response.content
    assert server.hits == ["/profile"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[fd00:ec2::254]/",
        "http://224.0.0.1/",
    ],
)
def test_metadata_profile_urls_stay_refused_where_private_targets_are_allowed(settings, url):
    from checkout.rest.agent import fetchable

    settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE = True

    assert not fetchable(url)


# --- Other orgs, auth modes and the simulation secret (these held) -----------------------------


def use_rest_auth(org, mode):
    from orgconfig.selectors import ucp_config_of

    config = ucp_config_of(org=org)
    config.rest_auth = mode
    config.save()


@pytest.mark.parametrize("value", ["\x00:x", "nocolon", ":", "a:b:c", "é:é"])
def test_api_key_mode_refuses_odd_keys(rest, shop, value):
    use_rest_auth(shop, "api_key")
    rest.auth = {"HTTP_X_API_KEY": value}

    assert_json_error(rest.call("get", f"/checkout-sessions/{uuid.uuid4()}"), 401)


def test_another_orgs_credentials_and_ids_get_nothing(rest, shop, other_org, api):
    session = create(rest)
    rival, secret = platform_register(org=other_org, caption="Rival")
    token = base64.b64encode(f"{rival.client_id}:{secret}".encode()).decode()

    # Their credentials on our org's URL: 401.
    intruder = Rest(api, shop.orgcode, {"HTTP_AUTHORIZATION": "Basic " + token})
    assert_json_error(intruder.call("get", f"/checkout-sessions/{session['id']}"), 401)

    # On their own org's URL, our session id is unknown there.
    use_rest_auth(other_org, "oauth_client_credentials")
    theirs = Rest(api, other_org.orgcode, {"HTTP_AUTHORIZATION": "Basic " + token})
    response = theirs.call("get", f"/checkout-sessions/{session['id']}")
    assert response.status_code in (200, 404)
    assert (
        session["id"] not in response.content.decode()
        or response.json().get("ucp", {}).get("status") == "error"
    )
    assert "line_items" not in response.json()


def test_simulation_secret_of_one_org_does_not_open_another(rest, shop, other_org):
    rest_settings_set(org=shop, actor="t", simulation_secret=SIM, simulation_enabled=True)
    rest_settings_set(
        org=other_org, actor="t", simulation_secret=SIM + "-other", simulation_enabled=True
    )

    response = rest.api.post(
        f"/ucp/rest/{other_org.orgcode}/testing/simulate-shipping/{uuid.uuid4()}",
        HTTP_SIMULATION_SECRET=SIM,
    )

    assert_json_error(response, 403)


@pytest.mark.parametrize("version", BOTH)
def test_oversized_body_is_a_protocol_413(rest, settings, version):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}], "pad": "x" * 4096}

    response = rest.call("post", "/checkout-sessions", body, version=version)

    assert_json_error(response, 413)


def test_a_none_mode_shop_serves_without_credentials_and_only_by_id(rest, shop, api):
    use_rest_auth(shop, "none")
    open_client = Rest(api, shop.orgcode, {})

    session = create(open_client)
    response = open_client.call("get", f"/checkout-sessions/{session['id']}")
    guessed = open_client.call("get", f"/checkout-sessions/{uuid.uuid4()}")

    assert response.status_code == 200
    assert response.json()["id"] == session["id"]
    assert guessed.json()["ucp"]["status"] == "error"
    assert "line_items" not in guessed.json()
