from django.apps import apps
from django.db import transaction

from ucp.commands import OpsCommand
from ucp.fields import encrypted_field_names, reencrypt_rows


class Command(OpsCommand):
    help = (
        "Encrypt every stored secret (webhook signing secrets, org signing keys: every "
        "EncryptedSecretField) again with the current SECRET_KEY. Run it after a key rotation, "
        "with the old key still in SECRET_KEY_FALLBACKS; afterwards the old key can be dropped."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        result = {}
        for model in apps.get_models():
            names = encrypted_field_names(model)
            if names:
                result[model._meta.label] = reencrypt_rows(model, names)
        self.emit(options, result, "Secrets encrypted again")
