"""Ops: move an order along (shipped, delivered, canceled); the matching webhook is emitted."""

import uuid

from django.core.management.base import CommandError

from orders import services
from orders.models import Order
from ucp import errors
from ucp.commands import OpsCommand

OPS_ACTOR = "ops:mark_order"


class Command(OpsCommand):
    help = "Mark an order shipped, delivered or canceled (emits the order webhook)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("order", metavar="SCM_ORDER_GUID")
        parser.add_argument("status", choices=["shipped", "delivered", "canceled"])
        parser.add_argument("--org", metavar="ORGCODE", help="Refuse an order of another org.")
        parser.add_argument("--tracking-number", default="")
        parser.add_argument("--tracking-url", default="")
        parser.add_argument("--carrier", default="")
        parser.add_argument("--reason", default="", help="Why it is canceled.")

    def handle(self, *args, **options):
        try:
            guid = uuid.UUID(options["order"])
        except ValueError:
            raise CommandError(f"{options['order']!r} is not an order guid.") from None
        orders = Order.objects.all()
        if options["org"]:
            orders = orders.filter(org=self.org_or_fail(options["org"]))
        order = orders.filter(guid=guid).first()
        if order is None:
            raise CommandError(f"No order {guid}.")

        try:
            if options["status"] == "shipped":
                order = services.order_mark_shipped(
                    order=order,
                    actor=OPS_ACTOR,
                    tracking_number=options["tracking_number"],
                    tracking_url=options["tracking_url"],
                    carrier=options["carrier"],
                )
            elif options["status"] == "delivered":
                order = services.order_mark_delivered(order=order, actor=OPS_ACTOR)
            else:
                order = services.order_cancel(
                    order=order, actor=OPS_ACTOR, reason=options["reason"]
                )
        except errors.ServiceError as exc:
            raise CommandError(exc.message) from None

        self.emit(
            options,
            {"scm_order_guid": str(order.guid), "status": order.status, "org": order.org.orgcode},
            f"Order {order.status}",
        )
