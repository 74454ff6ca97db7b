"""Secrets the service signs with (webhook HMAC secrets, org ES256 keys) are encrypted at rest,
read back transparently, survive a SECRET_KEY rotation with fallbacks, and fail loudly when
they cannot be decrypted."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from orgconfig.models import SigningKey
from orgconfig.signing import signing_key_active
from platforms.services import platform_register
from ucp.fields import SecretUnreadable, reencrypt_rows
from webhooks.models import WebhookConfig
from webhooks.services import config_get_or_create, config_set

OLD_KEY = "an-old-secret-key-that-is-long-enough-for-the-deploy-check-0123456789"
NEW_KEY = "a-new-secret-key-that-is-long-enough-for-the-deploy-check-9876543210"


def stored(model, pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{model._meta.db_table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


@pytest.fixture
def webhook_config(org, settings):
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = True
    platform, _ = platform_register(org=org, caption="Agent", callback_url="")
    config = config_get_or_create(platform=platform)
    config, secret = config_set(
        config=config,
        expected_revision=config.revision,
        actor="test",
        callback_url="https://127.0.0.1/hooks",
    )
    return config, secret


def test_the_database_holds_only_ciphertext(org, webhook_config):
    config, secret = webhook_config
    key = signing_key_active(org=org)

    raw_secret = stored(WebhookConfig, config.pk, "signing_secret")
    raw_key = stored(SigningKey, key.pk, "private_key_pem")

    assert secret.startswith("whsec_") and secret not in raw_secret
    assert raw_secret.startswith("gAAAAA") and raw_key.startswith("gAAAAA")
    assert "PRIVATE KEY" not in raw_key
    assert WebhookConfig.objects.get(pk=config.pk).signing_secret == secret
    assert "PRIVATE KEY" in SigningKey.objects.get(pk=key.pk).private_key_pem


def test_no_secret_stays_the_empty_string(org):
    platform, _ = platform_register(org=org, caption="Agent", callback_url="")
    config = config_get_or_create(platform=platform)

    assert stored(WebhookConfig, config.pk, "signing_secret") == ""
    assert WebhookConfig.objects.get(pk=config.pk).previous_signing_secret == ""


def test_a_key_rotation_with_fallbacks_then_reencrypt(org, webhook_config, settings):
    settings.SECRET_KEY = OLD_KEY
    config, _ = webhook_config
    config, secret = config_set(
        config=config, expected_revision=config.revision, actor="test", rotate_secret=True
    )
    under_old_key = stored(WebhookConfig, config.pk, "signing_secret")

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert WebhookConfig.objects.get(pk=config.pk).signing_secret == secret
    call_command("reencrypt_secrets", "--json")
    assert stored(WebhookConfig, config.pk, "signing_secret") != under_old_key

    settings.SECRET_KEY_FALLBACKS = []
    assert WebhookConfig.objects.get(pk=config.pk).signing_secret == secret


def test_a_secret_that_does_not_decrypt_is_an_error_not_a_wrong_signature(
    org, webhook_config, settings
):
    config, _ = webhook_config

    settings.SECRET_KEY = NEW_KEY  # rotated without the old key in SECRET_KEY_FALLBACKS

    with pytest.raises(SecretUnreadable, match="SECRET_KEY_FALLBACKS"):
        WebhookConfig.objects.get(pk=config.pk)


def test_rows_stored_before_encryption_are_encrypted_by_the_migration_step(org):
    key = signing_key_active(org=org)
    pem = key.private_key_pem
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE "orgconfig_signingkey" SET private_key_pem = %s WHERE id = %s', [pem, key.pk]
        )
    assert SigningKey.objects.get(pk=key.pk).private_key_pem == pem  # plain text still reads

    assert reencrypt_rows(SigningKey, ["private_key_pem"]) >= 1

    assert stored(SigningKey, key.pk, "private_key_pem").startswith("gAAAAA")
    assert SigningKey.objects.get(pk=key.pk).private_key_pem == pem


def test_a_secret_that_does_not_decrypt_leaves_the_profile_and_the_console_up(
    org, webhook_config, settings, client
):
    """Only what signs needs the secret: the org's public profile and the admin pages listing
    webhook configs and signing keys were a 500 for as long as a secret did not decrypt."""
    config, _ = webhook_config
    key = signing_key_active(org=org)
    staff = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-12345678")
    settings.SECRET_KEY = NEW_KEY  # rotated without the old key in SECRET_KEY_FALLBACKS
    client.force_login(staff)  # the session is signed with SECRET_KEY too

    profile = client.get(f"/ucp/.well-known/ucp?orgcode={org.orgcode}")
    pages = [
        "/admin/webhooks/webhookconfig/",
        f"/admin/webhooks/webhookconfig/{config.pk}/change/",
        "/admin/orgconfig/signingkey/",
        f"/admin/orgconfig/signingkey/{key.pk}/change/",
    ]

    assert profile.status_code == 200, profile.content
    assert key.kid in profile.content.decode()
    for page in pages:
        assert client.get(page).status_code == 200, page
    resumed = client.post(
        "/admin/webhooks/webhookconfig/",
        {"action": "resume", "_selected_action": [config.pk]},
        follow=True,
    )
    assert resumed.status_code == 200
    with pytest.raises(SecretUnreadable):  # what signs still fails loudly
        WebhookConfig.objects.get(pk=config.pk)
