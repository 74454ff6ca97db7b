"""Orgs configured before the catalog capability existed offer it, as new orgs do: their stored
capabilities lack the key, which would otherwise read as off."""

from django.db import migrations


def catalog_on_where_unset(apps, schema_editor):
    UcpConfig = apps.get_model("orgconfig", "UcpConfig")
    for config in UcpConfig.objects.all().iterator():
        if "catalog" not in config.capabilities:
            config.capabilities = {**config.capabilities, "catalog": True}
            config.save(update_fields=["capabilities"])


def catalog_key_removed(apps, schema_editor):
    UcpConfig = apps.get_model("orgconfig", "UcpConfig")
    for config in UcpConfig.objects.all().iterator():
        if "catalog" in config.capabilities:
            config.capabilities = {k: v for k, v in config.capabilities.items() if k != "catalog"}
            config.save(update_fields=["capabilities"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgconfig", "0007_encrypt_secrets_at_rest"),
    ]

    operations = [
        migrations.RunPython(catalog_on_where_unset, catalog_key_removed),
    ]
