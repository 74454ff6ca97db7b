"""The console's UCP config page: preview through the real service rolled back, save with the
revision the page was opened at, field errors on the page, viewers read only, orgs kept apart."""

import json

from django.urls import reverse

from orgconfig.models import AuditEntry, OrgSettings, UcpConfig
from orgconfig.selectors import ucp_config_view
from orgconfig.services import ucp_config_set
from tests.admin.test_console import change_url, changelist


def config_url(org) -> str:
    return reverse("ucp-config", args=[org.orgcode])


def stored(org) -> dict:
    """The config without its signing keys, which the first profile read creates."""
    view = ucp_config_view(org=org)
    view.pop("signing_keys")
    return view


def submit(client, org, changes, *, button="_preview", revision=None, profile="root"):
    if revision is None:
        revision = ucp_config_view(org=org)["revision"]
    return client.post(
        config_url(org),
        {
            "changes": changes if isinstance(changes, str) else json.dumps(changes),
            "expected_revision": revision,
            "profile_version": profile,
            button: "1",
        },
    )


def capability_names(document) -> set[str]:
    return set(document["ucp"]["capabilities"])


def test_page_shows_config_and_published_profile(console, org_admin, org):
    page = console(org_admin).get(config_url(org))

    assert page.status_code == 200
    html = page.content.decode()
    assert f"Current config (revision {ucp_config_view(org=org)['revision']})" in html
    assert "dev.ucp.shopping.checkout" in page.context["current_profile"]
    assert 'name="_save"' in html and 'name="_preview"' in html


def test_preview_shows_the_resulting_profile_and_saves_nothing(console, org_admin, org):
    before = stored(org)
    assert before["capabilities"]["discount"] is True
    audit_count = AuditEntry.objects.count()

    page = submit(
        console(org_admin),
        org,
        {"capabilities": {"discount": False}, "tax_rate_bps": 825},
    )

    assert page.status_code == 200, page.context["page_error"]
    preview = json.loads(page.context["preview_profile"])
    assert "dev.ucp.shopping.discount" not in capability_names(preview)
    assert "dev.ucp.shopping.discount" in capability_names(
        json.loads(page.context["current_profile"])
    )
    assert json.loads(page.context["preview_config"])["tax_rate_bps"] == 825
    assert '+  "tax_rate_bps": 825,' in page.context["preview_config_diff"]
    removed = [line for line in page.context["preview_diff"].splitlines() if line[:1] == "-"]
    assert any('"dev.ucp.shopping.discount"' in line for line in removed)
    assert not any('"kid"' in line for line in removed)
    assert "not saved" in page.content.decode()
    assert stored(org) == before
    assert OrgSettings.objects.get(org=org).tax_rate_bps == before["tax_rate_bps"]
    assert AuditEntry.objects.count() == audit_count


def test_preview_of_a_leaf_profile_in_the_other_release(console, org_admin, org):
    page = submit(console(org_admin), org, {"capabilities": {"order": False}}, profile="2026-01-11")

    assert page.status_code == 200
    preview = json.loads(page.context["preview_profile"])
    assert preview["ucp"]["version"] == "2026-01-11"
    names = {entry["name"] for entry in preview["ucp"]["capabilities"]}
    assert "dev.ucp.shopping.order" not in names and "dev.ucp.shopping.checkout" in names


def test_save_writes_the_config_and_the_audit_trail(console, org_owner, org):
    revision = ucp_config_view(org=org)["revision"]
    client = console(org_owner)

    answer = submit(
        client,
        org,
        {"tax_rate_bps": 825, "policy_links": {"terms_of_service": "https://shop.example/tos"}},
        button="_save",
    )

    assert answer.status_code == 302 and answer.url == config_url(org)
    after = ucp_config_view(org=org)
    assert after["revision"] == revision + 1
    assert after["tax_rate_bps"] == 825
    assert OrgSettings.objects.get(org=org).tax_rate_bps == 825
    assert after["policy_links"] == {"terms_of_service": "https://shop.example/tos"}
    entry = AuditEntry.objects.get(action="ucp_config.set")
    assert entry.actor == f"user:{org_owner.pk}" and entry.org == org
    assert (entry.before["tax_rate_bps"], entry.after["tax_rate_bps"]) == (0, 825)
    page = client.get(answer.url)
    assert f"now revision {revision + 1}" in page.content.decode()


