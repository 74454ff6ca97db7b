"""Seed routes /ucp/platform/*: registration, listing, rotation with grace, revocation."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from oauth2_provider.models import get_application_model

from platforms.models import Platform
from platforms.services import platform_authenticate
from tests.conftest import SeedClient, make_admin_headers
from ucp import errors


def register(admin, caption="Agent", **extra):
    response = admin.post("platform/register", {"caption": caption, **extra})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_register_returns_the_secret_once_and_stores_it_hashed(admin):
    data = register(
        admin, "Shopping agent", scopes=["checkout"], callback_url="https://agent.example/hooks"
    )

    assert data["client_secret"].startswith("ucp_cs_")
    assert data["caption"] == "Shopping agent"
    assert data["status"] == "active"
    application = get_application_model().objects.get(client_id=data["client_id"])
    assert data["client_secret"] not in application.client_secret
    assert application.client_secret.startswith("ucp_machine_secret$")

    fetched = admin.post("platform/get", {"platform_guid": data["platform_guid"]}).json()
    assert "client_secret" not in fetched["data"]
    assert fetched["revision"] == 1


def test_list_pages_with_next_token(admin):
    for number in range(5):
        register(admin, f"Agent {number}")

    first = admin.post("platform/list", {"limit": 2}).json()["data"]
    second = admin.post("platform/list", {"limit": 2, "next_token": first["next_token"]}).json()
    third = admin.post("platform/list", {"limit": 2, "next_token": second["data"]["next_token"]})

    captions = [
        p["caption"]
        for page in (first, second["data"], third.json()["data"])
        for p in page["items"]
    ]
    assert captions == [f"Agent {n}" for n in range(5)]
    assert third.json()["data"]["next_token"] is None


def test_list_limit_is_clamped_and_defaults_to_eight(admin):
    for number in range(10):
        register(admin, f"Agent {number}")

    assert len(admin.post("platform/list", {}).json()["data"]["items"]) == 8
    assert len(admin.post("platform/list", {"limit": 0}).json()["data"]["items"]) == 1
    assert len(admin.post("platform/list", {"limit": 10_000}).json()["data"]["items"]) == 10


def test_list_filters_by_status(admin):
    kept = register(admin, "Kept")
    gone = register(admin, "Gone")
    admin.post("platform/revoke", {"platform_guid": gone["platform_guid"], "expected_revision": 1})

    active = admin.post("platform/list", {"status": "active"}).json()["data"]["items"]
    revoked = admin.post("platform/list", {"status": "revoked"}).json()["data"]["items"]

    assert [p["platform_guid"] for p in active] == [kept["platform_guid"]]
    assert [p["platform_guid"] for p in revoked] == [gone["platform_guid"]]


def test_next_token_is_bound_to_org_and_filter(api, admin, other_org):
    for number in range(3):
        register(admin, f"Agent {number}")
    token = admin.post("platform/list", {"limit": 1}).json()["data"]["next_token"]

    other_admin = SeedClient(api, **make_admin_headers(other_org))
    foreign = other_admin.post("platform/list", {"limit": 1, "next_token": token})
    other_filter = admin.post(
        "platform/list", {"limit": 1, "status": "active", "next_token": token}
    )
    forged = admin.post("platform/list", {"next_token": token[:-2] + "xx"})

    for response in (foreign, other_filter, forged):
        assert response.status_code == 400
        assert response.json()["error"]["error_code"] == "invalid-input"


def test_rotation_keeps_the_old_secret_for_the_grace_period(admin):
    data = register(admin)
    rotated = admin.post(
        "platform/rotate", {"platform_guid": data["platform_guid"], "expected_revision": 1}
    )
    new_secret = rotated.json()["data"]["client_secret"]
    assert rotated.json()["revision"] == 2
    assert new_secret != data["client_secret"]

    platform_authenticate(client_id=data["client_id"], client_secret=new_secret)
    platform_authenticate(client_id=data["client_id"], client_secret=data["client_secret"])

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        platform_authenticate(client_id=data["client_id"], client_secret=new_secret)
        try:
            platform_authenticate(client_id=data["client_id"], client_secret=data["client_secret"])
        except errors.Unauthorized:
            pass
        else:
            raise AssertionError("the old secret still works after the grace period")


def test_grace_period_follows_the_org_setting(admin, org):
    org.settings.secret_rotation_grace_seconds = 60
    org.settings.save()
    data = register(admin)
    admin.post("platform/rotate", {"platform_guid": data["platform_guid"], "expected_revision": 1})

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = SeedClient(admin.client).post(
            "checkout/get",
            {
                "client_id": data["client_id"],
                "client_secret": data["client_secret"],
            },
        )
    assert response.status_code == 401


def test_revoke_stops_every_secret_at_once(admin):
    data = register(admin)
    rotated = admin.post(
        "platform/rotate", {"platform_guid": data["platform_guid"], "expected_revision": 1}
    )

    revoked = admin.post(
        "platform/revoke", {"platform_guid": data["platform_guid"], "expected_revision": 2}
    )

    assert revoked.json()["data"]["status"] == "revoked"
    for secret in (data["client_secret"], rotated.json()["data"]["client_secret"]):
        response = SeedClient(admin.client).post(
            "checkout/get",
            {
                "client_id": data["client_id"],
                "client_secret": secret,
                "checkout_guid": "x",
            },
        )
        assert response.status_code == 401
        assert response.json()["error"]["error_code"] == "unauthorized"


def test_revoked_platform_cannot_rotate(admin):
    data = register(admin)
    admin.post("platform/revoke", {"platform_guid": data["platform_guid"], "expected_revision": 1})

    response = admin.post(
        "platform/rotate", {"platform_guid": data["platform_guid"], "expected_revision": 2}
    )

    assert response.json()["error"]["error_code"] == "invalid-state"


def test_wrong_secret_is_unauthorized(admin):
    data = register(admin)

    response = SeedClient(admin.client).post(
        "checkout/get",
        {
            "client_id": data["client_id"],
            "client_secret": data["client_secret"] + "x",
        },
    )

    assert response.status_code == 401


def test_another_orgs_platform_is_not_found(api, admin, other_org):
    data = register(admin)
    other_admin = SeedClient(api, **make_admin_headers(other_org))

    for route, body in [
        ("platform/get", {}),
        ("platform/rotate", {"expected_revision": 1}),
        ("platform/revoke", {"expected_revision": 1}),
    ]:
        response = other_admin.post(route, {"platform_guid": data["platform_guid"], **body})
        assert response.status_code == 404
        assert response.json()["error"]["error_code"] == "not-found"
    assert Platform.objects.get(guid=data["platform_guid"]).revision == 1


def test_malformed_platform_guid_is_invalid_input(admin):
    response = admin.post("platform/get", {"platform_guid": "not-a-uuid"})

    assert response.json()["error"]["details"]["fields"] == {"platform_guid": ["is not a valid id"]}


def test_register_and_rotate_are_audited_without_secrets(admin, org):
    data = register(admin)
    admin.post("platform/rotate", {"platform_guid": data["platform_guid"], "expected_revision": 1})

    entries = list(org.audit_entries.order_by("created_at"))
    assert [e.action for e in entries] == ["platform.register", "platform.rotate_secret"]
    assert all(e.actor.startswith("api_key:") for e in entries)
    assert data["client_secret"] not in str([(e.before, e.after) for e in entries])
