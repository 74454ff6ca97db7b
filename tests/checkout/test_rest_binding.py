"""The standard UCP REST binding at /ucp/rest/<orgcode>/, in both protocol versions; every
response body is validated against that version's official schemas."""

import base64
import json
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken

from checkout.rest.models import RestBinding, RestSettings
from checkout.rest.settings import rest_settings_set
from checkout.rest.translators import signed_totals
from orgconfig.selectors import org_settings, ucp_config_of
from platforms.services import platform_register
from tests.checkout.support import raw_card_credential
from tests.ucp_schemas import assert_valid, schema_errors
from ucp import errors

NEW = "2026-04-08"
OLD = "2026-01-11"
BOTH = [NEW, OLD]
SIM_SECRET = "simulation-secret-for-tests"


def agent(version: str | None = None, profile: str = "https://agent.invalid/profile") -> str:
    header = f'profile="{profile}"'
    return header + (f'; version="{version}"' if version else "")


class RestClient:
    def __init__(self, api, orgcode, **auth):
        self.api = api
        self.base = f"/ucp/rest/{orgcode}"
        self.auth = auth

    def call(self, method, path, body=None, version=NEW, key=None, headers=None, root=False):
        extra = {"HTTP_UCP_AGENT": agent(version), "HTTP_REQUEST_ID": str(uuid.uuid4())}
        if key:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        extra.update(self.auth)
        extra.update(headers or {})
        url = path if root else self.base + path
        data = json.dumps(body) if body is not None else None
        return getattr(self.api, method)(url, data=data, content_type="application/json", **extra)


@pytest.fixture
def shop(flower_shop):
    settings = org_settings(org=flower_shop)
    settings.payment_handlers = ["mock_payment_handler", "none"]
    settings.save()
    return flower_shop


def configure(org, **fields):
    """Sets UCP config fields directly (the config service and its validation are tested with
    the org config)."""
    config = ucp_config_of(org=org)
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()


@pytest.fixture
def rest(api, shop, platform_credentials):
    token = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    basic = "Basic " + base64.b64encode(token.encode()).decode()
    return RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=basic)


def create_body(item="bouquet_roses", quantity=1, email="buyer@example.com"):
    body = {"line_items": [{"item": {"id": item, "title": "ignored"}, "quantity": quantity}]}
    if email:
        body["buyer"] = {"email": email, "first_name": "Ada"}
    return body


def create(rest, version=NEW, **kwargs):
    response = rest.call("post", "/checkout-sessions", create_body(**kwargs), version=version)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("version", BOTH)
def test_create_answers_201_in_the_negotiated_version(rest, version):
    response = rest.call(
        "post",
        "/checkout-sessions",
        create_body(),
        version=version,
        headers={"HTTP_REQUEST_ID": "r-1"},
    )

    assert response.status_code == 201
    assert response["Request-Id"] == "r-1"
    body = response.json()
    assert_valid(version, "shopping/checkout.json", body)
    assert body["ucp"]["version"] == version
    assert body["line_items"][0]["item"] == {
        "id": "bouquet_roses",
        "title": "Bouquet of Red Roses",
        "price": 3500,
    }
    assert body["currency"] == "USD"
    if version == OLD:
        assert isinstance(body["ucp"]["capabilities"], list)
        assert body["payment"]["handlers"][0]["id"] == "mock_payment_handler"
    else:
        assert "dev.ucp.shopping.checkout" in body["ucp"]["capabilities"]
        assert body["ucp"]["payment_handlers"]


def test_version_defaults_to_the_org_root_version(rest, shop):
    response = rest.call("post", "/checkout-sessions", create_body(), version=None)
    assert response.json()["ucp"]["version"] == NEW

    configure(shop, root_profile_version=OLD)
    response = rest.call("post", "/checkout-sessions", create_body(), version=None)
    assert response.json()["ucp"]["version"] == OLD
    assert_valid(OLD, "shopping/checkout.json", response.json())


