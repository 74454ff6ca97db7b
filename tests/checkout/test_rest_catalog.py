"""The catalog routes of the REST binding (2026-04-08): search, lookup and product detail on the
flower-shop data; every response validated against the release's official schemas."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import InventoryLevel, Product
from checkout.rest import negotiation
from checkout.rest.agent import PlatformProfile
from checkout.rest.catalog import cursor_encode
from orgconfig.selectors import ucp_config_of
from tests.checkout.test_rest_binding import NEW, OLD, RestClient, configure, create_body
from tests.identity.conftest import Identity, basic
from tests.ucp_schemas import schema_errors

SEARCH_SCHEMA = ("schemas/shopping/catalog_search.json", "/$defs/search_response")
LOOKUP_SCHEMA = ("schemas/shopping/catalog_lookup.json", "/$defs/lookup_response")
# The OpenAPI's oneOf: the product, or an error_response when there is none.
PRODUCT_SCHEMA = (
    "services/shopping/rest.openapi.json",
    "/components/schemas/catalog_get_product_response",
)

FLOWER_IDS = {
    "bouquet_roses",
    "pot_ceramic",
    "bouquet_sunflowers",
    "bouquet_tulips",
    "orchid_white",
    "gardenias",
}


def assert_schema(body: dict, schema: tuple[str, str]) -> None:
    if body["ucp"].get("status") == "error":
        # The binding's answer when there is no resource to give (as on the checkout routes).
        schema = ("schemas/shopping/types/error_response.json", "")
    errors = schema_errors(body, NEW, *schema)
    assert not errors, "\n".join(errors[:10])


@pytest.fixture
def shop(flower_shop):
    return flower_shop


@pytest.fixture
def rest(api, shop, platform_credentials):
    auth = basic(platform_credentials["client_id"], platform_credentials["client_secret"])
    return RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=auth)


def search(rest, body=None, **kwargs):
    response = rest.call("post", "/catalog/search", body if body is not None else {}, **kwargs)
    if response.status_code == 200:
        assert_schema(response.json(), SEARCH_SCHEMA)
    return response


def lookup(rest, body, **kwargs):
    response = rest.call("post", "/catalog/lookup", body, **kwargs)
    if response.status_code == 200:
        assert_schema(response.json(), LOOKUP_SCHEMA)
    return response


def product(rest, body, **kwargs):
    response = rest.call("post", "/catalog/product", body, **kwargs)
    if response.status_code == 200:
        assert_schema(response.json(), PRODUCT_SCHEMA)
    return response


def ids_of(body: dict) -> list[str]:
    return [p["id"] for p in body["products"]]


def test_search_finds_products_by_words_of_title_or_id(rest):
    response = search(rest, {"query": "BOUQUET  red"}, headers={"HTTP_REQUEST_ID": "r-7"})

    assert response.status_code == 200
    assert response["Request-Id"] == "r-7"
    body = response.json()
    assert body["ucp"] == {
        "version": NEW,
        "capabilities": {"dev.ucp.shopping.catalog.search": [{"version": NEW}]},
    }
    assert body["pagination"] == {"has_next_page": False}
    (roses,) = body["products"]
    assert roses == {
        "id": "bouquet_roses",
        "title": "Bouquet of Red Roses",
        "description": {"plain": "Bouquet of Red Roses"},
        "price_range": {
            "min": {"amount": 3500, "currency": "USD"},
            "max": {"amount": 3500, "currency": "USD"},
        },
        "variants": [
            {
                "id": "bouquet_roses",
                "title": "Bouquet of Red Roses",
                "description": {"plain": "Bouquet of Red Roses"},
                "price": {"amount": 3500, "currency": "USD"},
                "availability": {"available": True, "status": "in_stock"},
            }
        ],
        "media": [{"type": "image", "url": "https://example.com/roses.jpg"}],
    }

    # Id words match too, and every word must match.
    assert ids_of(search(rest, {"query": "bouquet"}).json()) == [
        "bouquet_roses",
        "bouquet_sunflowers",
        "bouquet_tulips",
    ]
    assert ids_of(search(rest, {"query": "orchid_white"}).json()) == ["orchid_white"]
    assert ids_of(search(rest, {"query": "bouquet orchid"}).json()) == []
    assert ids_of(search(rest, {"query": "100%"}).json()) == []


def test_search_variant_id_is_what_checkout_takes(rest):
    (found,) = search(rest, {"query": "tulips"}).json()["products"]
    item_id = found["variants"][0]["id"]

    response = rest.call("post", "/checkout-sessions", create_body(item=item_id))

    assert response.status_code == 201
    assert response.json()["line_items"][0]["item"]["id"] == "bouquet_tulips"
    # A checkout lists checkout and its extensions, not the catalog capabilities.
    assert not [name for name in response.json()["ucp"]["capabilities"] if ".catalog." in name]


def test_out_of_stock_inactive_and_imageless_products(rest, shop):
    Product.objects.filter(org=shop, public_id="pot_ceramic").update(is_active=False)
    Product.objects.filter(org=shop, public_id="orchid_white").update(image_url="")

    body = search(rest, {"pagination": {"limit": 50}}).json()

    products = {p["id"]: p for p in body["products"]}
    assert set(products) == FLOWER_IDS - {"pot_ceramic"}
    assert products["gardenias"]["variants"][0]["availability"] == {
        "available": False,
        "status": "out_of_stock",
    }
    assert "media" not in products["orchid_white"]
    missing = lookup(rest, {"ids": ["pot_ceramic"]}).json()
    assert missing["products"] == []
    assert product(rest, {"id": "pot_ceramic"}).json()["ucp"]["status"] == "error"


def test_price_filter_is_inclusive(rest):
    body = search(rest, {"filters": {"price": {"min": 2500, "max": 3500}}}).json()
    assert ids_of(body) == ["bouquet_roses", "bouquet_sunflowers", "bouquet_tulips"]

    body = search(rest, {"query": "bouquet", "filters": {"price": {"max": 2999}}}).json()
    assert ids_of(body) == ["bouquet_sunflowers"]

    # In the shop's currency it applies; in a currency we do not price in, it is ignored and said.
    usd = {"filters": {"price": {"max": 1500}}, "context": {"currency": "USD"}}
    assert ids_of(search(rest, usd).json()) == ["pot_ceramic"]
    eur = search(rest, {"filters": {"price": {"max": 1500}}, "context": {"currency": "EUR"}})
    assert len(eur.json()["products"]) == 6
    assert eur.json()["messages"][0]["code"] == "price_filter_ignored"


def test_pagination_walks_every_product_exactly_once(rest, shop):
    extra = Product.objects.bulk_create(
        Product(org=shop, public_id=f"stem_{n:02}", title=f"Stem {n}", price=100 + n)
        for n in range(17)
    )
    InventoryLevel.objects.bulk_create(InventoryLevel(product=p, quantity=5) for p in extra)
    expected = FLOWER_IDS | {p.public_id for p in extra}

    seen, cursor, pages = [], None, 0
    while True:
        pagination = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        body = search(rest, {"pagination": pagination}).json()
        seen += ids_of(body)
        pages += 1
        if not body["pagination"]["has_next_page"]:
            break
        cursor = body["pagination"]["cursor"]
        assert len(body["products"]) == 4

    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert pages == -(-len(expected) // 4)
    assert len(search(rest).json()["products"]) == 10  # the default page size


def test_lookup_returns_found_products_and_a_message_per_unknown_id(rest):
    response = lookup(rest, {"ids": ["gardenias", "nope", "bouquet_roses", "gardenias"]})

    assert response.status_code == 200
    body = response.json()
    assert body["ucp"]["capabilities"] == {"dev.ucp.shopping.catalog.lookup": [{"version": NEW}]}
    assert ids_of(body) == ["gardenias", "bouquet_roses"]
    assert body["products"][0]["variants"][0]["inputs"] == [{"id": "gardenias", "match": "exact"}]
    assert body["messages"] == [
        {
            "type": "info",
            "code": "not_found",
            "path": "$.ids[1]",
            "content": "No product with id nope.",
        }
    ]

    filtered = lookup(
        rest, {"ids": ["gardenias", "orchid_white"], "filters": {"price": {"min": 3000}}}
    )
    assert ids_of(filtered.json()) == ["orchid_white"]
    assert filtered.json()["messages"][0]["path"] == "$.ids[0]"


def test_product_detail_and_not_found(rest):
    response = product(rest, {"id": "orchid_white", "selected": [], "preferences": ["Size"]})

    assert response.status_code == 200
    body = response.json()
    assert body["product"]["id"] == "orchid_white"
    assert body["product"]["price_range"]["min"] == {"amount": 4500, "currency": "USD"}
    assert body["ucp"]["capabilities"] == {"dev.ucp.shopping.catalog.lookup": [{"version": NEW}]}

    missing = product(rest, {"id": "no_such_flower"})
    assert missing.status_code == 200
    assert missing.json() == {
        "ucp": {"version": NEW, "status": "error"},
        "messages": [
            {
                "type": "error",
                "code": "not_found",
                "content": "No product with id no_such_flower.",
                "path": "$.id",
                "severity": "unrecoverable",
            }
        ],
    }


ROUTES = [
    ("/catalog/search", {"query": "roses"}),
    ("/catalog/lookup", {"ids": ["bouquet_roses"]}),
    ("/catalog/product", {"id": "bouquet_roses"}),
]


@pytest.mark.parametrize("path, body", ROUTES)
def test_routes_do_not_exist_in_2026_01_11(rest, path, body):
    response = rest.call("post", path, body, version=OLD)

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert response.json()["messages"][0]["code"] == "not_found"


@pytest.mark.parametrize("path, body", ROUTES)
def test_routes_answer_not_found_when_the_catalog_is_off(rest, shop, path, body):
    configure(shop, capabilities={**ucp_config_of(org=shop).capabilities, "catalog": False})

    response = rest.call("post", path, body)

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "content": "Not offered by this shop."}
    # Checkout is untouched.
    assert rest.call("post", "/checkout-sessions", create_body()).status_code == 201


@pytest.mark.parametrize("path, body", ROUTES)
def test_credentials_are_required(api, shop, path, body):
    anonymous = RestClient(api, shop.orgcode)

    response = anonymous.call("post", path, body)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_a_buyer_token_reads_the_catalog_whatever_its_scopes(api, shop, platform_credentials):
    identity = Identity(
        shop, platform_credentials["platform"], platform_credentials["client_secret"]
    )
    access_token = identity.tokens(scope="profile")["access_token"]
    buyer = RestClient(api, shop.orgcode, HTTP_AUTHORIZATION=f"Bearer {access_token}")

    assert ids_of(search(buyer, {"query": "roses"}).json()) == ["bouquet_roses"]
    assert ids_of(lookup(buyer, {"ids": ["gardenias"]}).json()) == ["gardenias"]
    assert product(buyer, {"id": "gardenias"}).json()["product"]["id"] == "gardenias"


def test_another_orgs_products_never_appear(rest, other_org):
    Product.objects.create(org=other_org, public_id="secret_rose", title="Secret Rose", price=1)
    Product.objects.create(org=other_org, public_id="orchid_black", title="Orchid", price=1)

    assert ids_of(search(rest, {"query": "rose"}).json()) == ["bouquet_roses"]
    assert ids_of(search(rest, {"query": "orchid"}).json()) == ["orchid_white"]
    assert ids_of(lookup(rest, {"ids": ["secret_rose"]}).json()) == []
    assert product(rest, {"id": "secret_rose"}).json()["ucp"]["status"] == "error"


BAD_INPUT = [
    ("/catalog/search", [], "body"),
    ("/catalog/search", {"query": 7}, "query"),
    ("/catalog/search", {"query": "x" * 257}, "query"),
    ("/catalog/search", {"query": " ".join(f"w{n}" for n in range(17))}, "query"),
    ("/catalog/search", {"pagination": {"limit": 0}}, "pagination.limit"),
    ("/catalog/search", {"pagination": {"limit": -3}}, "pagination.limit"),
    ("/catalog/search", {"pagination": {"limit": 10**30}}, "pagination.limit"),
    ("/catalog/search", {"pagination": {"limit": "5"}}, "pagination.limit"),
    ("/catalog/search", {"pagination": {"limit": True}}, "pagination.limit"),
    ("/catalog/search", {"pagination": "all"}, "pagination"),
    ("/catalog/search", {"pagination": {"cursor": "not a cursor!"}}, "pagination.cursor"),
    ("/catalog/search", {"pagination": {"cursor": "YWJj"}}, "pagination.cursor"),
    ("/catalog/search", {"pagination": {"cursor": 12}}, "pagination.cursor"),
    ("/catalog/search", {"pagination": {"cursor": "A" * 5000}}, "pagination.cursor"),
    ("/catalog/search", {"filters": {"colour": "red"}}, "filters.colour"),
    ("/catalog/search", {"filters": {"categories": ["flowers"]}}, "filters.categories"),
    ("/catalog/search", {"filters": []}, "filters"),
    ("/catalog/search", {"filters": {"price": {"min": -1}}}, "filters.price.min"),
    ("/catalog/search", {"filters": {"price": {"max": 1.5}}}, "filters.price.max"),
    ("/catalog/search", {"filters": {"price": {"max": 2**64}}}, "filters.price.max"),
    ("/catalog/search", {"filters": {"price": {"min": 9, "max": 1}}}, "filters.price.min"),
    ("/catalog/search", {"filters": {"price": {"below": 1}}}, "filters.price.below"),
    ("/catalog/search", {"context": "US"}, "context"),
    ("/catalog/search", {"context": {"currency": 840}}, "context.currency"),
    ("/catalog/search", {"signals": []}, "signals"),
    ("/catalog/lookup", {}, "ids"),
    ("/catalog/lookup", {"ids": []}, "ids"),
    ("/catalog/lookup", {"ids": "bouquet_roses"}, "ids"),
    ("/catalog/lookup", {"ids": [f"id{n}" for n in range(51)]}, "ids"),
    ("/catalog/lookup", {"ids": ["ok", 5]}, "ids[1]"),
    ("/catalog/lookup", {"ids": [""]}, "ids[0]"),
    ("/catalog/lookup", {"ids": ["x" * 101]}, "ids[0]"),
    ("/catalog/product", {}, "id"),
    ("/catalog/product", {"id": ["bouquet_roses"]}, "id"),
    ("/catalog/product", {"id": "gardenias", "selected": "red"}, "selected"),
    ("/catalog/product", {"id": "gardenias", "preferences": [1]}, "preferences"),
]


@pytest.mark.parametrize("path, body, field", BAD_INPUT)
def test_bad_input_is_400_naming_the_field(rest, path, body, field):
    response = rest.call("post", path, body)

    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] == "invalid_request"
    if field != "body":
        assert error["content"].startswith(f"{field}: ")


def test_a_body_that_is_not_json_is_400(rest):
    response = rest.api.post(
        "/ucp/rest/FLOWERS/catalog/search",
        data="{not json",
        content_type="application/json",
        **rest.auth,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


def test_a_forged_cursor_just_continues_after_its_id(rest):
    body = search(rest, {"pagination": {"cursor": cursor_encode("gardenias")}}).json()

    assert ids_of(body) == ["orchid_white", "pot_ceramic"]


def test_the_platform_profile_must_list_the_capability(rest, monkeypatch):
    profile = PlatformProfile(
        reachable=True,
        version=NEW,
        capabilities={"dev.ucp.shopping.checkout": [NEW], "dev.ucp.shopping.catalog.lookup": []},
    )
    monkeypatch.setattr(negotiation, "platform_profile", lambda url: profile)

    refused = search(rest, {"query": "roses"})
    assert refused.status_code == 200
    assert refused.json()["messages"][0]["code"] == "capabilities_incompatible"
    assert ids_of(lookup(rest, {"ids": ["gardenias"]}).json()) == ["gardenias"]


def count_queries(rest, path, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = rest.call("post", path, body)
    assert response.status_code == 200, response.content
    return len(queries)


def test_queries_do_not_grow_with_the_result(rest, shop):
    extra = Product.objects.bulk_create(
        Product(org=shop, public_id=f"stem_{n:02}", title=f"Stem {n}", price=100 + n)
        for n in range(40)
    )
    InventoryLevel.objects.bulk_create(InventoryLevel(product=p, quantity=5) for p in extra)
    count_queries(rest, "/catalog/search", {})  # warms per-process caches

    one = count_queries(rest, "/catalog/search", {"pagination": {"limit": 1}})
    fifty = count_queries(rest, "/catalog/search", {"pagination": {"limit": 50}})
    one_id = count_queries(rest, "/catalog/lookup", {"ids": ["stem_00"]})
    fifty_ids = count_queries(rest, "/catalog/lookup", {"ids": [p.public_id for p in extra]})

    assert one == fifty
    assert one_id == fifty_ids
    assert fifty <= 8
