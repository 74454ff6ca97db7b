"""The console in a real browser: Debian's Chromium, headless, driven by Playwright (no browser
download). Screenshots are kept under test-artifacts/browser/ for a person to look at.

Select these with `-m browser`; they also run in the normal `make test`, which installs Chromium
when it is missing.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from orgconfig.models import AuditEntry
from platforms.models import Platform
from platforms.services import platform_secret_matches
from tests.admin.conftest import PASSWORD

CHROMIUM = os.environ.get("UCP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "browser"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM), reason=f"{CHROMIUM} missing: `make browser` installs it"
    ),
]


@pytest.fixture
def server(django_db_setup, live_server):
    """The live server, started after the test database so that it stops before the database
    is dropped at the end of the session."""
    return live_server


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous calls between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            yield page
        finally:
            browser.close()
            # ORM calls made while Playwright's loop ran may hold their own connection; close
            # them so the test database can be dropped at the end of the session.
            connections.close_all()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, server, user) -> None:
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server.url}/admin/")


def test_org_admin_rotates_a_secret_and_sees_it_once(
    browser_page, server, org_admin, platform_credentials, other_platform
):
    page = browser_page
    platform = platform_credentials["platform"]
    sign_in(page, server, org_admin)
    shot(page, "01-console-home")

    page.goto(f"{server.url}/admin/platforms/platform/")
    assert page.locator("#result_list").get_by_text("Test agent").count() == 1
    assert "Rival agent" not in page.content()
    shot(page, "02-platforms")

    page.check(f"input[name=_selected_action][value='{platform.pk}']")
    page.select_option("select[name=action]", "rotate_secret")
    page.click("button[name=index]")
    secret = page.locator("code.secret-value[data-label=client_secret]").inner_text()
    shot(page, "03-secret-shown-once")

    platform.refresh_from_db()
    assert platform_secret_matches(platform=platform, client_secret=secret)
    assert AuditEntry.objects.filter(
        action="platform.rotate_secret", actor=f"user:{org_admin.pk}"
    ).exists()

    page.click("text=Done")
    assert secret not in page.content()
    page.goto(f"{server.url}/admin/platforms/platform/{platform.pk}/change/")
    assert secret not in page.content()
    assert platform.client_id in page.content()
    shot(page, "04-platform-after-rotation")


def test_another_orgs_objects_are_invisible(
    browser_page, server, org_admin, platform_credentials, other_platform
):
    page = browser_page
    sign_in(page, server, org_admin)

    page.goto(f"{server.url}/admin/platforms/platform/{other_platform.pk}/change/")
    assert page.url == f"{server.url}/admin/"
    assert "Rival agent" not in page.content()
    shot(page, "05-other-org-platform-refused")

    page.goto(f"{server.url}/admin/dashboard/OTHER/")
    assert "Rival" not in page.content() and "Another Shop" not in page.content()
    shot(page, "06-other-org-dashboard-refused")

    page.goto(f"{server.url}/admin/dashboard/")
    assert "FLOWERS today" in page.content()
    shot(page, "07-own-dashboard")

    assert Platform.objects.filter(pk=other_platform.pk, revoked_at__isnull=True).exists()


def test_swagger_ui_renders_offline(browser_page, server):
    page = browser_page
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(server.url) else None
        ),
    )

    page.goto(f"{server.url}/api/docs/")
    page.get_by_text("/ucp/checkout/create", exact=True).first.wait_for()
    shot(page, "08-api-docs")

    assert outside == []