@pytest.mark.parametrize("version", BOTH)
def test_get_put_cancel_round_trip(rest, version):
    created = create(rest, version)
    path = f"/checkout-sessions/{created['id']}"

    got = rest.call("get", path, version=version)
    assert got.status_code == 200
    assert_valid(version, "shopping/checkout.json", got.json())
    assert got.json()["id"] == created["id"]

    replacement = {
        "id": created["id"],
        "line_items": [{"id": "li_1", "item": {"id": "bouquet_roses"}, "quantity": 3}],
    }
    updated = rest.call("put", path, replacement, version=version)
    assert updated.status_code == 200, updated.content
    body = updated.json()
    assert_valid(version, "shopping/checkout.json", body)
    assert body["line_items"][0]["quantity"] == 3
    assert "buyer" not in body, "PUT replaces: an omitted buyer is cleared"
    assert any(m.get("path") == "$.buyer.email" for m in body["messages"])

    canceled = rest.call("post", f"{path}/cancel", version=version)
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert_valid(version, "shopping/checkout.json", canceled.json())

    again = rest.call("put", path, replacement, version=version)
    assert again.status_code == 409
    if version == OLD:
        assert again.json()["detail"]
    else:
        assert again.json()["code"] == "checkout_not_modifiable"


def ready_checkout(rest, version):
    """A session ready to complete, whatever the checkout service asks for (a buyer email, and
    once it offers fulfillment, a destination and a selected shipping option)."""
    body = create_body()
    body["fulfillment"] = {
        "methods": [
            {
                "type": "shipping",
                "destinations": [
                    {
                        "id": "dest_1",
                        "street_address": "1 Main St",
                        "address_locality": "Springfield",
                        "address_region": "IL",
                        "postal_code": "62701",
                        "address_country": "US",
                    }
                ],
                "selected_destination_id": "dest_1",
            }
        ]
    }
    response = rest.call("post", "/checkout-sessions", body, version=version)
    checkout = response.json()
    methods = (checkout.get("fulfillment") or {}).get("methods") or []
    if (
        methods
        and methods[0].get("groups")
        and not methods[0]["groups"][0].get("selected_option_id")
    ):
        method = dict(methods[0])
        method["groups"] = [
            {**method["groups"][0], "selected_option_id": method["groups"][0]["options"][0]["id"]}
        ]
        body["fulfillment"] = {"methods": [method]}
        body["line_items"] = [
            {"id": line["id"], "item": {"id": line["item"]["id"]}, "quantity": line["quantity"]}
            for line in checkout["line_items"]
        ]
        checkout = rest.call(
            "put", f"/checkout-sessions/{checkout['id']}", body, version=version
        ).json()
    assert checkout["status"] == "ready_for_complete", checkout
    return checkout


def complete_body(version, token="success_token"):
    instrument = {
        "id": "instr_1",
        "handler_id": "mock_payment_handler",
        "type": "card",
        "credential": {"type": "token", "token": token},
    }
    if version == OLD:
        return {"payment_data": {**instrument, "brand": "Visa", "last_digits": "1234"}}
    return {"payment": {"instruments": [{**instrument, "selected": True}]}}


@pytest.mark.parametrize("version", BOTH)
def test_complete_creates_an_order_readable_at_orders(rest, version):
    checkout = ready_checkout(rest, version)

    completed = rest.call(
        "post",
        f"/checkout-sessions/{checkout['id']}/complete",
        complete_body(version),
        version=version,
    )

    assert completed.status_code == 200, completed.content
    body = completed.json()
    assert_valid(version, "shopping/checkout.json", body)
    assert body["status"] == "completed"
    assert "credential" not in json.dumps(body)
    order_id = body["order"]["id"]

    order = rest.call("get", f"/orders/{order_id}", version=version)
    assert order.status_code == 200
    assert_valid(version, "shopping/order.json", order.json())
    assert order.json()["checkout_id"] == checkout["id"]
    assert list(order.json()["ucp"]["capabilities"]) in (
        ["dev.ucp.shopping.order"],
        [{"name": "dev.ucp.shopping.order", "version": version}],
    )


