from pathlib import Path

from django.core.management.base import CommandError

from catalog.services import CatalogImportError, catalog_import
from ucp.commands import OpsCommand


class Command(OpsCommand):
    help = (
        "Import an org's catalog from a folder of CSV files (products, inventory, discounts, "
        "promotions, shipping_rates, customers, addresses). Running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--org", required=True, help="The orgcode.")
        parser.add_argument("--currency", default="USD", help="ISO 4217 code of the CSV prices.")
        super().add_arguments(parser)

    def handle(self, *args, **options):
        org = self.org_or_fail(options["org"])
        directory = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")

        try:
            report = catalog_import(
                org=org, directory=directory, currency=options["currency"].upper()
            )
        except CatalogImportError as problem:
            raise CommandError(f"Nothing was imported: {problem}") from None
        self.emit(
            options,
            {
                "orgcode": org.orgcode,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
            "Catalog imported",
        )
