"""A base for the ops commands: each prints what it did, or one JSON object with --json."""

import json

from django.core.management.base import BaseCommand, CommandError

from orgconfig.models import Org


class OpsCommand(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", help="Print the result as one JSON object."
        )

    def emit(self, options, result: dict, title: str) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2, default=str))
            return
        self.stdout.write(self.style.SUCCESS(title))
        for key, value in result.items():
            self.stdout.write(f"  {key}: {value}")

    def org_or_fail(self, orgcode: str) -> Org:
        org = Org.objects.filter(orgcode=orgcode).first()
        if org is None:
            raise CommandError(f"No org with orgcode {orgcode!r}.")
        return org
