"""The published UCP business profile: shapes of both releases, schema validity, what is
advertised, host-based org selection, 404s and caching."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgconfig.models import Org, OrgHostname, UcpConfig
from orgconfig.services import ucp_config_set
from orgconfig.signing import signing_key_active
from tests.ucp_schemas import business_profile_errors

VERSIONS = ["2026-04-08", "2026-01-11"]
SHOP_HOST = "shop.flowers.example"


@pytest.fixture(autouse=True)
def profile_settings(settings):
    settings.ALLOWED_HOSTS = ["testserver", SHOP_HOST, "other.example", "unmapped.example"]
    settings.UCP_PUBLIC_BASE_URL = ""
    settings.UCP_DEFAULT_ORGCODE = "FLOWERS"
    return settings


def configure(org, **changes):
    revision = UcpConfig.objects.get(org=org).revision
    return ucp_config_set(org=org, actor="test", expected_revision=revision, changes=changes)


@pytest.fixture
def full_org(org):
    """An org offering every capability and both payment handlers."""
    configure(
        org,
        capabilities={"identity_linking": True},
        payment_handlers=[{"id": "mock_payment_handler"}, {"id": "none"}],
    )
    return org


def fetch(api, path, host="testserver"):
    return api.get(path, HTTP_HOST=host)


def capability_names(profile: dict) -> set[str]:
    capabilities = profile["ucp"]["capabilities"]
    if isinstance(capabilities, dict):
        return set(capabilities)
    return {entry["name"] for entry in capabilities}


@pytest.mark.parametrize("version", VERSIONS)
def test_leaf_profile_validates_against_its_release_schema(api, full_org, version):
    response = fetch(api, f"/.well-known/ucp/{version}")

    assert response.status_code == 200, response.content
    profile = response.json()
    assert profile["ucp"]["version"] == version
    assert business_profile_errors(profile, version) == []
    every_release = {
        "dev.ucp.shopping.checkout",
        "dev.ucp.shopping.fulfillment",
        "dev.ucp.shopping.discount",
        "dev.ucp.shopping.buyer_consent",
        "dev.ucp.shopping.order",
        "dev.ucp.common.identity_linking",
    }
    # The catalog capabilities exist from 2026-04-08 on.
    catalog = {"dev.ucp.shopping.catalog.search", "dev.ucp.shopping.catalog.lookup"}
    expected = every_release | catalog if version == "2026-04-08" else every_release
    assert capability_names(profile) == expected


@pytest.mark.parametrize("version", VERSIONS)
def test_root_profile_speaks_configured_version_and_lists_the_other(api, full_org, version):
    configure(full_org, root_profile_version=version)

    response = fetch(api, "/.well-known/ucp")

    assert response.status_code == 200
    profile = response.json()
    assert profile["ucp"]["version"] == version
    assert business_profile_errors(profile, version) == []
    (other,) = [v for v in VERSIONS if v != version]
    assert profile["ucp"]["supported_versions"] == {
        other: f"http://testserver/.well-known/ucp/{other}"
    }


def test_minimal_org_profiles_validate_too(api, org):
    off = ("fulfillment", "discount", "checkout", "catalog")
    configure(org, capabilities={c: False for c in off})

    for version in VERSIONS:
        profile = fetch(api, f"/.well-known/ucp/{version}").json()
        assert business_profile_errors(profile, version) == []
        assert capability_names(profile) == {"dev.ucp.shopping.order"}


def test_2026_04_08_shape(api, full_org):
    profile = fetch(api, "/.well-known/ucp/2026-04-08").json()

    ucp = profile["ucp"]
    (rest,) = ucp["services"]["dev.ucp.shopping"]
    assert rest["transport"] == "rest"
    assert rest["endpoint"] == "http://testserver/ucp/rest/FLOWERS"
    assert ucp["capabilities"]["dev.ucp.shopping.fulfillment"][0]["extends"] == (
        "dev.ucp.shopping.checkout"
    )
    (mock,) = ucp["payment_handlers"]["dev.ucp.mock_payment"]
    assert mock["id"] == "mock_payment_handler"
    assert mock["config"] == {"supported_tokens": ["success_token", "fail_token"]}
    assert "payment" not in profile
    identity = ucp["capabilities"]["dev.ucp.common.identity_linking"][0]
    assert identity["config"]["authorization_server"] == "http://testserver/oauth/FLOWERS"
    assert "dev.ucp.shopping.order:read" in identity["config"]["scopes"]


def test_2026_01_11_shape(api, full_org):
    profile = fetch(api, "/.well-known/ucp/2026-01-11").json()

    ucp = profile["ucp"]
    assert ucp["services"]["dev.ucp.shopping"]["rest"]["endpoint"] == (
        "http://testserver/ucp/rest/FLOWERS"
    )
    assert isinstance(ucp["capabilities"], list)
    assert "payment_handlers" not in ucp
    handlers = {handler["id"]: handler for handler in profile["payment"]["handlers"]}
    assert set(handlers) == {"mock_payment_handler", "none"}
    assert handlers["mock_payment_handler"]["name"] == "dev.ucp.mock_payment"


@pytest.mark.parametrize(
    "version, spec, schema",
    [
        (
            "2026-04-08",
            "https://ucp.dev/2026-04-08/specification/buyer-consent",
            "https://ucp.dev/2026-04-08/schemas/shopping/buyer_consent.json",
        ),
        (
            "2026-01-11",
            "https://ucp.dev/specification/buyer-consent",
            "https://ucp.dev/schemas/shopping/buyer_consent.json",
        ),
    ],
)
def test_buyer_consent_is_listed_with_checkout(api, org, version, spec, schema):
    profile = fetch(api, f"/.well-known/ucp/{version}").json()

    capabilities = profile["ucp"]["capabilities"]
    if isinstance(capabilities, dict):
        (consent,) = capabilities["dev.ucp.shopping.buyer_consent"]
    else:
        (consent,) = [c for c in capabilities if c["name"] == "dev.ucp.shopping.buyer_consent"]
    assert consent["version"] == version
    assert (consent["spec"], consent["schema"]) == (spec, schema)
    assert consent["extends"] == "dev.ucp.shopping.checkout"

    # It has no switch of its own: it goes with checkout.
    configure(org, capabilities={"checkout": False, "fulfillment": False, "discount": False})
    profile = fetch(api, f"/.well-known/ucp/{version}").json()
    assert "dev.ucp.shopping.buyer_consent" not in capability_names(profile)
    assert business_profile_errors(profile, version) == []


def test_catalog_capabilities_follow_the_catalog_switch_in_2026_04_08_only(api, org):
    profile = fetch(api, "/.well-known/ucp/2026-04-08").json()
    capabilities = profile["ucp"]["capabilities"]
    assert capabilities["dev.ucp.shopping.catalog.search"] == [
        {
            "version": "2026-04-08",
            "spec": "https://ucp.dev/2026-04-08/specification/catalog/search",
            "schema": "https://ucp.dev/2026-04-08/schemas/shopping/catalog_search.json",
        }
    ]
    assert capabilities["dev.ucp.shopping.catalog.lookup"][0]["schema"] == (
        "https://ucp.dev/2026-04-08/schemas/shopping/catalog_lookup.json"
    )
    legacy = fetch(api, "/.well-known/ucp/2026-01-11").json()
    assert not {n for n in capability_names(legacy) if ".catalog." in n}

    configure(org, capabilities={"catalog": False})
    profile = fetch(api, "/.well-known/ucp/2026-04-08").json()
    assert not {n for n in capability_names(profile) if ".catalog." in n}
    assert "dev.ucp.shopping.checkout" in capability_names(profile)

    # A shop offering only its catalog still advertises the REST service that serves it.
    configure(org, capabilities={c: False for c in ("fulfillment", "discount", "checkout")})
    configure(org, capabilities={"order": False, "catalog": True})
    profile = fetch(api, "/.well-known/ucp/2026-04-08").json()
    assert business_profile_errors(profile, "2026-04-08") == []
    assert profile["ucp"]["services"]["dev.ucp.shopping"][0]["transport"] == "rest"


def test_public_base_url_setting_builds_the_endpoint(api, full_org, profile_settings):
    profile_settings.UCP_PUBLIC_BASE_URL = "https://ucp.flowers.example/"

    profile = fetch(api, "/.well-known/ucp").json()

    (rest,) = profile["ucp"]["services"]["dev.ucp.shopping"]
    assert rest["endpoint"] == "https://ucp.flowers.example/ucp/rest/FLOWERS"


def test_disabling_a_capability_removes_it(api, full_org):
    configure(full_org, capabilities={"discount": False, "identity_linking": False})

    for version in VERSIONS:
        profile = fetch(api, f"/.well-known/ucp/{version}").json()
        names = capability_names(profile)
        assert "dev.ucp.shopping.discount" not in names
        assert "dev.ucp.common.identity_linking" not in names
        assert "dev.ucp.shopping.checkout" in names

    configure(full_org, capabilities={"discount": True})
    profile = fetch(api, "/.well-known/ucp").json()
    assert "dev.ucp.shopping.discount" in capability_names(profile)


def test_no_rest_service_advertised_when_nothing_uses_it(api, org):
    everything_off = {c: False for c in ("fulfillment", "discount", "checkout", "order", "catalog")}
    configure(org, capabilities=everything_off)

    for version in VERSIONS:
        profile = fetch(api, f"/.well-known/ucp/{version}").json()
        assert profile["ucp"]["services"] == {}
        assert capability_names(profile) == set()
        assert business_profile_errors(profile, version) == []


def test_hostname_selects_the_org(api, org, other_org):
    configure(other_org, hostnames=["other.example"])

    on_other = fetch(api, "/.well-known/ucp", host="other.example").json()
    on_default = fetch(api, "/.well-known/ucp", host="unmapped.example").json()

    (rest,) = on_other["ucp"]["services"]["dev.ucp.shopping"]
    assert rest["endpoint"] == "http://other.example/ucp/rest/OTHER"
    (rest,) = on_default["ucp"]["services"]["dev.ucp.shopping"]
    assert rest["endpoint"] == "http://unmapped.example/ucp/rest/FLOWERS"


def test_hostname_match_ignores_port(api, org, other_org):
    configure(other_org, hostnames=["other.example"])

    profile = fetch(api, "/.well-known/ucp/2026-04-08", host="other.example:8443").json()

    assert profile["ucp"]["services"]["dev.ucp.shopping"][0]["endpoint"].endswith("/OTHER")


def test_hostname_of_a_disabled_org_is_404_not_the_default(api, org, other_org):
    configure(other_org, hostnames=["other.example"])
    Org.objects.filter(pk=other_org.pk).update(is_active=False)

    response = fetch(api, "/.well-known/ucp", host="other.example")

    assert response.status_code == 404
    assert OrgHostname.objects.filter(hostname="other.example").exists()


def test_root_is_404_without_a_default_org(api, org, profile_settings):
    profile_settings.UCP_DEFAULT_ORGCODE = "NOPE"

    root = fetch(api, "/.well-known/ucp")
    leaf = fetch(api, "/.well-known/ucp/2026-04-08")

    assert root.status_code == leaf.status_code == 404
    assert "success" not in root.json()  # plain, not the envelope


def test_unknown_leaf_version_is_404(api, org):
    assert fetch(api, "/.well-known/ucp/2026-01-23").status_code == 404


def test_root_profile_is_cacheable_and_not_redirected(api, org):
    for path in ("/.well-known/ucp", "/.well-known/ucp/2026-04-08", "/.well-known/ucp/2026-01-11"):
        response = fetch(api, path)
        assert response.status_code == 200
        directives = [d.strip() for d in response["Cache-Control"].split(",")]
        assert "public" in directives
        (max_age,) = [int(d.split("=")[1]) for d in directives if d.startswith("max-age=")]
        assert max_age >= 60
        assert not {"private", "no-store", "no-cache"} & set(directives)
        assert response["Content-Type"].startswith("application/json")


def test_profile_in_envelope(api, full_org):
    response = api.get("/ucp/.well-known/ucp", {"orgcode": "FLOWERS"})

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    profile = body["data"]
    assert business_profile_errors(profile, "2026-04-08") == []
    assert profile["ucp"]["supported_versions"] == {
        "2026-01-11": "http://testserver/.well-known/ucp/2026-01-11"
    }
    assert int(response["Cache-Control"].split("max-age=")[1]) >= 60


def test_leaf_urls_name_the_org_when_the_host_would_not(api, org, other_org):
    envelope = api.get("/ucp/.well-known/ucp", {"orgcode": "OTHER"}).json()["data"]
    by_query = fetch(api, "/.well-known/ucp?orgcode=OTHER").json()

    expected = {"2026-01-11": "http://testserver/.well-known/ucp/2026-01-11?orgcode=OTHER"}
    assert envelope["ucp"]["supported_versions"] == expected
    assert by_query["ucp"]["supported_versions"] == expected
    leaf = fetch(api, expected["2026-01-11"].removeprefix("http://testserver")).json()
    assert leaf["ucp"]["services"]["dev.ucp.shopping"]["rest"]["endpoint"].endswith("/OTHER")


def test_leaf_urls_on_a_public_base_url_of_another_host(api, org, other_org, profile_settings):
    configure(other_org, hostnames=["other.example"])
    profile_settings.UCP_PUBLIC_BASE_URL = "https://ucp.example"

    profile = fetch(api, "/.well-known/ucp", host="other.example").json()

    assert profile["ucp"]["supported_versions"] == {
        "2026-01-11": "https://ucp.example/.well-known/ucp/2026-01-11?orgcode=OTHER"
    }


def test_supported_version_url_with_orgcode_serves_that_org(api, org, other_org):
    response = fetch(api, "/.well-known/ucp/2026-01-11?orgcode=OTHER")

    assert response.status_code == 200
    endpoint = response.json()["ucp"]["services"]["dev.ucp.shopping"]["rest"]["endpoint"]
    assert endpoint.endswith("/ucp/rest/OTHER")


@pytest.mark.parametrize("query", [{"orgcode": "NOPE"}, {}, {"orgcode": "OTHER"}])
def test_envelope_unknown_or_disabled_org_is_404(api, other_org, query):
    Org.objects.filter(pk=other_org.pk).update(is_active=False)

    response = api.get("/ucp/.well-known/ucp", query)

    assert response.status_code == 404
    assert response.json()["error"]["error_code"] == "not-found"


def test_signing_keys_are_published_without_private_parts(api, org):
    key = signing_key_active(org=org)

    for version in VERSIONS:
        profile = fetch(api, f"/.well-known/ucp/{version}").json()
        (published,) = profile["signing_keys"]
        assert published["kid"] == key.kid
        assert published["alg"] == "ES256" and published["crv"] == "P-256"
        assert "d" not in published


@pytest.mark.parametrize(
    "path",
    ["/.well-known/ucp", "/.well-known/ucp/2026-01-11", "/ucp/.well-known/ucp?orgcode=FLOWERS"],
)
def test_each_profile_request_reads_the_config_once(api, full_org, path):
    with CaptureQueriesContext(connection) as queries:
        response = fetch(api, path)

    assert response.status_code == 200, response.content
    config_reads = [q for q in queries.captured_queries if '"orgconfig_ucpconfig"' in q["sql"]]
    assert len(config_reads) == 1
