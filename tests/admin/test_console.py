"""The console is scoped to the user's orgs and roles, its actions run the API's services, and
every change lands in the audit trail without secrets."""

import pytest
from django.urls import reverse

from checkout.models import CheckoutStatus
from checkout.pricing import RequestedLine
from checkout.services import checkout_create
from orgconfig.models import ApiKey, AuditEntry, Role
from orgconfig.services import api_key_authenticate
from orgconfig.signing import signing_key_active
from platforms.models import Platform
from platforms.services import platform_register, platform_secret_matches
from tests.admin.conftest import console_user


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def run_action(client, model, action, objects):
    return client.post(
        changelist(model),
        {"action": action, "_selected_action": [o.pk for o in objects], "index": 0},
    )


# Scope: what a user sees


def test_member_sees_only_their_orgs_platforms(
    console, org_admin, platform_credentials, other_platform
):
    client = console(org_admin)

    page = client.get(changelist(Platform))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Test agent" in html
    assert "Rival agent" not in html
    assert other_platform.client_id not in html
    # The org filter names the user's orgs only, never another org's.
    assert "Another Shop" not in html and "OTHER" not in html


def test_other_orgs_object_cannot_be_opened(console, org_admin, other_platform):
    client = console(org_admin)

    page = client.get(change_url(other_platform))

    assert page.status_code == 302  # the admin's "does not exist" redirect, nothing shown
    assert page.url == reverse("admin:index")


def test_superuser_sees_every_org(console, superuser, platform_credentials, other_platform):
    html = console(superuser).get(changelist(Platform)).content.decode()

    assert "Test agent" in html and "Rival agent" in html


def test_user_without_membership_sees_no_org_models(console, org, platform_credentials):
    stranger = console_user("stranger")

    page = console(stranger).get(changelist(Platform))

    assert page.status_code == 403


def test_foreign_key_choices_offer_only_writable_orgs(console, org_admin, other_org):
    html = console(org_admin).get(reverse("admin:catalog_product_add")).content.decode()

    assert "FLOWERS" in html
    assert "OTHER" not in html


def test_viewer_reads_but_cannot_change(console, org_viewer, flower_shop):
    from catalog.models import Product

    client = console(org_viewer)
    product = Product.objects.get(org=flower_shop, public_id="bouquet_roses")

    page = client.get(change_url(product))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()

    assert client.get(reverse("admin:catalog_product_add")).status_code == 403
    refused = client.post(change_url(product), {"title": "Hacked", "price": 1})
    assert refused.status_code == 403
    product.refresh_from_db()
    assert product.title != "Hacked"

    # Write actions are not even offered to a viewer.
    listing = client.get(changelist(Platform)).content.decode()
    assert "rotate_secret" not in listing


def test_ucp_admin_cannot_manage_memberships(console, org_admin, org_owner):
    client = console(org_admin)

    assert client.get(reverse("admin:orgconfig_membership_add")).status_code == 403
    assert console(org_owner).get(reverse("admin:orgconfig_membership_add")).status_code == 200


# Secrets are never displayed


def test_pages_never_show_secrets_or_hashes(console, org_admin, org, platform_credentials):
    client = console(org_admin)
    platform = platform_credentials["platform"]
    key = signing_key_active(org=org)
    api_key = ApiKey.objects.filter(org=org).first() or ApiKey.objects.create(
        org=org, name="k", role=Role.OWNER, prefix="ucp_sk_abc", key_digest="d" * 64
    )

    pages = [
        client.get(change_url(platform)),
        client.get(changelist(Platform)),
        client.get(change_url(key)),
        client.get(change_url(api_key)),
    ]

    text = "".join(page.content.decode() for page in pages)
    assert all(page.status_code == 200 for page in pages)
    assert platform.application.client_secret not in text
    assert platform_credentials["client_secret"] not in text
    assert "PRIVATE KEY" not in text
    assert api_key.key_digest not in text


# Actions run the services