def test_stale_revision_is_refused_with_a_clear_message(console, org_admin, org):
    opened_at = ucp_config_view(org=org)["revision"]
    ucp_config_set(
        org=org, actor="user:someone", expected_revision=opened_at, changes={"tax_rate_bps": 100}
    )

    page = submit(
        console(org_admin), org, {"tax_rate_bps": 900}, button="_save", revision=opened_at
    )

    assert page.status_code == 409
    html = page.content.decode()
    assert "Someone changed this config since you opened it" in html
    assert f"it is now revision {opened_at + 1}" in html
    assert ucp_config_view(org=org)["tax_rate_bps"] == 100
    assert AuditEntry.objects.filter(action="ucp_config.set").count() == 1


def test_invalid_fields_are_shown_and_nothing_is_saved(console, org_admin, org):
    before = stored(org)

    page = submit(
        console(org_admin),
        org,
        {"tax_rate_bps": 20_000, "policy_links": {"terms_of_service": "http://plain.example"}},
        button="_save",
    )

    assert page.status_code == 400
    assert page.context["page_error"].code == "invalid-input"
    fields = dict(page.context["page_error"].fields)
    assert set(fields) == {"tax_rate_bps", "policy_links.terms_of_service"}
    html = page.content.decode()
    assert "The change was refused; correct the fields below (invalid-input)." in html
    assert "<code>tax_rate_bps</code>: must be between 0 and 10000" in html
    assert "<code>policy_links.terms_of_service</code>: must be an absolute https URL" in html
    assert stored(org) == before


def test_text_that_is_not_a_json_object_is_a_form_error(console, org_admin, org):
    client = console(org_admin)

    broken = submit(client, org, '{"tax_rate_bps": ', button="_save")
    a_list = submit(client, org, "[1, 2]", button="_save")

    assert "Not valid JSON" in broken.content.decode()
    assert "Give a JSON object" in a_list.content.decode()
    assert UcpConfig.objects.get(org=org).revision == 1


def test_viewer_reads_but_cannot_preview_or_save(console, org_viewer, org):
    client = console(org_viewer)
    before = stored(org)

    page = client.get(config_url(org))
    save = submit(client, org, {"tax_rate_bps": 825}, button="_save")
    preview = submit(client, org, {"tax_rate_bps": 825})

    assert page.status_code == 200
    html = page.content.decode()
    assert "dev.ucp.shopping.checkout" in page.context["current_profile"]
    assert 'name="_save"' not in html and 'name="changes"' not in html
    assert (save.status_code, preview.status_code) == (403, 403)
    leaf = client.get(config_url(org), {"profile": "2026-01-11"})
    assert json.loads(leaf.context["current_profile"])["ucp"]["version"] == "2026-01-11"
    assert stored(org) == before
    assert not AuditEntry.objects.filter(action="ucp_config.set").exists()


def test_another_orgs_config_is_unreachable(console, org_admin, other_org):
    client = console(org_admin)

    assert client.get(config_url(other_org)).status_code == 404
    answer = submit(client, other_org, {"tax_rate_bps": 825}, button="_save")

    assert answer.status_code == 404
    assert ucp_config_view(org=other_org)["tax_rate_bps"] == 0


def test_org_settings_are_read_only_and_point_to_the_config_page(console, org_owner, org):
    settings = OrgSettings.objects.get(org=org)
    client = console(org_owner)

    page = client.get(change_url(settings))
    answer = client.post(change_url(settings), {"tax_rate_bps": 825})

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and config_url(org) in html
    assert answer.status_code == 403
    settings.refresh_from_db()
    assert settings.tax_rate_bps == 0
    listing = client.get(changelist(UcpConfig)).content.decode()
    assert config_url(org) in listing