def test_complete_when_not_ready_says_what_is_missing(rest):
    created = create(rest, NEW, email=None)
    response = rest.call(
        "post", f"/checkout-sessions/{created['id']}/complete", complete_body(NEW), version=NEW
    )
    assert response.status_code == 200
    assert response.json()["status"] == "incomplete"
    assert any(m.get("path") == "$.buyer.email" for m in response.json()["messages"])

    legacy = rest.call(
        "post", f"/checkout-sessions/{created['id']}/complete", complete_body(OLD), version=OLD
    )
    assert legacy.status_code == 400
    assert "email" in legacy.json()["detail"]


def test_unknown_version_gets_each_version_error(rest, shop):
    response = rest.call("post", "/checkout-sessions", create_body(), version="2099-01-01")
    assert response.status_code == 422
    assert response.json()["code"] == "version_unsupported"

    configure(shop, root_profile_version=OLD)
    response = rest.call("post", "/checkout-sessions", create_body(), version="2099-01-01")
    assert response.status_code == 400
    assert response.json()["messages"][0]["code"] == "version_unsupported"
    assert response.json()["status"] == "requires_escalation"


def test_an_unsupported_version_is_echoed_only_in_part(rest):
    response = rest.call("post", "/checkout-sessions", create_body(), version="2099-" + "9" * 4000)

    assert response.status_code == 422
    assert len(response.json()["content"]) < 100


@pytest.mark.parametrize(
    "header",
    [
        '"https://agent.invalid/p"',
        'profile="https://agent.invalid/p", version="2026-01-11"',
        'profile="..."; version="2026-01-11"',
    ],
)
def test_agent_header_forms_are_accepted(rest, header):
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": header}
    )
    assert response.status_code == 201
    expected = OLD if "version" in header else NEW
    assert response.json()["ucp"]["version"] == expected


