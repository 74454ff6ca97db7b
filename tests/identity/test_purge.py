"""`manage.py purge_expired` and its daily schedule."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from identity import services
from identity.models import ConsumedCode, SignInCode
from identity.tasks import purge_expired

pytestmark = pytest.mark.django_db


def test_purge_removes_expired_codes_and_tokens_and_keeps_live_ones(identity, customer):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        old = identity.tokens("cust_1")
        identity.code("cust_2")  # never exchanged
        services.sign_in_code_send(org=identity.org, email=customer.email)
        identity.revoke(old["refresh_token"])

        clock.move_to(start + timedelta(days=40))
        fresh = identity.tokens("cust_3")
        out = StringIO()
        call_command("purge_expired", "--json", stdout=out)

    purged = json.loads(out.getvalue())
    assert purged["grants"] == 1
    assert purged["refresh_tokens"] == 1
    assert purged["sign_in_codes"] == 1
    assert purged["consumed_codes"] == 1
    assert Grant.objects.count() == 0
    assert list(SignInCode.objects.all()) == []
    assert AccessToken.objects.count() == 1
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1
    assert ConsumedCode.objects.count() == 1
    assert fresh["access_token"]


def test_purge_is_scheduled_daily_with_celery_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["identity-purge-expired"]
    assert entry["task"] == purge_expired.name
    assert entry["schedule"].remaining_estimate(timezone.now()) <= timedelta(days=1)
    assert purge_expired.apply().get() == {
        "grants": 0,
        "access_tokens": 0,
        "refresh_tokens": 0,
        "sign_in_codes": 0,
        "consumed_codes": 0,
    }
