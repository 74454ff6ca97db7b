from pathlib import Path

from django.conf import settings
from django.db import transaction

from catalog.services import catalog_import
from orgconfig.models import ApiKey, Role
from orgconfig.services import api_key_create, api_key_revoke, org_get_or_create
from platforms.models import Platform
from platforms.services import platform_register, platform_reset_secret
from ucp.commands import OpsCommand

DEMO_CATALOG = Path(__file__).resolve().parents[3] / "catalog" / "demo_catalog"
DEMO_KEY_NAME = "demo owner key"
DEMO_PLATFORM_CAPTION = "Demo shopping agent"


HOWTO = """
Try it (the server starts next; these secrets are shown only now):

  curl -s {base}/ucp/stat

  curl -s {base}/.well-known/ucp

  curl -s -X POST {base}/ucp/checkout/create -H 'Content-Type: application/json' -d '{{
    "client_id": "{client_id}", "client_secret": "{client_secret}",
    "line_items": [{{"item": {{"id": "peony_bunch"}}, "quantity": 2}}],
    "buyer": {{"email": "ada@demo.invalid", "first_name": "Ada"}},
    "fulfillment": {{"methods": [{{"type": "shipping", "destinations": [{{
      "street_address": "12 Garden Row", "address_locality": "Portland",
      "address_region": "OR", "postal_code": "97201", "address_country": "US"}}],
      "groups": [{{"selected_option_id": "courier_local"}}]}}]}}}}'

  curl -s -X POST {base}/ucp/checkout/complete -H 'Content-Type: application/json' -d '{{
    "client_id": "{client_id}", "client_secret": "{client_secret}",
    "checkout_guid": "<checkout_guid from the create answer>"}}'

The same checkout over the standard UCP REST binding (checkout/rest/README.md):

  curl -s -X POST {base}/ucp/rest/{orgcode}/checkout-sessions -u '{client_id}:{client_secret}' \\
    -H 'Content-Type: application/json' -H 'UCP-Agent: version="2026-04-08"' \\
    -H "Idempotency-Key: $(python3 -c 'import uuid; print(uuid.uuid4())')" -d '{{
    "line_items": [{{"item": {{"id": "peony_bunch"}}, "quantity": 2}}],
    "buyer": {{"email": "ada@demo.invalid"}},
    "fulfillment": {{"methods": [{{"type": "shipping", "destinations": [{{
      "street_address": "12 Garden Row", "address_locality": "Portland",
      "address_region": "OR", "postal_code": "97201", "address_country": "US"}}],
      "groups": [{{"selected_option_id": "courier_local"}}]}}]}}}}'

  curl -s -X POST {base}/ucp/rest/{orgcode}/checkout-sessions/<id from the answer>/complete \\
    -u '{client_id}:{client_secret}' -H 'Content-Type: application/json' \\
    -H 'UCP-Agent: version="2026-04-08"' -d '{{"payment": {{"instruments": [{{"id": "card_1",
    "handler_id": "mock_payment_handler", "type": "card", "selected": true,
    "credential": {{"type": "token", "token": "success_token"}}}}]}}}}'

Org admin API:

  curl -s -X POST {base}/ucp/platform/list -H 'Content-Type: application/json' \\
    -H 'x-api-key: {api_key}' -H 'x-orgcode: {orgcode}' -d '{{}}'
"""


class Command(OpsCommand):
    help = (
        "Create or reuse the demo org with its catalog, an owner API key and one platform, and "
        "print their credentials. Secrets are stored hashed, so each run issues a fresh API key "
        "(revoking the previous demo key) and a fresh platform secret."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", default=settings.UCP_DEFAULT_ORGCODE)
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the examples send requests."
        )
        super().add_arguments(parser)

    @transaction.atomic
    def handle(self, *args, **options):
        org, _ = org_get_or_create(orgcode=options["org"], name="Demo Flower Shop")
        catalog_import(org=org, directory=DEMO_CATALOG)

        for old_key in ApiKey.objects.filter(org=org, name=DEMO_KEY_NAME, revoked_at__isnull=True):
            api_key_revoke(api_key=old_key)
        _, api_key = api_key_create(org=org, name=DEMO_KEY_NAME, role=Role.OWNER)

        platform = Platform.objects.filter(
            org=org, caption=DEMO_PLATFORM_CAPTION, revoked_at__isnull=True
        ).first()
        if platform is None:
            platform, client_secret = platform_register(org=org, caption=DEMO_PLATFORM_CAPTION)
        else:
            client_secret = platform_reset_secret(platform=platform)

        credentials = {
            "orgcode": org.orgcode,
            "api_key": api_key,
            "platform_guid": str(platform.guid),
            "client_id": platform.client_id,
            "client_secret": client_secret,
        }
        self.emit(options, credentials, "Demo org ready")
        if not options["json"]:
            self.stdout.write(HOWTO.format(base=options["base_url"].rstrip("/"), **credentials))
