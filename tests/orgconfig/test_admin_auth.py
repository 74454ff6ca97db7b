"""Admin authentication: API keys and console sessions, scoped to one org."""

from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from orgconfig.models import ApiKey, Role
from orgconfig.services import api_key_create, api_key_revoke, membership_set
from tests.conftest import SeedClient
from ucp.secrets import secret_digest


def test_api_key_is_stored_as_a_digest_only(org):
    api_key, plaintext = api_key_create(org=org, name="ci", role=Role.OWNER)

    stored = ApiKey.objects.get(pk=api_key.pk)
    assert stored.key_digest == secret_digest(plaintext)
    assert plaintext not in str(stored.__dict__.values())
    assert plaintext.startswith(stored.prefix)


def test_api_key_records_last_use(api, org):
    api_key, plaintext = api_key_create(org=org, name="ci", role=Role.OWNER)
    client = SeedClient(api, HTTP_X_API_KEY=plaintext, HTTP_X_ORGCODE=org.orgcode)

    assert client.post("platform/list").status_code == 200
    first_use = ApiKey.objects.get(pk=api_key.pk).last_used_at
    assert first_use is not None

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        client.post("platform/list")
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > first_use


def test_revoked_api_key_is_unauthorized(api, org):
    api_key, plaintext = api_key_create(org=org, name="ci", role=Role.OWNER)
    api_key_revoke(api_key=api_key)

    response = SeedClient(api, HTTP_X_API_KEY=plaintext, HTTP_X_ORGCODE=org.orgcode).post(
        "platform/list"
    )

    assert response.status_code == 401


def test_key_used_with_another_orgcode_is_not_found(api, org, other_org):
    _, plaintext = api_key_create(org=org, name="ci", role=Role.OWNER)

    for orgcode in (other_org.orgcode, "NOSUCHORG"):
        response = SeedClient(api, HTTP_X_API_KEY=plaintext, HTTP_X_ORGCODE=orgcode).post(
            "platform/list"
        )
        assert response.status_code == 404
        assert response.json()["error"]["error_code"] == "not-found"


def test_orgcode_is_required(api, org):
    _, plaintext = api_key_create(org=org, name="ci", role=Role.OWNER)

    response = SeedClient(api, HTTP_X_API_KEY=plaintext).post("platform/list")

    assert response.status_code == 401


def signed_in_session(user) -> str:
    browser = Client()
    browser.force_login(user)
    return browser.session.session_key


def test_console_session_acts_in_the_users_orgs_only(api, org, other_org):
    user = get_user_model().objects.create_user("florist", password="not-used-here")
    membership_set(org=org, user=user, role=Role.UCP_ADMIN)
    session_key = signed_in_session(user)

    own = SeedClient(api, HTTP_X_SESSION_GUID=session_key, HTTP_X_ORGCODE=org.orgcode)
    foreign = SeedClient(api, HTTP_X_SESSION_GUID=session_key, HTTP_X_ORGCODE=other_org.orgcode)

    assert own.post("platform/register", {"caption": "x"}).status_code == 201
    assert foreign.post("platform/list").status_code == 404


def test_viewer_session_reads_but_cannot_write(api, org):
    user = get_user_model().objects.create_user("viewer", password="not-used-here")
    membership_set(org=org, user=user, role=Role.VIEWER)
    client = SeedClient(
        api, HTTP_X_SESSION_GUID=signed_in_session(user), HTTP_X_ORGCODE=org.orgcode
    )

    assert client.post("platform/list").status_code == 200
    assert client.post("platform/register", {"caption": "x"}).status_code == 403


def test_unknown_or_ended_session_is_unauthorized(api, org):
    user = get_user_model().objects.create_user("gone", password="not-used-here")
    membership_set(org=org, user=user, role=Role.OWNER)
    session_key = signed_in_session(user)
    user.is_active = False
    user.save()

    for key in ("no-such-session", session_key):
        client = SeedClient(api, HTTP_X_SESSION_GUID=key, HTTP_X_ORGCODE=org.orgcode)
        assert client.post("platform/list").status_code == 401


def test_superuser_session_reaches_every_org(api, org, other_org):
    admin = get_user_model().objects.create_superuser("root", password="not-used-here")
    session_key = signed_in_session(admin)

    for target in (org, other_org):
        client = SeedClient(api, HTTP_X_SESSION_GUID=session_key, HTTP_X_ORGCODE=target.orgcode)
        assert client.post("platform/list").status_code == 200


def test_inactive_org_is_not_found(api, org):
    _, plaintext = api_key_create(org=org, name="ci", role=Role.OWNER)
    org.is_active = False
    org.save()

    response = SeedClient(api, HTTP_X_API_KEY=plaintext, HTTP_X_ORGCODE=org.orgcode).post(
        "platform/list"
    )

    assert response.status_code in (401, 404)
