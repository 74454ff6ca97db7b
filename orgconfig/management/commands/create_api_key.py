from orgconfig.models import Role
from orgconfig.services import api_key_create
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = "Create an API key (service account) for an org. The key is printed once only."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The orgcode.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="service account", help="What the key is for.")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        org = self.org_or_fail(options["org"])
        api_key, plaintext = api_key_create(org=org, name=options["name"], role=options["role"])
        self.emit(
            options,
            {
                "orgcode": org.orgcode,
                "api_key_guid": str(api_key.guid),
                "role": api_key.role,
                "api_key": plaintext,
            },
            "API key created (store it now: it is not shown again)",
        )
