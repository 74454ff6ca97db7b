"""`manage.py rotate_signing_key`: a new key signs, the old one stays published for 7 days."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from orgconfig.models import AuditEntry, SigningKey
from orgconfig.signing import signing_key_active, signing_keys_published


def rotate(orgcode: str) -> dict:
    out = StringIO()
    call_command("rotate_signing_key", "--org", orgcode, "--json", stdout=out)
    return json.loads(out.getvalue())


def published_kids(api) -> list[str]:
    profile = api.get("/ucp/.well-known/ucp", {"orgcode": "FLOWERS"}).json()["data"]
    return [key["kid"] for key in profile["signing_keys"]]


def test_rotation_keeps_the_old_key_published(api, org):
    old = signing_key_active(org=org)

    result = rotate(org.orgcode)

    new = signing_key_active(org=org)
    assert result["kid"] == new.kid != old.kid
    assert published_kids(api) == [new.kid, old.kid]
    old.refresh_from_db()
    assert old.retired_at is not None
    assert old.publish_until - old.retired_at >= timedelta(days=7)


def test_retired_key_leaves_the_profile_after_its_grace(api, org):
    old = signing_key_active(org=org)
    rotate(org.orgcode)

    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert old.kid in [key["kid"] for key in signing_keys_published(org=org)]
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        kids = [key["kid"] for key in signing_keys_published(org=org)]
        assert old.kid not in kids and len(kids) == 1


def test_rotation_is_audited_and_prints_no_key_material(org):
    signing_key_active(org=org)

    out = StringIO()
    call_command("rotate_signing_key", "--org", org.orgcode, stdout=out)

    entry = AuditEntry.objects.get(org=org, action="signing_key.rotate")
    assert entry.actor == "command:rotate_signing_key"
    for key in SigningKey.objects.filter(org=org):
        assert key.private_key_pem not in out.getvalue()
        assert key.private_key_pem not in json.dumps(entry.after)
    assert "PRIVATE KEY" not in out.getvalue()


def test_rotation_of_unknown_org_fails_clearly(db):
    with pytest.raises(CommandError, match="NOPE"):
        rotate("NOPE")


def test_rotation_never_logs_private_keys(org, caplog):
    signing_key_active(org=org)

    with caplog.at_level("DEBUG"):
        rotate(org.orgcode)

    assert "PRIVATE KEY" not in caplog.text
    assert caplog.records, "the rotation should be logged"
