"""The webhook section of the console dashboard (ucp/dashboard.py): today's deliveries, their
success rate, the failed ones (linked to the delivery list filtered to them) and paused platforms.

Test sends are left out: they check a platform's endpoint on an admin's request and say nothing
about how the org's events reach its platforms.
"""

from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from orgconfig.models import Org
from ucp.dashboard import DashboardSection, dashboard_section
from webhooks.models import DeliveryStatus, WebhookConfig, WebhookDelivery


def changelist_link(model, text, **filters):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, urlencode(filters), text)


def success_rate(succeeded: int, failed: int) -> str:
    finished = succeeded + failed
    if not finished:
        return "no delivery finished yet"
    return f"{100 * succeeded / finished:.1f} % ({succeeded} of {finished})"


@dashboard_section
def webhook_health(*, org: Org, since) -> DashboardSection | None:
    """None for an org without webhook configs or deliveries: it does not use webhooks."""
    configs = WebhookConfig.objects.filter(org=org)
    deliveries = WebhookDelivery.objects.filter(org=org, is_test=False)
    if not configs.exists() and not deliveries.exists():
        return None

    created_today = deliveries.filter(created_at__gte=since).count()
    waiting = deliveries.aggregate(
        pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
        held=Count("pk", filter=Q(status=DeliveryStatus.HELD)),
    )
    finished = deliveries.filter(completed_at__gte=since).aggregate(
        succeeded=Count("pk", filter=Q(status=DeliveryStatus.SUCCEEDED)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
    )
    paused = list(
        configs.filter(paused_at__isnull=False)
        .select_related("platform")
        .order_by("paused_at")
        .values_list("platform__caption", "pause_reason")
    )

    failed_link = changelist_link(
        WebhookDelivery,
        f"{finished['failed']} failed",
        org__id__exact=org.pk,
        status__exact=DeliveryStatus.FAILED,
        is_test__exact=0,
        completed_at__gte=since.isoformat(),
    )
    paused_value = "none"
    if paused:
        listed = format_html_join(", ", "{} ({})", paused)
        paused_value = format_html(
            "{}: {}",
            changelist_link(
                WebhookConfig, str(len(paused)), org__id__exact=org.pk, paused_at__isnull=0
            ),
            listed,
        )
    rows = [
        ("Deliveries today", created_today),
        (
            "Waiting now: pending / held for paused platforms",
            f"{waiting['pending']} / {waiting['held']}",
        ),
        ("Success rate today", success_rate(finished["succeeded"], finished["failed"])),
        ("Failed deliveries today", failed_link),
        ("Paused platforms", paused_value),
    ]
    return DashboardSection(title="Webhooks", rows=rows)
