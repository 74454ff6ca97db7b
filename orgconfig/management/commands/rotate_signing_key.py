from orgconfig.services import signing_key_rotate_audited
from orgconfig.signing import RETIRED_KEY_PUBLICATION
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = (
        "Give an org a new ES256 signing key. The previous key stops signing at once and stays "
        f"published in the org's UCP profile for {RETIRED_KEY_PUBLICATION.days} days, so "
        "platforms can still verify what it signed. Prints only the new key's id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="The orgcode, e.g. DEMO.")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        org = self.org_or_fail(options["org"])
        key = signing_key_rotate_audited(org=org, actor="command:rotate_signing_key")
        self.emit(options, {"orgcode": org.orgcode, **key}, "Signing key rotated")
