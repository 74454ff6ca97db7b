"""Second adversarial pass on the console: crafted dashboard URLs, a user whose roles differ
between orgs, and POSTs to change views and actions of orgs the user may only read."""

import pytest
from django.urls import reverse

from orgconfig.models import ApiKey, AuditEntry, Membership, Role
from orgconfig.services import membership_set
from platforms.models import Platform
from platforms.services import platform_register
from tests.admin.conftest import console_user
from webhooks import services as webhook_services
from webhooks.models import WebhookConfig


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def run_action(client, model, action, objects):
    return client.post(
        changelist(model),
        {"action": action, "_selected_action": [o.pk for o in objects], "index": 0},
    )


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        client.raise_request_exception = False
        return client

    return sign_in


@pytest.fixture
def split_user(org, other_org):
    """ucp_admin of the flower shop, only a viewer of the other org."""
    user = console_user("janus", org, Role.UCP_ADMIN)
    membership_set(org=other_org, user=user, role=Role.VIEWER)
    return user


@pytest.mark.parametrize("orgcode", ["%00", "FLOW%00ERS", "x" * 500, "%F0%9F%92%A9"])
def test_crafted_dashboard_orgcodes_are_404(signed_in, split_user, orgcode):
    response = signed_in(split_user).get(f"/admin/dashboard/{orgcode}/")

    assert response.status_code == 404


def test_dashboard_of_a_deactivated_org_is_hidden_like_its_objects(signed_in, org, split_user):
    org.is_active = False
    org.save()
    client = signed_in(split_user)

    assert client.get(f"/admin/dashboard/{org.orgcode}/").status_code == 404
    assert org.orgcode not in client.get("/admin/dashboard/").content.decode()


def test_dashboard_of_an_org_the_user_does_not_belong_to_is_404(signed_in, org, db):
    from orgconfig.services import org_create

    third = org_create(orgcode="THIRD", name="Third")
    user = console_user("mallory", org, Role.OWNER)

    assert signed_in(user).get(f"/admin/dashboard/{third.orgcode}/").status_code == 404


def test_write_actions_on_an_org_where_the_user_only_reads_change_nothing(
    signed_in, split_user, other_org
):
    platform, _ = platform_register(org=other_org, caption="Rival agent")
    config = webhook_services.config_get_or_create(platform=platform)
    client = signed_in(split_user)

    rotated = run_action(client, Platform, "rotate_secret", [platform])
    run_action(client, Platform, "revoke_platforms", [platform])
    run_action(client, WebhookConfig, "resume", [config])

    platform.refresh_from_db()
    assert platform.revoked_at is None
    assert "secret" not in rotated.content.decode().lower() or rotated.status_code != 200
    assert not AuditEntry.objects.filter(org=other_org, actor=f"user:{split_user.pk}").exists()


def test_change_view_post_on_a_read_only_org_is_refused(signed_in, split_user, other_org):
    platform, _ = platform_register(org=other_org, caption="Rival agent")
    client = signed_in(split_user)

    response = client.post(change_url(platform), {"caption": "Hijacked"})

    assert response.status_code == 403
    platform.refresh_from_db()
    assert platform.caption == "Rival agent"


def test_a_ucp_admin_cannot_promote_themselves(signed_in, org, split_user):
    membership = Membership.objects.get(org=org, user=split_user)
    client = signed_in(split_user)

    response = client.post(
        change_url(membership), {"user": split_user.pk, "org": org.pk, "role": Role.OWNER}
    )

    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.UCP_ADMIN


def test_api_key_cannot_be_created_for_a_read_only_org(signed_in, split_user, other_org):
    client = signed_in(split_user)
    add = reverse("admin:orgconfig_apikey_add")

    response = client.post(add, {"org": other_org.pk, "name": "sneaky", "role": Role.OWNER})

    assert response.status_code in (200, 403)
    assert not ApiKey.objects.filter(org=other_org, name="sneaky").exists()