def test_rotate_secret_shows_the_new_secret_once(console, org_admin, platform_credentials):
    client = console(org_admin)
    platform = platform_credentials["platform"]

    answer = run_action(client, Platform, "rotate_secret", [platform])

    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    new_secret = answer.context["secrets"]["client_secret"]
    assert new_secret in answer.content.decode()
    platform.refresh_from_db()
    assert platform.revision == 2
    assert platform_secret_matches(platform=platform, client_secret=new_secret)
    # The old secret keeps working during the grace period, as with the API.
    assert platform_secret_matches(
        platform=platform, client_secret=platform_credentials["client_secret"]
    )
    # Never again: the record's own page does not show it.
    assert new_secret not in client.get(change_url(platform)).content.decode()

    entry = AuditEntry.objects.get(action="platform.rotate_secret")
    assert entry.actor == f"user:{org_admin.pk}"
    assert entry.org == platform.org
    assert new_secret not in str(entry.after)


def test_register_platform_from_the_console(console, org_admin, org):
    client = console(org_admin)

    answer = client.post(
        reverse("admin:platforms_platform_add"),
        {
            "org": org.pk,
            "caption": "Console agent",
            "scopes": "checkout orders",
            "callback_url": "https://agent.example/hooks",
        },
    )

    assert answer.status_code == 200
    platform = Platform.objects.get(caption="Console agent")
    assert platform.scopes == ["checkout", "orders"]
    secret = answer.context["secrets"]["client_secret"]
    assert platform_secret_matches(platform=platform, client_secret=secret)
    assert AuditEntry.objects.filter(
        action="platform.register", actor=f"user:{org_admin.pk}", target_id=str(platform.guid)
    ).exists()


def test_register_platform_refuses_another_org(console, org_admin, other_org):
    answer = console(org_admin).post(
        reverse("admin:platforms_platform_add"), {"org": other_org.pk, "caption": "Sneaky"}
    )

    assert answer.status_code == 200  # the form again, with the error
    assert "org" in answer.context["form"].errors
    assert not Platform.objects.filter(caption="Sneaky").exists()


def test_revoke_platform_action(console, org_admin, platform_credentials, other_platform):
    client = console(org_admin)
    platform = platform_credentials["platform"]

    # The other org's platform is outside the user's queryset, so selecting it does nothing.
    run_action(client, Platform, "revoke_platforms", [platform, other_platform])

    platform.refresh_from_db()
    other_platform.refresh_from_db()
    assert platform.revoked_at is not None
    assert other_platform.revoked_at is None
    assert not platform_secret_matches(
        platform=platform, client_secret=platform_credentials["client_secret"]
    )
    assert AuditEntry.objects.filter(action="platform.revoke").count() == 1


def test_create_and_revoke_api_key(console, org_admin, org):
    client = console(org_admin)

    answer = client.post(
        reverse("admin:orgconfig_apikey_add"),
        {"org": org.pk, "name": "Shop robot", "role": Role.VIEWER},
    )

    plaintext = answer.context["secrets"]["API key"]
    api_key = ApiKey.objects.get(name="Shop robot")
    assert api_key_authenticate(plaintext=plaintext) == api_key
    assert api_key.created_by == org_admin
    assert plaintext not in client.get(change_url(api_key)).content.decode()

    run_action(client, ApiKey, "revoke_keys", [api_key])

    assert api_key_authenticate(plaintext=plaintext) is None
    actions = set(
        AuditEntry.objects.filter(target_id=str(api_key.guid)).values_list("action", flat=True)
    )
    assert actions == {"api_key.create", "api_key.revoke"}


def test_cancel_checkout_action(console, org_admin, flower_shop, platform_credentials):
    session = checkout_create(
        platform=platform_credentials["platform"],
        lines=[RequestedLine(item_id="bouquet_roses", quantity=1, line_id=None)],
        buyer={},
    )
    client = console(org_admin)

    run_action(client, session.__class__, "cancel_sessions", [session])

    session.refresh_from_db()
    assert session.status == CheckoutStatus.CANCELED
    entry = AuditEntry.objects.get(action="checkout.cancel")
    assert entry.before == {"status": "incomplete"} or entry.before["status"] != "canceled"
    assert entry.after == {"status": "canceled"}

    # A second cancel is refused by the service (invalid-state), shown as a message.
    answer = run_action(client, session.__class__, "cancel_sessions", [session])
    assert answer.status_code == 302
    assert AuditEntry.objects.filter(action="checkout.cancel").count() == 1


