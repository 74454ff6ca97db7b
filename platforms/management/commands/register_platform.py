from platforms.services import platform_register
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = "Register a platform with an org. The client secret is printed once only."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The orgcode.")
        parser.add_argument("--caption", required=True, help="The platform's name.")
        parser.add_argument("--callback-url", default="", help="Where order webhooks go.")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        org = self.org_or_fail(options["org"])
        platform, client_secret = platform_register(
            org=org, caption=options["caption"], callback_url=options["callback_url"]
        )
        self.emit(
            options,
            {
                "orgcode": org.orgcode,
                "platform_guid": str(platform.guid),
                "client_id": platform.client_id,
                "client_secret": client_secret,
            },
            "Platform registered (store the secret now: it is not shown again)",
        )
