from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from orgconfig.services import org_create
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = "Create an org (a retailer organization) with its default settings."

    def add_arguments(self, parser):
        parser.add_argument("orgcode", help="Short upper-case code, e.g. ACME.")
        parser.add_argument("--name", required=True, help="The org's display name.")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        try:
            org = org_create(orgcode=options["orgcode"], name=options["name"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.emit(options, {"orgcode": org.orgcode, "name": org.name}, "Org created")
