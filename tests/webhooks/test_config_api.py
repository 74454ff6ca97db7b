"""Seed routes /ucp/webhook/config/get|set: revisioned config, filters, the secret shown once."""

import pytest

from orgconfig.models import AuditEntry, Role
from platforms.services import platform_register
from tests.conftest import SeedClient, make_admin_headers
from webhooks.events import EVENT_TYPES, ORDER_EVENT_TYPES
from webhooks.models import WebhookConfig

PUBLIC_URL = "https://93.184.215.14/hooks"


@pytest.fixture
def platform(org):
    platform, _ = platform_register(org=org, caption="Agent", callback_url="")
    return platform


def get(admin, platform):
    return admin.post("webhook/config/get", {"platform_guid": str(platform.guid)})


def set_(admin, platform, revision, **changes):
    body = {"platform_guid": str(platform.guid), "expected_revision": revision, **changes}
    return admin.post("webhook/config/set", body)


def test_get_starts_from_a_documented_default(admin, platform):
    response = get(admin, platform)

    assert response.status_code == 200
    body = response.json()
    data = body["data"]
    assert body["revision"] == data["revision"] == 1
    assert data["platform_guid"] == str(platform.guid)
    assert data["callback_url"] == ""
    assert data["enabled"] is True
    assert data["event_filters"] == []
    assert data["effective_event_filters"] == list(ORDER_EVENT_TYPES)
    assert data["valid_event_types"] == list(EVENT_TYPES)
    assert data["status"] == "not_configured"
    assert data["signing_secret_set"] is False
    assert "signing_secret" not in data


def test_set_issues_the_secret_once_and_rotates_on_request(admin, platform):
    first = set_(admin, platform, 1, callback_url=PUBLIC_URL, event_filters=["order.shipped"])

    assert first.status_code == 200, first.json()
    data = first.json()["data"]
    secret = data["signing_secret"]
    assert secret.startswith("whsec_")
    assert data["revision"] == 2
    assert data["status"] == "active"
    assert data["event_filters"] == ["order.shipped"]

    again = get(admin, platform).json()["data"]
    assert "signing_secret" not in again and again["signing_secret_set"] is True

    unchanged = set_(admin, platform, 2, enabled=False).json()["data"]
    assert "signing_secret" not in unchanged
    assert unchanged["status"] == "disabled"

    rotated = set_(admin, platform, 3, rotate_secret=True).json()["data"]
    assert rotated["signing_secret"].startswith("whsec_")
    assert rotated["signing_secret"] != secret
    assert rotated["previous_secret_valid_until"] is not None

    config = WebhookConfig.objects.get(platform=platform)
    assert config.signing_secret == rotated["signing_secret"]
    assert config.previous_signing_secret == secret
    audit = AuditEntry.objects.filter(action="webhook.config.set")
    assert audit.count() == 3
    assert all("whsec_" not in str(entry.after) + str(entry.before) for entry in audit)


def test_set_needs_the_current_revision(admin, platform):
    get(admin, platform)

    missing = admin.post(
        "webhook/config/set", {"platform_guid": str(platform.guid), "enabled": False}
    )
    assert missing.status_code == 428
    assert missing.json()["error"]["error_code"] == "expected-revision-required"

    assert set_(admin, platform, 1, enabled=False).status_code == 200
    stale = set_(admin, platform, 1, enabled=True)
    assert stale.status_code == 409
    assert stale.json()["error"]["details"]["current_revision"] == 2


def test_unknown_event_types_are_refused_with_the_valid_list(admin, platform):
    get(admin, platform)

    response = set_(admin, platform, 1, event_filters=["order.created", "order.exploded"])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["error_code"] == "invalid-input"
    assert "order.exploded" in error["message"]
    assert error["details"]["valid_event_types"] == list(EVENT_TYPES)
    assert "event_filters" in error["details"]["fields"]
    assert WebhookConfig.objects.get(platform=platform).revision == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"enabled": "yes"}, "enabled"),
        ({"event_filters": "order.created"}, "event_filters"),
        ({"ucp_version": "1999-01-01"}, "ucp_version"),
        ({"callback_url": 42}, "callback_url"),
    ],
)
def test_wrong_types_name_the_field(admin, platform, changes, field):
    get(admin, platform)

    response = set_(admin, platform, 1, **changes)

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]["fields"]


def test_viewers_read_but_do_not_write(api, org, platform):
    viewer = SeedClient(api, **make_admin_headers(org, Role.VIEWER))

    assert get(viewer, platform).status_code == 200
    response = set_(viewer, platform, 1, enabled=False)
    assert response.status_code == 403


def test_another_orgs_platform_is_not_found(api, platform, other_org):
    outsider = SeedClient(api, **make_admin_headers(other_org))

    assert get(outsider, platform).status_code == 404
    assert set_(outsider, platform, 1, enabled=False).status_code == 404


def test_admin_auth_is_required(api, platform):
    response = api.post(
        "/ucp/webhook/config/get", {"platform_guid": str(platform.guid)}, format="json"
    )
    assert response.status_code == 401