def test_malformed_agent_header_is_400(rest):
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": "profile=(("}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_profile_url"


def test_unknown_item_is_a_business_outcome(rest):
    response = rest.call("post", "/checkout-sessions", create_body(item="pink_wumpus"), version=NEW)
    assert response.status_code == 200
    assert_valid(NEW, "shopping/types/error_response.json", response.json())
    assert response.json()["ucp"]["status"] == "error"
    assert response.json()["messages"][0]["code"] == "not_found"

    legacy = rest.call("post", "/checkout-sessions", create_body(item="pink_wumpus"), version=OLD)
    assert legacy.status_code == 400
    assert "not found" in legacy.json()["detail"].lower()


def test_beyond_stock_in_both_versions(rest):
    new = rest.call("post", "/checkout-sessions", create_body(item="gardenias"), version=NEW)
    if new.status_code == 201:
        assert any(m["code"] == "out_of_stock" for m in new.json()["messages"])
        assert_valid(NEW, "shopping/checkout.json", new.json())
    else:
        assert new.status_code == 200
        assert new.json()["messages"][0]["code"] == "out_of_stock"
        assert_valid(NEW, "shopping/types/error_response.json", new.json())

    legacy = rest.call("post", "/checkout-sessions", create_body(item="gardenias"), version=OLD)
    assert legacy.status_code == 400
    assert "Insufficient stock" in legacy.json()["detail"]


@pytest.mark.parametrize("version", BOTH)
def test_unknown_session_and_order(rest, version):
    missing = str(uuid.uuid4())
    for path in (f"/checkout-sessions/{missing}", f"/orders/{missing}"):
        response = rest.call("get", path, version=version)
        if version == NEW:
            assert response.status_code == 200
            assert_valid(NEW, "shopping/types/error_response.json", response.json())
        else:
            assert response.status_code == 404
            assert response.json()["code"] == "NOT_FOUND"


def test_idempotent_create_replays_bytes_and_refuses_another_payload(rest):
    key = str(uuid.uuid4())
    first = rest.call("post", "/checkout-sessions", create_body(), key=key)
    second = rest.call("post", "/checkout-sessions", create_body(), key=key)
    other = rest.call("post", "/checkout-sessions", create_body(quantity=2), key=key)

    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"


def test_idempotency_is_checked_before_the_state(rest):
    created = create(rest)
    path = f"/checkout-sessions/{created['id']}/cancel"
    key = str(uuid.uuid4())

    first = rest.call("post", path, key=key)
    replay = rest.call("post", path, key=key)
    fresh = rest.call("post", path, key=str(uuid.uuid4()))

    assert first.status_code == replay.status_code == 200
    assert first.content == replay.content
    assert fresh.status_code == 409


def test_idempotency_keys_are_scoped_per_platform(rest, api, shop):
    other, secret = platform_register(org=shop, caption="Other agent")
    basic = base64.b64encode(f"{other.client_id}:{secret}".encode()).decode()
    other_client = RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=f"Basic {basic}")
    key = str(uuid.uuid4())

    mine = rest.call("post", "/checkout-sessions", create_body(), key=key)
    theirs = other_client.call("post", "/checkout-sessions", create_body(), key=key)

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


def test_idempotency_key_sent_on_get_is_ignored(rest):
    created = create(rest)
    response = rest.call("get", f"/checkout-sessions/{created['id']}", key=str(uuid.uuid4()))
    assert response.status_code == 200


def test_platform_authentication_modes(api, shop, other_org, platform_credentials):
    anonymous = RestClient(api, shop.orgcode)
    assert anonymous.call("post", "/checkout-sessions", create_body()).status_code == 401

    stranger, secret = platform_register(org=other_org, caption="Foreign agent")
    basic = base64.b64encode(f"{stranger.client_id}:{secret}".encode()).decode()
    foreign = RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert foreign.call("post", "/checkout-sessions", create_body()).status_code == 401

    token = AccessToken.objects.create(
        application=platform_credentials["platform"].application,
        token="tok-" + uuid.uuid4().hex,
        expires=timezone.now() + timedelta(hours=1),
        scope="",
    )
    bearer = RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=f"Bearer {token.token}")
    assert bearer.call("post", "/checkout-sessions", create_body()).status_code == 201

    configure(shop, rest_auth="api_key")
    key = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    keyed = RestClient(api, shop.orgcode, HTTP_X_API_KEY=key)
    assert keyed.call("post", "/checkout-sessions", create_body()).status_code == 201
    assert bearer.call("post", "/checkout-sessions", create_body()).status_code == 401

    configure(shop, rest_auth="none")
    assert anonymous.call("post", "/checkout-sessions", create_body()).status_code == 201


def test_sessions_of_another_platform_are_not_found(rest, api, shop):
    created = create(rest)
    other, secret = platform_register(org=shop, caption="Other agent")
    basic = base64.b64encode(f"{other.client_id}:{secret}".encode()).decode()
    other_client = RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=f"Basic {basic}")

    response = other_client.call("get", f"/checkout-sessions/{created['id']}", version=OLD)
    assert response.status_code == 404


def test_unknown_org_is_404(api, shop):
    response = RestClient(api, "NOPE").call("post", "/checkout-sessions", create_body())
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_simulation_needs_setting_and_secret(rest, shop, settings):
    settings.UCP_DEFAULT_ORGCODE = shop.orgcode
    order_id = rest.call(
        "post",
        f"/checkout-sessions/{ready_checkout(rest, OLD)['id']}/complete",
        complete_body(OLD),
        version=OLD,
    ).json()["order"]["id"]
    path = f"/testing/simulate-shipping/{order_id}"
    right = {"HTTP_SIMULATION_SECRET": SIM_SECRET}

    assert rest.call("post", path, root=True, headers=right).status_code == 404

    with pytest.raises(errors.InvalidInput):
        rest_settings_set(org=shop, actor="test", simulation_enabled=True)
    rest_settings_set(org=shop, actor="test", simulation_enabled=True, simulation_secret=SIM_SECRET)

    assert rest.call("post", path, root=True).status_code == 403
    wrong = {"HTTP_SIMULATION_SECRET": "not-the-secret"}
    assert rest.call("post", path, root=True, headers=wrong).status_code == 403
    assert rest.call("post", path, root=True, headers=right).status_code == 200
    order = rest.call("get", f"/orders/{order_id}", version=OLD, root=True).json()
    assert_valid(OLD, "shopping/order.json", order)
    assert [event["type"] for event in order["fulfillment"]["events"]] == ["shipped"]
    assert (
        rest.call("post", f"/ucp/rest/{shop.orgcode}{path}", root=True, headers=right).status_code
        == 200
    )


