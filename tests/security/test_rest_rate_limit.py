"""The REST binding's rate limit: POST and PUT calls per org and platform (and per address for an
open shop's anonymous callers), 429 `rate_limited` with Retry-After in each version's shape, GETs
never limited, and calls let through when the cache is unreachable."""

import base64

import pytest

from checkout.models import CheckoutSession
from platforms.services import platform_register
from tests.checkout.test_rest_binding import NEW, OLD, RestClient, configure, create, create_body


def basic_client(api, org, platform, secret) -> RestClient:
    token = base64.b64encode(f"{platform.client_id}:{secret}".encode()).decode()
    return RestClient(api, org.orgcode, HTTP_AUTHORIZATION=f"Basic {token}")


@pytest.fixture
def limited(settings):
    settings.UCP_REST_RATE = "2/m"
    return settings


@pytest.fixture
def agent(api, flower_shop, limited):
    api.raise_request_exception = False
    platform, secret = platform_register(org=flower_shop, caption="Busy agent")
    return basic_client(api, flower_shop, platform, secret)


@pytest.mark.parametrize("version", [NEW, OLD])
def test_writes_over_the_rate_are_429_with_retry_after(agent, version):
    created = [
        agent.call("post", "/checkout-sessions", create_body(), version=version) for _ in range(2)
    ]
    refused = agent.call("post", "/checkout-sessions", create_body(), version=version)

    assert [r.status_code for r in created] == [201, 201]
    assert refused.status_code == 429, refused.content
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    code = body["code"] if version == NEW else body["messages"][0]["code"]
    assert code == "rate_limited"
    assert CheckoutSession.objects.count() == 2

    # Reads are never limited: agents poll their sessions.
    session_id = created[0].json()["id"]
    assert agent.call("get", f"/checkout-sessions/{session_id}", version=version).status_code == 200


def test_each_platform_has_its_own_bucket(api, flower_shop, agent):
    for _ in range(3):
        agent.call("post", "/checkout-sessions", create_body())
    other, secret = platform_register(org=flower_shop, caption="Quiet agent")

    response = basic_client(api, flower_shop, other, secret).call(
        "post", "/checkout-sessions", create_body()
    )

    assert response.status_code == 201, response.content


def test_an_open_shop_counts_each_address_apart(api, flower_shop, limited):
    configure(flower_shop, rest_auth="none")
    first = RestClient(api, flower_shop.orgcode, REMOTE_ADDR="198.51.100.1")
    second = RestClient(api, flower_shop.orgcode, REMOTE_ADDR="198.51.100.2")

    statuses = [
        first.call("post", "/checkout-sessions", create_body()).status_code for _ in range(3)
    ]

    assert statuses == [201, 201, 429]
    assert second.call("post", "/checkout-sessions", create_body()).status_code == 201


def test_an_open_shop_counts_an_ipv6_slash_64_as_one_address(api, flower_shop, limited):
    """Every address of a /64 is one client's: counted apart, a single host could rotate through
    2**64 addresses and never be limited."""
    configure(flower_shop, rest_auth="none")
    statuses = [
        RestClient(api, flower_shop.orgcode, REMOTE_ADDR=f"2001:db8:1:2::{n}")
        .call("post", "/checkout-sessions", create_body())
        .status_code
        for n in range(1, 4)
    ]
    mapped = [
        RestClient(api, flower_shop.orgcode, REMOTE_ADDR=address)
        .call("post", "/checkout-sessions", create_body())
        .status_code
        for address in ("198.51.100.7", "198.51.100.7", "::ffff:198.51.100.7")
    ]
    elsewhere = RestClient(api, flower_shop.orgcode, REMOTE_ADDR="2001:db8:1:3::1")

    assert statuses == [201, 201, 429]
    assert mapped == [201, 201, 429]
    assert elsewhere.call("post", "/checkout-sessions", create_body()).status_code == 201


def test_an_unreachable_cache_lets_calls_through(agent, settings):
    settings.CACHES = {
        **settings.CACHES,
        "unreachable": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    settings.RATELIMIT_USE_CACHE = "unreachable"

    created = [create(agent)["id"] for _ in range(3)]

    assert CheckoutSession.objects.filter(guid__in=created).count() == 3
