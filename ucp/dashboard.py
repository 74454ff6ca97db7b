"""The console's dashboard page per org: today's checkouts and orders, the slowest and most
failing API routes of the last 24 hours, and sections other apps contribute.

An app adds a section by defining `<app>/dashboard.py` (found automatically) with:

    from ucp.dashboard import DashboardSection, dashboard_section

    @dashboard_section
    def webhook_health(*, org, since):
        ...  # return None when there is nothing to show for this org
        return DashboardSection(title="Webhooks", rows=[("Success rate today", "98.5 %")])

A provider returns None when it has no data, so the page never shows an empty placeholder.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.contrib import admin
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from checkout.models import CheckoutSession
from orders.models import Order
from orgconfig.models import Org
from orgconfig.selectors import membership_role, orgs_of_user
from ucp.routestats import most_failing_routes, route_stats, slowest_routes

logger = logging.getLogger(__name__)


@dataclass
class DashboardSection:
    title: str
    rows: list[tuple[str, object]] = field(default_factory=list)


SectionProvider = Callable[..., DashboardSection | None]
_providers: list[SectionProvider] = []
_discovered = False


def dashboard_section(provider: SectionProvider) -> SectionProvider:
    """Registers a provider called as `provider(org=Org, since=datetime)` for every dashboard."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def contributed_sections(*, org: Org, since: datetime) -> list[DashboardSection]:
    global _discovered
    if not _discovered:
        autodiscover_modules("dashboard")
        _discovered = True
    sections = []
    for provider in _providers:
        try:
            section = provider(org=org, since=since)
        except Exception:
            # One broken figure must not take the whole page down; it is logged and left out.
            logger.exception("Dashboard section failed", extra={"provider": provider.__name__})
            continue
        if section is not None:
            sections.append(section)
    return sections


def start_of_today() -> datetime:
    now = timezone.localtime()
    return timezone.make_aware(datetime.combine(now.date(), time.min), now.tzinfo)


def checkout_figures(*, org: Org, since: datetime) -> dict:
    by_status = dict(
        CheckoutSession.objects.filter(org=org, created_at__gte=since)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {"total": sum(by_status.values()), "by_status": sorted(by_status.items())}


def order_figures(*, org: Org, since: datetime) -> dict:
    """Today's orders with their revenue per currency (integer minor units)."""
    revenue: dict[str, int] = {}
    orders = Order.objects.filter(org=org, created_at__gte=since).values_list("currency", "totals")
    count = 0
    for currency, totals in orders.iterator():
        count += 1
        amount = next((t["amount"] for t in totals if t.get("type") == "total"), 0)
        revenue[currency] = revenue.get(currency, 0) + amount
    return {"total": count, "revenue": sorted(revenue.items())}


def dashboard_context(*, org: Org) -> dict:
    since = start_of_today()
    stats = route_stats(org=org.orgcode)
    return {
        "org": org,
        "since": since,
        "checkouts": checkout_figures(org=org, since=since),
        "orders": order_figures(org=org, since=since),
        "route_calls": sum(s.calls for s in stats),
        "slowest_routes": slowest_routes(stats),
        "failing_routes": most_failing_routes(stats),
        "sections": contributed_sections(org=org, since=since),
    }


def visible_orgs(request):
    """The orgs whose dashboards the user may open: as in the rest of the console, members see
    their active orgs only; superusers see every org."""
    orgs = orgs_of_user(user=request.user)
    return orgs if request.user.is_superuser else orgs.filter(is_active=True)


def visible_org(request, orgcode: str) -> Org:
    # PostgreSQL refuses a NUL even as a query parameter, and no orgcode holds one.
    org = None if "\x00" in orgcode else visible_orgs(request).filter(orgcode=orgcode).first()
    if org is None or membership_role(org=org, user=request.user) is None:
        raise Http404("No such org.")
    return org


def dashboard_index_view(request):
    """The user's orgs; straight to the dashboard when there is only one."""
    orgs = list(visible_orgs(request).distinct().order_by("orgcode"))
    if len(orgs) == 1:
        return redirect("ucp-dashboard", orgcode=orgs[0].orgcode)
    context = {**admin.site.each_context(request), "title": "Dashboards", "orgs": orgs}
    return TemplateResponse(request, "admin/ucp/dashboard_index.html", context)


def dashboard_view(request, orgcode: str):
    org = visible_org(request, orgcode)
    context = {
        **admin.site.each_context(request),
        "title": f"{org.orgcode} today",
        **dashboard_context(org=org),
    }
    return TemplateResponse(request, "admin/ucp/dashboard.html", context)