def test_database_refuses_simulation_without_a_secret(shop):
    with pytest.raises(IntegrityError), transaction.atomic():
        RestSettings.objects.create(org=shop, simulation_enabled=True)


def test_orders_at_the_server_root_use_the_default_org(rest, shop, settings):
    settings.UCP_DEFAULT_ORGCODE = shop.orgcode
    checkout = ready_checkout(rest, OLD)
    completed = rest.call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", complete_body(OLD), version=OLD
    ).json()

    response = rest.call("get", f"/orders/{completed['order']['id']}", version=OLD, root=True)

    assert response.status_code == 200
    assert_valid(OLD, "shopping/order.json", response.json())


class ProfileServer:
    """A loopback platform that serves its UCP profile."""

    def __init__(self, document):
        payload = json.dumps(document).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/profile"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback_profiles(settings):
    settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE = True
    servers = []

    def serve(document):
        servers.append(ProfileServer(document))
        return servers[-1].url

    yield serve
    for server in servers:
        server.close()


def test_platform_profile_gives_version_capabilities_and_webhook_url(rest, loopback_profiles):
    url = loopback_profiles(
        {
            "ucp": {
                "version": NEW,
                "capabilities": {
                    "dev.ucp.shopping.checkout": [{"version": NEW}],
                    "dev.ucp.shopping.discount": [{"version": NEW}],
                    "dev.ucp.shopping.order": [
                        {"version": NEW, "config": {"webhook_url": "https://agent.example/hook"}}
                    ],
                },
            }
        }
    )

    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["ucp"]["version"] == NEW
    assert set(body["ucp"]["capabilities"]) == {
        "dev.ucp.shopping.checkout",
        "dev.ucp.shopping.discount",
    }
    binding = RestBinding.objects.get(session__guid=body["id"])
    assert binding.order_webhook_url == "https://agent.example/hook"
    assert binding.agent_profile_url == url


def test_platform_profile_of_an_unsupported_version_is_refused(rest, loopback_profiles):
    url = loopback_profiles({"ucp": {"version": "2030-01-01", "capabilities": {}}})
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )
    assert response.status_code == 422


def test_unreachable_profile_does_not_block_a_matching_version(rest, settings):
    settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE = True
    header = 'profile="http://127.0.0.1:9/nothing-here"; version="2026-01-11"'
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": header}
    )
    assert response.status_code == 201
    assert response.json()["ucp"]["version"] == OLD


def test_private_profile_hosts_are_not_fetched_in_production(rest, settings):
    settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE = False
    header = 'profile="http://169.254.169.254/latest/meta-data"'
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": header}
    )
    assert response.status_code == 201
    assert RestBinding.objects.get(session__guid=response.json()["id"]).order_webhook_url == ""


def test_discount_totals_change_sign_between_versions():
    totals = [
        {"type": "subtotal", "amount": 3500},
        {"type": "discount", "amount": 350},
        {"type": "total", "amount": 3150},
    ]
    assert signed_totals(totals, version_is_legacy=False)[1]["amount"] == -350
    assert signed_totals(totals, version_is_legacy=True)[1]["amount"] == 350
    assert signed_totals(signed_totals(totals, False), True)[1]["amount"] == 350


