from django.db import transaction

from orgconfig.models import SigningKey
from ucp.commands import OpsCommand
from ucp.fields import reencrypt_rows
from webhooks.models import WebhookConfig


class Command(OpsCommand):
    help = (
        "Encrypt every stored secret (webhook signing secrets, org signing keys) again with the "
        "current SECRET_KEY. Run it after a key rotation, with the old key still in "
        "SECRET_KEY_FALLBACKS; afterwards the old key can be dropped."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        result = {
            "webhook_configs": reencrypt_rows(
                WebhookConfig, ["signing_secret", "previous_signing_secret"]
            ),
            "signing_keys": reencrypt_rows(SigningKey, ["private_key_pem"]),
        }
        self.emit(options, result, "Secrets encrypted again")
