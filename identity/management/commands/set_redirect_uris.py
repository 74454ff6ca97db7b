from django.core.management.base import CommandError

from identity.services import platform_set_redirect_uris
from platforms.selectors import platform_get
from ucp import errors
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = (
        "Register the redirect URIs a platform may use in the browser authorization flow "
        "(exact match; replaces the previous list)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--platform", required=True, help="platform_guid")
        parser.add_argument("redirect_uris", nargs="+")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        org = self.org_or_fail(options["org"])
        try:
            platform = platform_get(org=org, platform_guid=options["platform"])
            uris = platform_set_redirect_uris(
                platform=platform, redirect_uris=options["redirect_uris"], actor="ops"
            )
        except errors.ServiceError as error:
            raise CommandError(error.message) from None
        self.emit(
            options,
            {"platform_guid": str(platform.guid), "redirect_uris": uris},
            "Redirect URIs set",
        )
