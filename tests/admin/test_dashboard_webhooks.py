"""The webhook section of the per-org dashboard, from deliveries made by the real services to
local receivers: one platform that accepts, one that refuses and gets paused."""

import pytest
from django.urls import reverse

from checkout.services import checkout_complete
from tests.admin.test_dashboard import sell
from tests.webhooks.conftest import subscribe
from tests.webhooks.support import Receiver
from ucp import dashboard
from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent


@pytest.fixture
def receivers(settings):
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = True
    settings.UCP_PUBLIC_BASE_URL = "http://testserver"
    settings.UCP_WEBHOOK_PAUSE_AFTER_FAILURES = 1
    accepting, refusing = Receiver().start(), Receiver().start()
    refusing.default.status = 410
    yield accepting, refusing
    accepting.stop()
    refusing.stop()


@pytest.fixture
def delivered(flower_shop, receivers):
    """An order event delivered to both platforms: one success, one failure that pauses."""
    accepting, refusing = receivers
    happy, _, _ = subscribe(flower_shop, accepting.url, caption="Happy agent")
    broken, _, _ = subscribe(flower_shop, refusing.url, caption="Broken agent")
    checkout_complete(session=sell(happy))
    event = WebhookEvent.objects.get(org=flower_shop, event_type="order.created")
    outcomes = {
        WebhookDelivery.objects.get(pk=pk).platform.caption: services.delivery_attempt(
            delivery_id=pk
        )
        for pk in services.event_fan_out(event_id=event.pk)
    }
    assert outcomes == {"Happy agent": "succeeded", "Broken agent": "failed"}
    return WebhookDelivery.objects.filter(org=flower_shop)


def webhook_rows(page) -> dict:
    (section,) = [s for s in page.context["sections"] if s.title == "Webhooks"]
    return dict(section.rows)


def test_dashboard_shows_todays_webhook_figures(console, org_admin, org, delivered):
    page = console(org_admin).get(reverse("ucp-dashboard", args=[org.orgcode]))

    assert page.status_code == 200
    rows = webhook_rows(page)
    assert rows["Deliveries today"] == 2
    assert rows["Success rate today"] == "50.0 % (1 of 2)"
    assert rows["Waiting now: pending / held for paused platforms"] == "0 / 0"
    assert ">1 failed</a>" in rows["Failed deliveries today"]
    assert "Broken agent (1 deliveries in a row failed)" in rows["Paused platforms"]
    assert "Happy agent" not in rows["Paused platforms"]
    assert "50.0 % (1 of 2)" in page.content.decode()


def link_target(html: str) -> str:
    return html.split('href="')[1].split('"')[0].replace("&amp;", "&")


def test_links_list_exactly_the_failed_deliveries_and_paused_platforms(
    console, org_admin, org, delivered
):
    client = console(org_admin)
    rows = webhook_rows(client.get(reverse("ucp-dashboard", args=[org.orgcode])))

    failed = client.get(link_target(rows["Failed deliveries today"]))
    paused = client.get(link_target(rows["Paused platforms"]))

    assert (failed.status_code, paused.status_code) == (200, 200)
    shown = list(failed.context["cl"].result_list)
    assert shown == list(delivered.filter(status=DeliveryStatus.FAILED))
    assert len(shown) == 1
    assert [c.platform.caption for c in paused.context["cl"].result_list] == ["Broken agent"]


def test_no_webhook_section_for_an_org_without_webhook_data(org, other_org, delivered):
    since = dashboard.start_of_today()

    mine = dashboard.contributed_sections(org=org, since=since)
    theirs = dashboard.contributed_sections(org=other_org, since=since)

    assert [s.title for s in mine] == ["Webhooks"]
    assert theirs == []
