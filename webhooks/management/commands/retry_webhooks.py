"""Ops: re-queue webhooks. Without options it runs the sweeper once (events never fanned out,
overdue deliveries, held deliveries of resumed platforms); --delivery and --failed redeliver."""

import uuid

from django.core.management.base import CommandError

from ucp import errors
from ucp.commands import OpsCommand
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

OPS_ACTOR = "ops:retry_webhooks"


class Command(OpsCommand):
    help = "Re-queue overdue webhooks, or redeliver given or failed deliveries."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--delivery", action="append", default=[], metavar="GUID", help="Redeliver this one."
        )
        parser.add_argument(
            "--failed", action="store_true", help="Redeliver every failed delivery."
        )
        parser.add_argument("--org", metavar="ORGCODE", help="Only this org's deliveries.")

    def handle(self, *args, **options):
        deliveries = WebhookDelivery.objects.all()
        if options["org"]:
            deliveries = deliveries.filter(org=self.org_or_fail(options["org"]))

        if not options["delivery"] and not options["failed"]:
            result = services.webhooks_sweep()
            self.emit(options, result, "Sweep done")
            return

        chosen = []
        if options["delivery"]:
            for guid in options["delivery"]:
                delivery = deliveries.filter(guid=guid).first() if is_uuid(guid) else None
                if delivery is None:
                    raise CommandError(f"No delivery {guid!r}.")
                chosen.append(delivery)
        if options["failed"]:
            chosen.extend(deliveries.filter(status=DeliveryStatus.FAILED, is_test=False))

        for delivery in chosen:
            try:
                services.delivery_redeliver(delivery=delivery, actor=OPS_ACTOR)
            except errors.ServiceError as exc:
                raise CommandError(f"{delivery.guid}: {exc.message}") from None
        self.emit(
            options,
            {"redelivered": len(chosen), "deliveries": [str(d.guid) for d in chosen]},
            "Redelivery queued",
        )


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
