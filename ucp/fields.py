"""Model fields shared by the apps.

`EncryptedSecretField` keeps a secret the service must use itself (a webhook HMAC secret, an
ES256 private key) encrypted at rest, so a copy of the database (a backup, a replica, a support
dump) does not hand over the power to sign as an org. django-fernet-encrypted-fields does the
work: Fernet with a key derived from SECRET_KEY and SALT_KEY (ucp/settings.py). Rotating
SECRET_KEY needs the old one in SECRET_KEY_FALLBACKS until every such row has been saved again
(`manage.py reencrypt_secrets`); without it those secrets cannot be read.
"""

import weakref

from cryptography.fernet import InvalidToken
from django.core.signals import setting_changed
from django.db import migrations
from django.dispatch import receiver
from encrypted_fields.fields import EncryptedTextField

# Every Fernet token starts with its version byte 0x80, "gAAAAA" in URL-safe base64. The values
# stored before encryption ("whsec_…" secrets, "-----BEGIN" keys) never do.
FERNET_TOKEN_PREFIX = "gAAAAA"


class SecretUnreadable(RuntimeError):
    """A stored secret does not decrypt with SECRET_KEY or SECRET_KEY_FALLBACKS."""


class EncryptedSecretField(EncryptedTextField):
    """Encrypted text. Two departures from the library's field, both so that a mistake is seen:

    - the empty value stays the empty string (the library would store NULL), so "no secret yet"
      keeps meaning `""` in code and in queries;
    - a token that does not decrypt raises SecretUnreadable; the library would hand back the
      token itself, and an HMAC keyed with it would sign every webhook wrongly and quietly.
    A value stored before encryption (not a token) reads as it is until it is saved again."""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        _FIELDS.add(self)

    def get_prep_value(self, value):
        if value == "":
            return ""
        return super().get_prep_value(value)

    def to_python(self, value):
        if not isinstance(value, str) or not value.startswith(FERNET_TOKEN_PREFIX):
            return value
        try:
            return self.f.decrypt(value.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                f"{self.model.__name__}.{self.name} does not decrypt: SECRET_KEY changed without "
                "the old key in SECRET_KEY_FALLBACKS."
            ) from None


# Every EncryptedSecretField, so that the keys each derives once per process can be derived again
# (weakly: the models migrations build for a moment come and go).
_FIELDS: "weakref.WeakSet[EncryptedSecretField]" = weakref.WeakSet()


@receiver(setting_changed)
def forget_derived_keys(*, setting, **kwargs):
    """The library derives a field's keys once (100,000 PBKDF2 rounds) and keeps them; when
    SECRET_KEY, its fallbacks or the salt change at run time (tests do), derive them again."""
    if setting in {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "SALT_KEY"}:
        for field in _FIELDS:
            field.__dict__.pop("keys", None)
            field.__dict__.pop("f", None)


def reencrypt_rows(model, field_names: list[str]) -> int:
    """Saves the fields of every row again, encrypted with the current key: rows stored before
    encryption, or under a key now in SECRET_KEY_FALLBACKS. Returns how many rows."""
    rows = 0
    for row in model.objects.only("pk", *field_names).iterator():
        model.objects.filter(pk=row.pk).update(**{name: getattr(row, name) for name in field_names})
        rows += 1
    return rows


def store_rows_in_clear(model, field_names: list[str], connection) -> None:
    """The reverse of reencrypt_rows, for migrating back: the decrypted values are written as
    plain text (bypassing the field, which would encrypt them again)."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(model._meta.get_field(n).column)} = %s" for n in field_names)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    with connection.cursor() as cursor:
        for row in model.objects.only("pk", *field_names).iterator():
            cursor.execute(sql, [*(getattr(row, name) for name in field_names), row.pk])


def encrypted_field_names(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedSecretField)]


def encrypt_existing_rows(app_label: str, model_name: str) -> migrations.RunPython:
    """The migration step after fields become EncryptedSecretField: rows written before are
    encrypted, and migrating back writes them in clear again."""

    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        reencrypt_rows(model, encrypted_field_names(model))

    def backward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        store_rows_in_clear(model, encrypted_field_names(model), schema_editor.connection)

    return migrations.RunPython(forward, backward)
