"""An org admin probing /config/set for a way into other orgs' traffic."""

import pytest

from orgconfig.models import OrgHostname
from tests.conftest import SeedClient, make_admin_headers

SERVICE_HOST = "ucp.service.example"


@pytest.fixture
def service_settings(settings):
    settings.ALLOWED_HOSTS = ["testserver", SERVICE_HOST]
    settings.UCP_PUBLIC_BASE_URL = f"https://{SERVICE_HOST}"
    settings.UCP_DEFAULT_ORGCODE = "FLOWERS"
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("claimed", [SERVICE_HOST, SERVICE_HOST.upper(), f"{SERVICE_HOST}."])
def test_another_org_cannot_claim_the_services_own_hostname(
    api, org, other_org, service_settings, claimed
):
    other_admin = SeedClient(api, **make_admin_headers(other_org))

    response = other_admin.post("config/set", {"expected_revision": 1, "hostnames": [claimed]})

    assert response.status_code == 400
    assert "hostnames[0]" in response.json()["error"]["details"]["fields"]
    assert not OrgHostname.objects.exists()
    profile = api.get("/.well-known/ucp", HTTP_HOST=SERVICE_HOST).json()
    endpoint = profile["ucp"]["services"]["dev.ucp.shopping"][0]["endpoint"]
    assert endpoint.endswith("/ucp/rest/FLOWERS")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "config",
    [
        {"merchant": {"api_key": "sk_live_1"}},
        {"accounts": [{"label": "x", "client_secret": "s"}]},
        {"a": {"b": {"Private_Key": "-----BEGIN"}}},
    ],
)
def test_secret_looking_keys_nested_in_a_published_handler_config_are_refused(admin, config):
    response = admin.post(
        "config/set",
        {
            "expected_revision": 1,
            "payment_handlers": [{"id": "mock_payment_handler", "config": config}],
        },
    )

    assert response.status_code == 400
    assert "payment_handlers[0].config" in response.json()["error"]["details"]["fields"]
    profile = admin.post("config/get").json()["data"]
    assert all(entry["config"] != config for entry in profile["payment_handlers"])
