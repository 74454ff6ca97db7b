"""The per-org dashboard: today's checkouts and orders from the database, the API routes'
figures from the middleware's hourly buckets, and sections other apps contribute."""

from datetime import UTC, datetime, timedelta

from django.urls import reverse

from checkout.pricing import DestinationRequest, FulfillmentRequest, RequestedLine
from checkout.services import checkout_complete, checkout_create
from ucp import dashboard, routestats

US_ADDRESS = {
    "street_address": "123 Main St",
    "address_locality": "Springfield",
    "address_region": "IL",
    "postal_code": "62704",
    "address_country": "US",
}


def sell(platform, quantity=1):
    session = checkout_create(
        platform=platform,
        lines=[RequestedLine(item_id="bouquet_roses", quantity=quantity, line_id=None)],
        buyer={"email": "a@example.com", "first_name": "A", "last_name": "B"},
        fulfillment=FulfillmentRequest(
            destinations=(DestinationRequest(address=US_ADDRESS),), selected_option_id="std-ship"
        ),
    )
    return session


def test_dashboard_counts_todays_checkouts_and_orders(
    console, org_admin, flower_shop, platform_credentials
):
    platform = platform_credentials["platform"]
    completed = checkout_complete(session=sell(platform, 2))
    sell(platform)

    page = console(org_admin).get(reverse("ucp-dashboard", args=[flower_shop.orgcode]))

    assert page.status_code == 200
    assert page.context["checkouts"]["total"] == 2
    assert page.context["orders"]["total"] == 1
    expected = completed.total_of("total")
    assert page.context["orders"]["revenue"] == [(completed.currency, expected)]
    assert "Orders today: 1" in page.content.decode()


def test_dashboard_of_another_org_is_not_found(console, org_admin, other_org):
    page = console(org_admin).get(reverse("ucp-dashboard", args=[other_org.orgcode]))

    assert page.status_code == 404


def test_dashboard_index_goes_straight_to_the_only_org(console, org_admin, org):
    page = console(org_admin).get(reverse("ucp-dashboards"))

    assert page.status_code == 302
    assert page.url == reverse("ucp-dashboard", args=[org.orgcode])


def test_api_calls_show_as_slowest_and_failing_routes(console, org_admin, admin, org):
    for _ in range(3):
        assert admin.post("platform/list").status_code == 200
    assert admin.post("platform/get", {"platform_guid": "nope"}).status_code == 400
    assert admin.post("platform/get", {"platform_guid": "nope"}).status_code == 400

    page = console(org_admin).get(reverse("ucp-dashboard", args=[org.orgcode]))

    slowest = {s.route: s for s in page.context["slowest_routes"]}
    assert slowest["POST /ucp/platform/list"].calls == 3
    failing = page.context["failing_routes"]
    assert [(s.route, s.calls, s.errors) for s in failing] == [("POST /ucp/platform/get", 2, 2)]
    assert "POST /ucp/platform/get" in page.content.decode()


def test_route_stats_keep_orgs_apart_and_cover_24_hours():
    now = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
    record = routestats.record_request
    record(org="A", route="POST /ucp/x", status=200, latency_ms=10, now=now)
    record(org="A", route="POST /ucp/x", status=503, latency_ms=30, now=now - timedelta(hours=23))
    record(org="A", route="POST /ucp/x", status=200, latency_ms=99, now=now - timedelta(hours=25))
    record(org="B", route="POST /ucp/x", status=200, latency_ms=50, now=now)

    (stat,) = routestats.route_stats(org="A", now=now)

    assert (stat.calls, stat.errors, stat.server_errors, stat.total_ms) == (2, 1, 1, 40)
    assert stat.average_ms == 20
    (everyone,) = routestats.route_stats(org=None, now=now)
    assert everyone.calls == 3


def test_route_stats_never_fail_a_request(monkeypatch, admin):
    class Broken:
        def add(self, counts):
            raise ConnectionError("redis down")

    monkeypatch.setattr(routestats, "_store", Broken())
    monkeypatch.setattr(routestats, "FLUSH_SECONDS", 0)

    assert admin.post("platform/list").status_code == 200
    routestats.flush()


def test_calls_are_written_in_bulk(monkeypatch, admin):
    writes = []
    real_store = routestats.store()

    class Counting:
        def add(self, counts):
            writes.append(counts)
            real_store.add(counts)

        def read(self, org, buckets):
            return real_store.read(org, buckets)

    monkeypatch.setattr(routestats, "_store", Counting())
    monkeypatch.setattr(routestats, "FLUSH_SECONDS", 3600)

    for _ in range(5):
        admin.post("platform/list")
    assert writes == []

    stats = {s.route: s for s in routestats.route_stats(org=None)}

    assert len(writes) == 1
    assert stats["POST /ucp/platform/list"].calls == 5


def test_apps_contribute_sections_only_when_they_have_data(
    console, org_admin, org, other_org, monkeypatch
):
    def webhook_health(*, org, since):
        if org.orgcode != "FLOWERS":
            return None
        return dashboard.DashboardSection(title="Webhooks", rows=[("Success rate", "97.0 %")])

    def broken(*, org, since):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "_providers", [])
    # Discovery would register the real providers into the stand-in list, lost after the test.
    monkeypatch.setattr(dashboard, "_discovered", True)
    dashboard.dashboard_section(webhook_health)
    dashboard.dashboard_section(broken)

    page = console(org_admin).get(reverse("ucp-dashboard", args=[org.orgcode]))

    assert [s.title for s in page.context["sections"]] == ["Webhooks"]
    assert "97.0 %" in page.content.decode()
    assert dashboard.contributed_sections(org=other_org, since=dashboard.start_of_today()) == []
