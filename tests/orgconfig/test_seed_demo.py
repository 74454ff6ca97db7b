"""`manage.py seed_demo` leaves a demo org whose profile offers payment handlers."""

import json
from io import StringIO

from django.core.management import call_command

from orgconfig.models import Org
from orgconfig.selectors import ucp_config_view


def seed(orgcode: str) -> dict:
    out = StringIO()
    call_command("seed_demo", "--org", orgcode, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_demo_org_offers_handlers_once(db):
    seed("DEMOX")
    org = Org.objects.get(orgcode="DEMOX")
    config = ucp_config_view(org=org)
    assert [h["id"] for h in config["payment_handlers"]] == ["mock_payment_handler", "none"]

    seed("DEMOX")

    assert ucp_config_view(org=org)["revision"] == config["revision"]