@pytest.mark.parametrize("version", BOTH)
def test_second_complete_with_a_new_key_is_refused_and_the_same_key_replays(rest, version):
    checkout = ready_checkout(rest, version)
    path = f"/checkout-sessions/{checkout['id']}/complete"
    key = str(uuid.uuid4())

    first = rest.call("post", path, complete_body(version), version=version, key=key)
    replay = rest.call("post", path, complete_body(version), version=version, key=key)
    fresh = rest.call("post", path, complete_body(version), version=version, key=str(uuid.uuid4()))

    assert first.status_code == replay.status_code == 200
    assert first.content == replay.content
    assert fresh.status_code == 409


def test_profile_without_checkout_is_capabilities_incompatible(rest, loopback_profiles):
    url = loopback_profiles(
        {"ucp": {"version": NEW, "capabilities": {"dev.ucp.shopping.order": [{"version": NEW}]}}}
    )
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )
    assert response.status_code == 200
    assert_valid(NEW, "shopping/types/error_response.json", response.json())
    assert response.json()["messages"][0]["code"] == "capabilities_incompatible"


def test_capabilities_the_platform_speaks_in_no_common_version_are_dropped(rest, loopback_profiles):
    url = loopback_profiles(
        {
            "ucp": {
                "version": NEW,
                "capabilities": {
                    "dev.ucp.shopping.checkout": [{"version": "2025-01-01"}, {"version": NEW}],
                    "dev.ucp.shopping.discount": [{"version": "2030-01-01"}],
                    "dev.ucp.shopping.fulfillment": [{}],
                },
            }
        }
    )

    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )

    assert response.status_code == 201, response.content
    # Checkout in a version we serve stays, a discount version we do not serve goes, and an
    # entry without a version is taken as compatible.
    assert set(response.json()["ucp"]["capabilities"]) == {
        "dev.ucp.shopping.checkout",
        "dev.ucp.shopping.fulfillment",
    }


def test_a_null_capability_version_counts_as_none_and_odd_versions_name_none_we_serve(
    rest, loopback_profiles
):
    """A version of null was read as the text "None", so a profile that wrote `"version": null`
    for checkout (no version, which the intersection takes as compatible when the member is
    absent) was answered capabilities_incompatible."""
    url = loopback_profiles(
        {
            "ucp": {
                "version": NEW,
                "capabilities": {
                    "dev.ucp.shopping.checkout": [{"version": None}],
                    "dev.ucp.shopping.fulfillment": [{"version": 20260408}],
                    "dev.ucp.shopping.discount": [{"version": [NEW] * 5000}],
                    "dev.ucp.shopping.order": [{"version": {"v": NEW}}],
                },
            }
        }
    )

    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )

    assert response.status_code == 201, response.content
    assert set(response.json()["ucp"]["capabilities"]) == {"dev.ucp.shopping.checkout"}


def test_a_trailing_slash_is_tolerated(rest):
    created = create(rest)
    response = rest.call("get", f"/checkout-sessions/{created['id']}/")
    assert response.status_code == 200
    assert response.json()["id"] == created["id"]


def test_unknown_route_under_the_binding_is_json_404(rest):
    response = rest.call("get", "/carts/nothing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_order_webhook_target_comes_from_the_profile(rest, loopback_profiles):
    from checkout.models import CheckoutSession
    from checkout.rest.selectors import order_webhook_target

    hook = "https://agent.example/webhooks/order"
    url = loopback_profiles(
        {
            "ucp": {
                "version": OLD,
                "capabilities": [
                    {
                        "name": "dev.ucp.shopping.order",
                        "version": OLD,
                        "config": {"webhook_url": hook},
                    }
                ],
            }
        }
    )
    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )
    session = CheckoutSession.objects.get(guid=response.json()["id"])

    target = order_webhook_target(org_id=session.org_id, checkout_guid=session.guid)

    assert response.json()["ucp"]["version"] == OLD
    assert target.url == hook
    assert target.version == OLD
    assert target.platform_id == session.platform_id


