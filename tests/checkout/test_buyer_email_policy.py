"""An org decides whether completing a checkout needs the buyer's email."""

import pytest

from orgconfig.selectors import ucp_config_view
from orgconfig.services import ucp_config_set
from tests.checkout.support import cart, shipping
from ucp import errors


def test_email_is_required_by_default(flower_shop, as_platform):
    data = as_platform.post(
        "checkout/create", cart(("bouquet_roses", 1), **shipping(option_id="std-ship"))
    ).json()["data"]

    assert data["status"] == "incomplete"
    assert [m["path"] for m in data["messages"] if m["type"] == "error"] == ["$.buyer.email"]


def test_an_org_can_drop_the_email_requirement(flower_shop, as_platform, admin):
    revision = ucp_config_view(org=flower_shop)["revision"]
    response = admin.post(
        "config/set", {"expected_revision": revision, "buyer_email_required": False}
    )
    assert response.status_code == 200, response.content

    data = as_platform.post(
        "checkout/create", cart(("bouquet_roses", 1), **shipping(option_id="std-ship"))
    ).json()["data"]

    assert data["status"] == "ready_for_complete"
    completed = as_platform.post("checkout/complete", {"checkout_guid": data["checkout_guid"]})
    assert completed.json()["data"]["status"] == "completed"


def test_the_flag_must_be_a_boolean(flower_shop):
    revision = ucp_config_view(org=flower_shop)["revision"]

    with pytest.raises(errors.InvalidInput) as refused:
        ucp_config_set(
            org=flower_shop,
            actor="test",
            expected_revision=revision,
            changes={"buyer_email_required": "no"},
        )

    assert refused.value.details["fields"] == {"buyer_email_required": ["must be true or false"]}
