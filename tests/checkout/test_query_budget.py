"""The SQL queries of create, get, update and complete do not grow with the number of lines."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import InventoryLevel, Product
from tests.checkout.support import BUYER, codes, pay, shipping


@pytest.fixture
def shop(flower_shop, as_platform):
    products = Product.objects.bulk_create(
        Product(org=flower_shop, public_id=f"stem_{n:02}", title=f"Stem {n}", price=100 + n)
        for n in range(40)
    )
    InventoryLevel.objects.bulk_create(InventoryLevel(product=p, quantity=50) for p in products)
    return as_platform


def counted(shop, route, body, expected_status=200):
    with CaptureQueriesContext(connection) as queries:
        response = shop.post(route, body)
    assert response.status_code == expected_status, response.content
    return response.json()["data"], len(queries)


def measure(shop, line_count: int, idempotency: bool) -> dict[str, int]:
    lines = [{"item": {"id": f"stem_{n:02}"}, "quantity": 1} for n in range(line_count)]
    keyed = (
        (lambda name: {"idempotency_key": f"{name}-{line_count}"})
        if idempotency
        else (lambda name: {})
    )
    body = {"line_items": lines, "buyer": BUYER, **codes("10OFF"), **shipping("std-ship")}
    counts = {}

    data, counts["create"] = counted(shop, "checkout/create", {**body, **keyed("c")}, 201)
    guid = data["checkout_guid"]
    _, counts["get"] = counted(shop, "checkout/get", {"checkout_guid": guid})
    data, counts["update"] = counted(
        shop,
        "checkout/update",
        {"checkout_guid": guid, "expected_revision": 1, **body, **codes("FIXED500"), **keyed("u")},
    )
    assert data["status"] == "ready_for_complete"
    data, counts["complete"] = counted(
        shop, "checkout/complete", {"checkout_guid": guid, **pay(), **keyed("p")}
    )
    assert data["status"] == "completed"
    assert len(data["line_items"]) == line_count
    return counts


@pytest.mark.parametrize("idempotency", [False, True], ids=["plain", "idempotency-key"])
def test_query_counts_do_not_grow_with_line_items(shop, idempotency):
    one = measure(shop, 1, idempotency)
    forty = measure(shop, 40, idempotency)

    label = "with" if idempotency else "without"
    print(f"\nquery counts ({label} key): 1 line {one}, 40 lines {forty}")
    assert one == forty


def test_a_rest_binding_call_reads_the_org_config_once(api, flower_shop, platform_credentials):
    """The binding consults the config for auth, versions, capabilities, handlers and links;
    within one call it is read from the database once (orgconfig ucp_configs_read_once)."""
    from tests.checkout.test_rest_binding import RestClient, create_body
    from tests.identity.conftest import basic

    client = RestClient(
        api,
        flower_shop.orgcode,
        HTTP_AUTHORIZATION=basic(
            platform_credentials["client_id"], platform_credentials["client_secret"]
        ),
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.call("post", "/checkout-sessions", create_body(), key="budget-1")

    assert response.status_code == 201, response.content
    config_reads = [q for q in queries.captured_queries if "orgconfig_ucpconfig" in q["sql"]]
    assert len(config_reads) == 1
