"""Fixtures for webhook tests: receivers, a platform subscribed to one, orders, a worker."""

import pytest
from django.db import connection

from platforms.services import platform_register
from tests.checkout.support import place_order
from tests.webhooks.support import CeleryWorker, Receiver
from ucp.celery import app as celery_app
from webhooks import services as webhook_services

BUYER = {"email": "jane@example.com", "first_name": "Jane", "last_name": "Doe"}


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def allow_private(settings):
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = True
    settings.UCP_PUBLIC_BASE_URL = "http://testserver"


def subscribe(org, url, *, caption="Agent", event_filters=None, ucp_version=None, platform=None):
    """A platform of `org` (a new one unless given) whose webhooks go to `url`; returns
    (platform, config, secret)."""
    if platform is None:
        platform, _ = platform_register(org=org, caption=caption)
    config = webhook_services.config_get_or_create(platform=platform)
    changes = {"callback_url": url}
    if event_filters is not None:
        changes["event_filters"] = event_filters
    if ucp_version is not None:
        changes["ucp_version"] = ucp_version
    config, secret = webhook_services.config_set(
        config=config, expected_revision=config.revision, actor="test", **changes
    )
    return platform, config, secret


def make_order(platform, item="bouquet_roses"):
    return place_order(platform, item=item, buyer=BUYER)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real worker process for the module, on the test database and the test Redis db."""
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    celery_app.control.purge()
    worker = CeleryWorker(database_name, log_dir=tmp_path_factory.mktemp("celery")).start()
    yield worker
    worker.stop()
    celery_app.control.purge()