@pytest.mark.parametrize(
    "hook",
    ["https://agent.example/hook\u0000", "https://agent.example/\ud800", "https://a.example/\t"],
)
def test_a_profile_webhook_url_the_database_cannot_store_is_ignored(rest, loopback_profiles, hook):
    """A NUL or a lone surrogate (valid JSON escapes) would make PostgreSQL refuse the binding
    and the checkout answer 500; such a URL, or one with control characters, names no target."""
    url = loopback_profiles(
        {
            "ucp": {
                "version": NEW,
                "capabilities": {
                    "dev.ucp.shopping.checkout": [{"version": NEW}],
                    "dev.ucp.shopping.order": [{"version": NEW, "config": {"webhook_url": hook}}],
                },
            }
        }
    )

    response = rest.call(
        "post", "/checkout-sessions", create_body(), headers={"HTTP_UCP_AGENT": f'profile="{url}"'}
    )

    assert response.status_code == 201, response.content
    assert RestBinding.objects.get(session__guid=response.json()["id"]).order_webhook_url == ""


def test_unauthenticated_callers_cannot_make_the_service_fetch_profiles(
    api, shop, loopback_profiles
):
    hits = []
    url = loopback_profiles({"ucp": {"version": NEW, "capabilities": {}}})
    from checkout.rest import agent as agent_module

    original = agent_module.download_profile
    agent_module.download_profile = lambda u: hits.append(u) or original(u)
    try:
        response = RestClient(api, shop.orgcode).call(
            "post",
            "/checkout-sessions",
            create_body(),
            headers={"HTTP_UCP_AGENT": f'profile="{url}"'},
        )
    finally:
        agent_module.download_profile = original

    assert response.status_code == 401
    assert hits == []