def test_rotate_signing_key_action(console, org_admin, org):
    key = signing_key_active(org=org)

    run_action(console(org_admin), key.__class__, "rotate_keys", [key])

    key.refresh_from_db()
    assert key.retired_at is not None
    assert AuditEntry.objects.filter(action="signing_key.rotate", org=org).exists()


# The audit trail


def test_form_change_is_audited_with_before_and_after(console, org_admin, flower_shop):
    from catalog.models import Discount

    discount = Discount.objects.filter(org=flower_shop).first()
    client = console(org_admin)
    form = client.get(change_url(discount)).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["description"] = "Spring sale"

    answer = client.post(change_url(discount), data)

    assert answer.status_code == 302, answer.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="discount.change")
    assert entry.actor == f"user:{org_admin.pk}"
    assert entry.org == flower_shop
    assert entry.after == {"description": "Spring sale"}
    assert entry.before == {"description": discount.description}


def test_audit_trail_is_read_only_and_scoped(console, org_admin, org, other_org):
    from orgconfig.audit import audit_record

    mine = audit_record(org=org, actor="user:1", action="x.y", target_type="x", target_id="1")
    theirs = audit_record(
        org=other_org, actor="user:2", action="secret.stuff", target_type="x", target_id="2"
    )
    client = console(org_admin)

    listing = client.get(changelist(AuditEntry)).content.decode()
    assert "x.y" in listing and "secret.stuff" not in listing
    detail = client.get(change_url(mine))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.get(change_url(theirs)).status_code == 302
    assert (
        client.post(reverse("admin:orgconfig_auditentry_delete", args=[mine.pk])).status_code == 403
    )


@pytest.mark.parametrize("role", [Role.OWNER, Role.UCP_ADMIN, Role.VIEWER])
def test_every_model_page_opens_for_every_role(
    console, org, role, flower_shop, platform_credentials
):
    from django.contrib import admin

    user = console_user(f"user-{role}", org, role)
    client = console(user)

    for model in admin.site._registry:
        if model._meta.app_label not in {"orgconfig", "catalog", "platforms", "checkout", "orders"}:
            continue
        assert client.get(changelist(model)).status_code == 200, model


def test_platform_register_via_api_and_console_share_the_service(org):
    """Guard: the console's register form calls platforms.services.platform_register."""
    import platforms.admin as platforms_admin

    assert platforms_admin.platform_register is platform_register


def test_inline_stock_change_is_audited(console, org_admin, flower_shop):
    from catalog.models import Product

    product = Product.objects.select_related("inventory").get(
        org=flower_shop, public_id="bouquet_roses"
    )
    client = console(org_admin)
    page = client.get(change_url(product))
    data = {}
    for form in [page.context["adminform"].form, *page.context["inline_admin_formsets"]]:
        formset = getattr(form, "formset", None)
        if formset is None:
            data.update({n: form[n].value() for n in form.fields})
            continue
        management = formset.management_form
        data.update({f"{formset.prefix}-{n}": management[n].value() for n in management.fields})
        for inline_form in formset.forms:
            data.update(
                {inline_form.add_prefix(n): inline_form[n].value() for n in inline_form.fields}
            )
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["inventory-0-quantity"] = 7

    answer = client.post(change_url(product), data)

    assert answer.status_code == 302
    product.inventory.refresh_from_db()
    assert product.inventory.quantity == 7
    entry = AuditEntry.objects.get(action="inventorylevel.change")
    assert entry.org == flower_shop
    assert entry.after == {"quantity": 7}


def test_only_owners_rename_their_org_and_nobody_changes_its_code(
    console, org_owner, org_admin, org
):
    url = change_url(org)

    assert 'name="_save"' not in console(org_admin).get(url).content.decode()
    answer = console(org_owner).post(url, {"name": "Flower Shop Ltd"})

    assert answer.status_code == 302
    org.refresh_from_db()
    assert (org.orgcode, org.name) == ("FLOWERS", "Flower Shop Ltd")
    entry = AuditEntry.objects.get(action="org.change")
    assert entry.after == {"name": "Flower Shop Ltd"}
