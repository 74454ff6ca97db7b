"""Ops commands: each creates what it says and prints it, as one JSON object with --json."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from orgconfig.models import ApiKey, Org
from platforms.models import Platform
from tests.conftest import SeedClient


def run(*args, **options) -> dict:
    out = StringIO()
    call_command(*args, json=True, stdout=out, **options)
    return json.loads(out.getvalue())


def test_create_org_key_and_platform_one_at_a_time(db):
    org = run("create_org", "ACME", name="Acme Flowers")
    key = run("create_api_key", org="ACME", role="ucp_admin")
    platform = run("register_platform", org="ACME", caption="Agent")

    assert org == {"orgcode": "ACME", "name": "Acme Flowers"}
    assert ApiKey.objects.get(guid=key["api_key_guid"]).role == "ucp_admin"
    assert Platform.objects.get(guid=platform["platform_guid"]).org.orgcode == "ACME"
    listing = SeedClient(APIClient(), HTTP_X_API_KEY=key["api_key"], HTTP_X_ORGCODE="ACME").post(
        "platform/list"
    )
    assert [p["client_id"] for p in listing.json()["data"]["items"]] == [platform["client_id"]]


def test_create_org_rejects_a_bad_code(db):
    with pytest.raises(CommandError):
        call_command("create_org", "lower case", name="x", stdout=StringIO())


def test_human_output_names_what_was_created(db):
    out = StringIO()
    call_command("create_org", "HUMAN", name="Readable", stdout=out)

    assert "Org created" in out.getvalue()
    assert "HUMAN" in out.getvalue()


def test_seed_demo_is_rerunnable_and_its_credentials_work(db):
    first = run("seed_demo")
    second = run("seed_demo")

    assert Org.objects.filter(orgcode="DEMO").count() == 1
    assert Platform.objects.filter(org__orgcode="DEMO").count() == 1
    assert first["platform_guid"] == second["platform_guid"]
    client = APIClient()
    created = SeedClient(client).post(
        "checkout/create",
        {
            "client_id": second["client_id"],
            "client_secret": second["client_secret"],
            "line_items": [{"item": {"id": "peony_bunch"}, "quantity": 1}],
        },
    )
    assert created.status_code == 201
    stale = SeedClient(client, HTTP_X_API_KEY=first["api_key"], HTTP_X_ORGCODE="DEMO")
    fresh = SeedClient(client, HTTP_X_API_KEY=second["api_key"], HTTP_X_ORGCODE="DEMO")
    assert stale.post("platform/list").status_code == 401
    assert fresh.post("platform/list").status_code == 200