@pytest.mark.parametrize("version", BOTH)
def test_the_endpoint_the_root_profile_advertises_serves_checkout(rest, shop, settings, version):
    settings.UCP_DEFAULT_ORGCODE = shop.orgcode
    configure(shop, root_profile_version=version)

    profile = rest.api.get("/.well-known/ucp").json()
    service = profile["ucp"]["services"]["dev.ucp.shopping"]
    endpoint = service["rest"]["endpoint"] if version == OLD else service[0]["endpoint"]
    path = endpoint.split("://", 1)[1].split("/", 1)[1]
    response = rest.api.post(
        f"/{path}/checkout-sessions",
        data=json.dumps(create_body()),
        content_type="application/json",
        **rest.auth,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["ucp"]["version"] == version
    assert_valid(version, "shopping/checkout.json", body)
    advertised = (
        {h["id"] for h in profile["payment"]["handlers"]}
        if version == OLD
        else {e["id"] for entries in profile["ucp"]["payment_handlers"].values() for e in entries}
    )
    answered = (
        {h["id"] for h in body["payment"]["handlers"]}
        if version == OLD
        else {e["id"] for entries in body["ucp"]["payment_handlers"].values() for e in entries}
    )
    assert answered == advertised


def test_a_capability_the_org_disabled_is_not_served(rest, shop):
    configure(shop, capabilities={**ucp_config_of(org=shop).capabilities, "checkout": False})
    response = rest.call("post", "/checkout-sessions", create_body())
    assert response.status_code == 404

    configure(shop, capabilities={**ucp_config_of(org=shop).capabilities, "checkout": True})
    assert rest.call("post", "/checkout-sessions", create_body()).status_code == 201


def test_root_routes_follow_the_hostname_mapping(rest, shop, other_org, settings):
    from orgconfig.models import OrgHostname

    settings.UCP_DEFAULT_ORGCODE = other_org.orgcode
    settings.ALLOWED_HOSTS = ["*"]
    OrgHostname.objects.create(org=shop, hostname="flowers.example")
    checkout = ready_checkout(rest, OLD)
    order_id = rest.call(
        "post", f"/checkout-sessions/{checkout['id']}/complete", complete_body(OLD), version=OLD
    ).json()["order"]["id"]

    mapped = rest.call(
        "get",
        f"/orders/{order_id}",
        version=OLD,
        root=True,
        headers={"HTTP_HOST": "flowers.example"},
    )
    default = rest.call("get", f"/orders/{order_id}", version=OLD, root=True)

    assert mapped.status_code == 200
    assert mapped.json()["id"] == order_id
    assert default.status_code in (401, 404)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_open_requests_share_one_platform(shop):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from checkout.rest.auth import ANONYMOUS_CAPTION, anonymous_platform
    from platforms.models import Platform

    def first_request(_):
        try:
            return anonymous_platform(shop).pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        platform_ids = set(pool.map(first_request, range(12)))

    assert len(platform_ids) == 1
    assert Platform.objects.filter(org=shop, caption=ANONYMOUS_CAPTION).count() == 1


# Where each release's extension schemas define the checkout they extend.
EXTENDED_CHECKOUT = {NEW: "/$defs/dev.ucp.shopping.checkout", OLD: "/$defs/checkout"}


@pytest.mark.parametrize("version", BOTH)
def test_free_shipping_shows_as_free_shipping_in_both_versions(rest, version):
    # Roses qualify for the free-shipping promotion, which waives standard shipping.
    checkout = ready_checkout(rest, version)

    # The checkout, and its fulfillment and discount extensions (option totals included).
    extended = EXTENDED_CHECKOUT[version]
    for schema, pointer in (
        ("checkout.json", ""),
        ("fulfillment.json", extended),
        ("discount.json", extended),
    ):
        assert schema_errors(checkout, version, f"schemas/shopping/{schema}", pointer) == []

    totals = {entry["type"]: entry["amount"] for entry in checkout["totals"]}
    assert totals == {"subtotal": 3500, "fulfillment": 0, "total": 3500}
    group = checkout["fulfillment"]["methods"][0]["groups"][0]
    standard = next(option for option in group["options"] if option["id"] == "std-ship")
    assert group["selected_option_id"] == "std-ship"
    assert "Free" in standard["title"]
    saving = 500 if version == OLD else -500
    assert standard["totals"] == [
        {"type": "subtotal", "amount": 500},
        {"type": "discount", "amount": saving},
        {"type": "total", "amount": 0},
    ]
    (waiver,) = checkout["discounts"]["applied"]
    assert (waiver["automatic"], waiver["amount"]) == (True, 500)


def card_complete_body(version, number):
    """The conformance suite's card credential completion (a raw card, no token)."""
    body = complete_body(version)
    instrument = body["payment_data"] if version == OLD else body["payment"]["instruments"][0]
    instrument["credential"] = raw_card_credential(number)
    return body


@pytest.mark.parametrize("version", BOTH)
def test_sandbox_test_cards_complete_and_decline(rest, version):
    declined_checkout = ready_checkout(rest, version)
    declined = rest.call(
        "post",
        f"/checkout-sessions/{declined_checkout['id']}/complete",
        card_complete_body(version, "4000000000000002"),
        version=version,
    )
    checkout = ready_checkout(rest, version)
    completed = rest.call(
        "post",
        f"/checkout-sessions/{checkout['id']}/complete",
        card_complete_body(version, "4242424242424242"),
        version=version,
    )

    assert declined.status_code == (402 if version == OLD else 200), declined.content
    assert declined.json()["status"] != "completed"
    assert completed.status_code == 200, completed.content
    body = completed.json()
    assert_valid(version, "shopping/checkout.json", body)
    assert body["status"] == "completed"
    (used,) = body["payment"]["instruments"]
    assert used["last_digits"] == "4242"
    for response in (declined, completed):
        assert "4242424242424242" not in response.content.decode()
        assert "4000000000000002" not in response.content.decode()
        assert "credential" not in response.content.decode()
    order = rest.call("get", f"/orders/{body['order']['id']}", version=version)
    assert "4242424242424242" not in order.content.decode()
