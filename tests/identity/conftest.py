"""Helpers for identity tests: admin-issued codes, token calls and bearer calls."""

import base64
import hashlib
import secrets

import pytest
from rest_framework.test import APIClient

from catalog.models import Customer
from identity import services
from platforms.services import platform_register
from tests.conftest import SeedClient, make_admin_headers


def basic(client_id: str, client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


class Identity:
    """One org's admin and one of its platforms, calling the seed identity routes."""

    def __init__(self, org, platform, client_secret):
        self.org = org
        self.platform = platform
        self.client_id = platform.client_id
        self.client_secret = client_secret
        self.admin = SeedClient(APIClient(), **make_admin_headers(org))

    def credentials(self) -> dict:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    def authorize(self, customer_guid="cust_1", **extra):
        body = {"platform_guid": str(self.platform.guid), "customer_guid": customer_guid, **extra}
        return self.admin.post("identity/authorize", body)

    def code(self, customer_guid="cust_1", **extra) -> str:
        response = self.authorize(customer_guid, **extra)
        assert response.status_code == 201, response.json()
        return response.json()["data"]["code"]

    def token(self, **body):
        return APIClient().post(
            "/ucp/identity/token", {**self.credentials(), **body}, format="json"
        )

    def exchange(self, code: str):
        return self.token(grant_type="authorization_code", code=code)

    def tokens(self, customer_guid="cust_1", **extra) -> dict:
        response = self.exchange(self.code(customer_guid, **extra))
        assert response.status_code == 200, response.json()
        return response.json()["data"]

    def refresh(self, refresh_token: str):
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)

    def revoke(self, token: str, **extra):
        return APIClient().post(
            "/ucp/identity/revoke", {**self.credentials(), "token": token, **extra}, format="json"
        )


def userinfo(access_token: str):
    return APIClient().post(
        "/ucp/identity/userinfo", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {access_token}"
    )


@pytest.fixture
def identity(flower_shop, platform_credentials):
    return Identity(
        flower_shop, platform_credentials["platform"], platform_credentials["client_secret"]
    )


@pytest.fixture
def other_identity(other_org):
    services.customer_create(
        org=other_org, public_id="cust_1", name="Otto Other", email="otto@other.invalid"
    )
    platform, secret = platform_register(org=other_org, caption="Other agent")
    return Identity(other_org, platform, secret)


@pytest.fixture
def customer(flower_shop):
    return Customer.objects.get(org=flower_shop, public_id="cust_1")
