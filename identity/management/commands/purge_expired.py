from identity.maintenance import purge_expired
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = "Delete expired authorization codes, tokens and sign-in codes (also run daily by beat)."

    def handle(self, *args, **options):
        self.emit(options, purge_expired(), "Purged")
