"""`manage.py check_deploy` gates a deploy on settings, database, broker, cache and keys."""

import json

import pytest
from django.core.management import call_command

from orgconfig.models import SigningKey
from orgconfig.signing import new_signing_key, signing_key_active

GOOD_KEY = "k" * 64


def run(capsys) -> tuple[int, dict]:
    code = 0
    try:
        call_command("check_deploy", "--json")
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(capsys.readouterr().out)


def checks_of(report) -> dict:
    return {c["name"]: c for c in report["checks"]}


def test_passes_with_production_settings(settings, capsys, org):
    settings.SECRET_KEY = GOOD_KEY
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["shop.example"]
    signing_key_active(org=org)

    code, report = run(capsys)

    assert code == 0, report
    assert report["ok"] is True
    assert checks_of(report)["signing_keys"]["detail"].startswith("1 active key(s)")


@pytest.mark.parametrize(
    "overrides, failing",
    [
        ({"SECRET_KEY": None}, "secret_key"),
        ({"SECRET_KEY": "short"}, "secret_key"),
        ({"DEBUG": True}, "debug"),
        ({"ALLOWED_HOSTS": ["*"]}, "allowed_hosts"),
        ({"CELERY_TASK_ALWAYS_EAGER": True}, "broker"),
    ],
)
def test_fails_on_unsafe_settings(settings, capsys, db, overrides, failing):
    settings.SECRET_KEY, settings.DEBUG, settings.ALLOWED_HOSTS = GOOD_KEY, False, ["a.example"]
    for name, value in overrides.items():
        setattr(settings, name, settings.DEV_SECRET_KEY if value is None else value)

    code, report = run(capsys)

    assert code == 1
    assert report["ok"] is False
    assert [c["name"] for c in report["checks"] if not c["ok"]] == [failing]


def test_fails_on_a_broken_signing_key(settings, capsys, org):
    settings.SECRET_KEY = GOOD_KEY
    key = new_signing_key(org)
    other = new_signing_key(org)
    SigningKey.objects.filter(pk=key.pk).update(public_jwk=other.public_jwk)

    code, report = run(capsys)

    assert code == 1
    assert "does not match" in checks_of(report)["signing_keys"]["detail"]


def test_fails_when_the_broker_is_unreachable(settings, capsys, db, monkeypatch):
    settings.SECRET_KEY = GOOD_KEY
    monkeypatch.setattr("orgconfig.management.commands.check_deploy.broker_status", lambda: "error")

    code, report = run(capsys)

    assert code == 1
    assert checks_of(report)["broker"]["ok"] is False
