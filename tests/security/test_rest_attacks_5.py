"""Fifth adversarial pass: the changes of 2026-12-04 (open shops honouring credentials, reads
that expire a session, restocking canceled orders, version-aware capability intersection, Allow
on 405). Every answer is JSON with a stable code, never a 500, and no write is lost or doubled."""

import base64

import pytest

from checkout.models import CheckoutSession
from tests.checkout.test_rest_binding import (
    NEW,
    OLD,
    RestClient,
    configure,
    create,
    create_body,
)


@pytest.fixture
def rest(api, flower_shop, platform_credentials):
    api.raise_request_exception = False
    token = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"
    basic = "Basic " + base64.b64encode(token.encode()).decode()
    return RestClient(api, flower_shop.orgcode, HTTP_AUTHORIZATION=basic)


@pytest.fixture
def open_shop(flower_shop):
    configure(flower_shop, rest_auth="none")
    return flower_shop


@pytest.mark.parametrize("version", [NEW, OLD])
def test_a_basic_header_with_non_ascii_characters_is_401_not_500(api, flower_shop, version):
    """b64decode raises a bare ValueError on a str holding non-ASCII characters, which the
    Basic parser did not catch: a 500 on every REST and seed route, and on open shops too."""
    api.raise_request_exception = False
    client = RestClient(api, flower_shop.orgcode, HTTP_AUTHORIZATION="Basic \u00e9t\u00e9")

    rest = client.call("post", "/checkout-sessions", create_body(), version=version)
    seed = api.post(
        "/ucp/checkout/get",
        data='{"checkout_guid": "x"}',
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic \u00e9t\u00e9",
    )

    assert rest.status_code == 401, rest.content
    assert seed.status_code == 401, seed.content
    assert seed.json()["error"]["error_code"] == "unauthorized"
    assert not CheckoutSession.objects.exists()


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic", "Digest abc"])
def test_an_open_shop_refuses_an_empty_or_malformed_authorization(api, open_shop, header):
    """An empty Authorization was taken for none and the caller acted as the anonymous platform;
    a client whose token went missing must be told, as it is for any other malformed header."""
    api.raise_request_exception = False
    client = RestClient(api, open_shop.orgcode, HTTP_AUTHORIZATION=header)

    response = client.call("post", "/checkout-sessions", create_body())

    assert response.status_code == 401, response.content
    assert response.json()["code"] == "unauthorized"
    assert not CheckoutSession.objects.exists()
    anonymous = RestClient(api, open_shop.orgcode).call("post", "/checkout-sessions", create_body())
    assert anonymous.status_code == 201, anonymous.content


def test_head_is_served_wherever_get_is(rest):
    """HEAD on a session or an order was 405 with an Allow that listed GET; RFC 9110 has HEAD
    wherever GET is. It answers as GET would, without the body."""
    created = create(rest)
    path = f"/checkout-sessions/{created['id']}"

    head = rest.call("head", path)
    get = rest.call("get", path)
    refused = rest.call("delete", path)
    post_only = rest.call("head", "/checkout-sessions")

    assert head.status_code == 200, head.content
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"] == "application/json"
    assert (refused.status_code, refused["Allow"]) == (405, "GET, HEAD, PUT")
    assert (post_only.status_code, post_only["Allow"]) == (405, "POST")


def test_an_open_shop_checks_an_api_key_sent_anyway(api, open_shop, platform_credentials):
    """A platform of a shop switched from api_key to none still sends its key: a good one is that
    platform, a wrong one is 401, never the anonymous caller."""
    api.raise_request_exception = False
    good = f"{platform_credentials['client_id']}:{platform_credentials['client_secret']}"

    keyed = RestClient(api, open_shop.orgcode, HTTP_X_API_KEY=good)
    wrong = RestClient(api, open_shop.orgcode, HTTP_X_API_KEY=f"{good}x")

    created = keyed.call("post", "/checkout-sessions", create_body())
    assert created.status_code == 201, created.content
    session = CheckoutSession.objects.get(guid=created.json()["id"])
    assert session.platform == platform_credentials["platform"]
    assert wrong.call("post", "/checkout-sessions", create_body()).status_code == 401
