"""POST /ucp/config/get and /ucp/config/set: revisions, validation, write-through, audit."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.db import connection

from orgconfig.models import AuditEntry, OrgHostname, OrgSettings, Role
from orgconfig.services import org_create, ucp_config_set
from orgconfig.signing import signing_key_active
from tests.conftest import SeedClient, make_admin_headers
from ucp import errors


def get_config(admin) -> dict:
    response = admin.post("config/get")
    assert response.status_code == 200, response.content
    return response.json()


def set_config(admin, revision, **changes):
    return admin.post("config/set", {"expected_revision": revision, **changes})


def error_of(response) -> dict:
    return response.json()["error"]


def test_get_shows_defaults_and_revision(admin, org):
    body = get_config(admin)

    config = body["data"]
    assert body["revision"] == config["revision"] == 1
    assert config["orgcode"] == org.orgcode
    assert config["capabilities"] == {
        "checkout": True,
        "fulfillment": True,
        "discount": True,
        "order": True,
        "catalog": True,
        "identity_linking": False,
    }
    assert config["root_profile_version"] == "2026-04-08"
    assert config["rest_auth"] == "oauth_client_credentials"
    assert [h["id"] for h in config["payment_handlers"]] == ["mock_payment_handler", "none"]
    assert config["hostnames"] == []


def test_round_trip_writes_through_and_is_audited(admin, org):
    changes = {
        "capabilities": {"discount": False, "identity_linking": True},
        "payment_handlers": [
            {"id": "mock_payment_handler", "config": {"supported_tokens": ["success_token"]}},
            {"id": "none"},
        ],
        "policy_links": {
            "terms_of_service": "https://flowers.example/terms",
            "refund_policy": "https://flowers.example/refunds",
        },
        "tax_rate_bps": 825,
        "checkout_ttl_seconds": 3600,
        "secret_rotation_grace_seconds": 600,
        "webhook_defaults": {"events": ["order.created"]},
        "rest_auth": "api_key",
        "hostnames": ["Shop.Flowers.Example", "flowers.example"],
        "root_profile_version": "2026-01-11",
    }

    response = set_config(admin, 1, **changes)

    assert response.status_code == 200, response.content
    assert response.json()["revision"] == 2
    config = get_config(admin)["data"]
    assert config["revision"] == 2
    assert config["capabilities"]["discount"] is False
    assert config["capabilities"]["identity_linking"] is True
    assert config["capabilities"]["checkout"] is True  # merged, not replaced
    assert config["payment_handlers"] == [
        {"id": "mock_payment_handler", "config": {"supported_tokens": ["success_token"]}},
        {"id": "none", "config": {}},
    ]
    assert config["policy_links"] == changes["policy_links"]
    assert config["webhook_defaults"] == {"enabled": True, "events": ["order.created"]}
    assert config["rest_auth"] == "api_key"
    assert sorted(config["hostnames"]) == ["flowers.example", "shop.flowers.example"]
    assert config["root_profile_version"] == "2026-01-11"

    operational = OrgSettings.objects.get(org=org)
    assert operational.tax_rate_bps == 825
    assert operational.checkout_ttl_seconds == 3600
    assert operational.secret_rotation_grace_seconds == 600
    assert operational.payment_handlers == ["mock_payment_handler", "none"]

    entry = AuditEntry.objects.get(org=org, action="ucp_config.set")
    assert entry.actor.startswith("api_key:")
    assert entry.target_id == org.orgcode
    assert entry.before["tax_rate_bps"] == 0 and entry.after["tax_rate_bps"] == 825
    assert entry.before["hostnames"] == [] and "flowers.example" in entry.after["hostnames"]
    assert entry.created_at is not None


def test_second_set_removes_dropped_hostnames_and_clears_a_link(admin):
    set_config(
        admin,
        1,
        hostnames=["a.flowers.example", "b.flowers.example"],
        policy_links={"privacy_policy": "https://flowers.example/privacy"},
    )

    response = set_config(
        admin, 2, hostnames=["b.flowers.example"], policy_links={"privacy_policy": None}
    )

    assert response.status_code == 200, response.content
    config = response.json()["data"]
    assert config["hostnames"] == ["b.flowers.example"]
    assert config["policy_links"] == {}
    assert OrgHostname.objects.count() == 1


def test_missing_expected_revision_is_428(admin):
    response = admin.post("config/set", {"tax_rate_bps": 100})

    assert response.status_code == 428
    assert error_of(response)["error_code"] == "expected-revision-required"


def test_stale_revision_is_409_and_changes_nothing(admin, org):
    assert set_config(admin, 1, tax_rate_bps=100).status_code == 200

    response = set_config(admin, 1, tax_rate_bps=200)

    assert response.status_code == 409
    assert error_of(response)["error_code"] == "revision-mismatch"
    assert error_of(response)["details"]["current_revision"] == 2
    assert OrgSettings.objects.get(org=org).tax_rate_bps == 100
    assert AuditEntry.objects.filter(org=org, action="ucp_config.set").count() == 1


INVALID_FIELDS = [
    ({"capabilities": ["checkout"]}, "capabilities"),
    ({"capabilities": {"cart": True}}, "capabilities.cart"),
    ({"capabilities": {"order": "yes"}}, "capabilities.order"),
    ({"capabilities": {"checkout": False}}, "capabilities.fulfillment"),
    ({"payment_handlers": {"id": "none"}}, "payment_handlers"),
    ({"payment_handlers": [{"id": "stripe"}]}, "payment_handlers[0].id"),
    ({"payment_handlers": [{"id": "none"}, {"id": "none"}]}, "payment_handlers[1].id"),
    ({"payment_handlers": ["none"]}, "payment_handlers[0]"),
    ({"payment_handlers": [{"id": "none", "config": []}]}, "payment_handlers[0].config"),
    (
        {"payment_handlers": [{"id": "none", "config": {"client_secret": "x"}}]},
        "payment_handlers[0].config",
    ),
    ({"policy_links": "https://x.example"}, "policy_links"),
    ({"policy_links": {"faq": "https://x.example/faq"}}, "policy_links.faq"),
    ({"policy_links": {"terms_of_service": "http://x.example"}}, "policy_links.terms_of_service"),
    ({"policy_links": {"privacy_policy": "not a url"}}, "policy_links.privacy_policy"),
    ({"policy_links": {"refund_policy": 5}}, "policy_links.refund_policy"),
    ({"tax_rate_bps": "825"}, "tax_rate_bps"),
    ({"tax_rate_bps": 8.25}, "tax_rate_bps"),
    ({"tax_rate_bps": True}, "tax_rate_bps"),
    ({"tax_rate_bps": -1}, "tax_rate_bps"),
    ({"tax_rate_bps": 10_001}, "tax_rate_bps"),
    ({"checkout_ttl_seconds": 10}, "checkout_ttl_seconds"),
    ({"checkout_ttl_seconds": 8 * 24 * 3600}, "checkout_ttl_seconds"),
    ({"secret_rotation_grace_seconds": -5}, "secret_rotation_grace_seconds"),
    ({"secret_rotation_grace_seconds": None}, "secret_rotation_grace_seconds"),
    ({"webhook_defaults": []}, "webhook_defaults"),
    ({"webhook_defaults": {"enabled": "true"}}, "webhook_defaults.enabled"),
    ({"webhook_defaults": {"events": ["order.exploded"]}}, "webhook_defaults.events"),
    ({"webhook_defaults": {"events": ["order.created"] * 2}}, "webhook_defaults.events"),
    ({"webhook_defaults": {"url": "https://x.example"}}, "webhook_defaults.url"),
    ({"rest_auth": "basic"}, "rest_auth"),
    ({"rest_auth": None}, "rest_auth"),
    ({"hostnames": "shop.example.com"}, "hostnames"),
    ({"hostnames": ["shop.example.com:8443"]}, "hostnames[0]"),
    ({"hostnames": ["https://shop.example.com"]}, "hostnames[0]"),
    ({"hostnames": ["localhost"]}, "hostnames[0]"),
    ({"hostnames": ["10.0.0.1"]}, "hostnames[0]"),
    ({"hostnames": ["*.example.com"]}, "hostnames[0]"),
    ({"hostnames": ["a.example.com", "A.example.com"]}, "hostnames[1]"),
    ({"root_profile_version": "2026-01-23"}, "root_profile_version"),
    ({"saved_addresses": "everyone"}, "saved_addresses"),
    ({"saved_addresses": True}, "saved_addresses"),
    ({"colour": "blue"}, "colour"),
    ({}, "body"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_FIELDS)
def test_invalid_field_is_named_and_nothing_is_saved(admin, org, changes, field):
    response = set_config(admin, 1, **changes)

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["error_code"] == "invalid-input"
    assert field in error["details"]["fields"], error
    assert error["message"].startswith(field)
    assert get_config(admin)["data"]["revision"] == 1
    assert not AuditEntry.objects.filter(org=org).exists()


def test_every_invalid_field_is_reported_at_once(admin):
    response = set_config(admin, 1, tax_rate_bps=-1, rest_auth="x", hostnames=["bad host"])

    assert response.status_code == 400
    assert set(error_of(response)["details"]["fields"]) == {
        "tax_rate_bps",
        "rest_auth",
        "hostnames[0]",
    }


def test_expected_revision_must_be_a_positive_integer(admin):
    response = admin.post("config/set", {"expected_revision": "1", "tax_rate_bps": 1})

    assert response.status_code == 400
    assert "expected_revision" in error_of(response)["details"]["fields"]


def test_hostname_of_another_org_is_refused(api, admin, other_org):
    other_admin = SeedClient(api, **make_admin_headers(other_org))
    assert set_config(other_admin, 1, hostnames=["shop.other.example"]).status_code == 200

    response = set_config(admin, 1, hostnames=["ok.flowers.example", "shop.other.example"])

    assert response.status_code == 400
    assert error_of(response)["details"]["fields"] == {"hostnames[1]": ["is mapped to another org"]}
    assert OrgHostname.objects.get(hostname="shop.other.example").org == other_org


def test_viewer_reads_but_cannot_set(api, org):
    viewer = SeedClient(api, **make_admin_headers(org, role=Role.VIEWER))

    assert viewer.post("config/get").status_code == 200
    response = set_config(viewer, 1, tax_rate_bps=5)

    assert response.status_code == 403
    assert error_of(response)["error_code"] == "forbidden"


def test_ucp_admin_can_set(api, org):
    ucp_admin = SeedClient(api, **make_admin_headers(org, role=Role.UCP_ADMIN))

    assert set_config(ucp_admin, 1, tax_rate_bps=5).status_code == 200


def test_config_needs_admin_credentials(api, org):
    response = api.post("/ucp/config/get", {}, format="json")

    assert response.status_code == 401
    assert error_of(response)["error_code"] == "unauthorized"


def test_other_orgs_admin_gets_404(api, org, other_org):
    headers = make_admin_headers(other_org)
    headers["HTTP_X_ORGCODE"] = org.orgcode

    response = api.post("/ucp/config/get", {}, format="json", **headers)

    assert response.status_code == 404


def test_config_lists_signing_keys_without_key_material(admin, org):
    key = signing_key_active(org=org)

    body = get_config(admin)

    text = str(body)
    assert "PRIVATE" not in text and "private_key" not in text
    assert body["data"]["signing_keys"][0]["kid"] == key.kid
    assert body["data"]["signing_keys"][0]["published"] is True
    assert key.private_key_pem not in text


@pytest.mark.django_db(transaction=True)
def test_concurrent_sets_with_one_revision_have_one_winner():
    org = org_create(orgcode="RACE", name="Race")
    barrier = Barrier(4)

    def attempt(rate):
        barrier.wait()
        try:
            ucp_config_set(
                org=org, actor="test", expected_revision=1, changes={"tax_rate_bps": rate}
            )
            return "won"
        except errors.RevisionMismatch:
            return "lost"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, [100, 200, 300, 400]))

    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    assert AuditEntry.objects.filter(org=org, action="ucp_config.set").count() == 1
    winner = AuditEntry.objects.get(org=org).after["tax_rate_bps"]
    assert OrgSettings.objects.get(org=org).tax_rate_bps == winner
