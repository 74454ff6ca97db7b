"""Shared fixtures: orgs, admin credentials, platforms and the flower-shop catalog.

The suite runs on PostgreSQL (row locks and concurrency are under test); `make test` points
DATABASE_URL at the local server.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from catalog.services import catalog_import
from orgconfig.models import Role
from orgconfig.services import api_key_create, org_create
from platforms.services import platform_register

SHARED_DIR = Path(os.environ.get("UCP_SHARED_DIR", settings.BASE_DIR.parent / "shared"))
FLOWER_SHOP = SHARED_DIR / "demo-data" / "flower_shop"


def pytest_configure(config):
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("The tests run on PostgreSQL: set DATABASE_URL (make test does).", returncode=2)


@pytest.fixture(autouse=True)
def _allow_db_and_fresh_cache(settings):
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def org(db):
    return org_create(orgcode="FLOWERS", name="Flower Shop")


@pytest.fixture
def other_org(db):
    return org_create(orgcode="OTHER", name="Another Shop")


@pytest.fixture
def flower_shop(org):
    """The org with the shared flower-shop catalog imported through the real import service."""
    assert FLOWER_SHOP.is_dir(), f"flower-shop data not found at {FLOWER_SHOP}"
    catalog_import(org=org, directory=FLOWER_SHOP)
    return org


def make_admin_headers(org, role=Role.OWNER) -> dict:
    _, plaintext = api_key_create(org=org, name=f"test {role}", role=role)
    return {"HTTP_X_API_KEY": plaintext, "HTTP_X_ORGCODE": org.orgcode}


@pytest.fixture
def admin_headers(org):
    return make_admin_headers(org)


@pytest.fixture
def platform_credentials(org):
    platform, secret = platform_register(org=org, caption="Test agent")
    return {"platform": platform, "client_id": platform.client_id, "client_secret": secret}


class SeedClient:
    """Calls seed routes as JSON, the way platforms and admins do."""

    def __init__(self, client: APIClient, **headers):
        self.client = client
        self.headers = headers

    def post(self, route: str, body: dict | None = None, **extra):
        return self.client.post(
            f"/ucp/{route}", body or {}, format="json", **{**self.headers, **extra}
        )


@pytest.fixture
def admin(api, admin_headers):
    return SeedClient(api, **admin_headers)


@pytest.fixture
def as_platform(api, platform_credentials):
    """POSTs with the platform's client credentials merged into the body."""
    credentials = {k: platform_credentials[k] for k in ("client_id", "client_secret")}

    class PlatformClient(SeedClient):
        def post(self, route, body=None, **extra):
            return super().post(route, {**credentials, **(body or {})}, **extra)

    return PlatformClient(api)
