"""`manage.py seed_demo` leaves a demo org whose profile offers payment handlers."""

import base64
import json
import re
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


def test_the_printed_rest_example_creates_and_completes_a_checkout(db, client, settings):
    """The REST binding calls `seed_demo` prints run as printed (bodies, headers, credentials)."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    out = StringIO()
    call_command("seed_demo", "--org", "DEMOX", "--base-url", "http://127.0.0.1", stdout=out)
    printed = out.getvalue()
    create, complete = [block for block in printed.split("\n\n") if "/ucp/rest/" in block]

    def call(block, path):
        credentials = re.search(r"-u '([^']+)'", block).group(1)
        body = re.search(r"-d '(.*)'", block, re.S).group(1)
        return client.post(
            path,
            data=body,
            content_type="application/json",
            HTTP_HOST="127.0.0.1",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(credentials.encode()).decode(),
            HTTP_UCP_AGENT=re.search(r"UCP-Agent: ([^']+)'", block).group(1),
        )

    created = call(create, "/ucp/rest/DEMOX/checkout-sessions")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "ready_for_complete"

    completed = call(complete, f"/ucp/rest/DEMOX/checkout-sessions/{created.json()['id']}/complete")
    assert completed.status_code == 200, completed.content
    assert completed.json()["status"] == "completed"
