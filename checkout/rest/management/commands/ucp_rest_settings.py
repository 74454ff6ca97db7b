"""`manage.py ucp_rest_settings --org CODE [--simulation on|off] [--simulation-secret-env VAR]
[--webhook-envelope flat|sample]`: an org's simulation routes for the conformance suite, and the
shape of order webhooks sent to platform profiles (platform auth is in the UCP config)."""

import os

from django.core.management.base import BaseCommand, CommandError

from checkout.rest.settings import rest_settings_set, settings_view
from orgconfig.selectors import org_get_active
from ucp import errors


class Command(BaseCommand):
    help = (
        "Show or change an org's simulation routes for the UCP conformance suite and the "
        "order webhook envelope for 2026-01-11 sample clients."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True)
        parser.add_argument("--simulation", choices=["on", "off"])
        parser.add_argument(
            "--simulation-secret-env",
            help="Name of the environment variable holding the simulation secret "
            "(never passed on the command line, where it would land in shell history).",
        )
        parser.add_argument(
            "--webhook-envelope",
            choices=["flat", "sample"],
            help="Order webhooks to a platform profile's URL: `flat` (the order, as the "
            "specification defines; default) or `sample` ({event_type, checkout_id, order}, as "
            "the 2026-01-11 sample server and its conformance suite expect).",
        )

    def handle(self, *args, org, simulation, simulation_secret_env, webhook_envelope, **options):
        target = org_get_active(orgcode=org)
        if target is None:
            raise CommandError(f"No active org {org!r}.")
        secret = None
        if simulation_secret_env:
            secret = os.environ.get(simulation_secret_env)
            if not secret:
                raise CommandError(f"${simulation_secret_env} is empty.")
        try:
            settings = rest_settings_set(
                org=target,
                actor="command:ucp_rest_settings",
                simulation_enabled=None if simulation is None else simulation == "on",
                simulation_secret=secret,
                sample_webhook_envelope=None
                if webhook_envelope is None
                else webhook_envelope == "sample",
            )
        except errors.ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(str(settings_view(settings)))
