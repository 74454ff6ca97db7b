"""A hostile platform shaping what a completed checkout and its order say about the payment."""

import json

import pytest

from orders.models import Order
from tests.checkout.support import BUYER, SUCCESS_CARD, cart, pay, shipping

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(flower_shop, as_platform):
    body = cart(("bouquet_tulips", 1), buyer=BUYER, **shipping("std-ship"))
    data = as_platform.post("checkout/create", body).json()["data"]
    assert data["status"] == "ready_for_complete"
    return data["checkout_guid"]


def test_display_cannot_rewrite_the_instrument_or_smuggle_a_credential(as_platform, ready):
    card = {
        **SUCCESS_CARD,
        "display": {
            "id": "instr_spoofed",
            "handler_id": "none",
            "type": "gift_card",
            "credential": {"type": "token", "token": "success_token"},
            "nickname": "work card",
        },
    }

    response = as_platform.post("checkout/complete", {"checkout_guid": ready, **pay(card)})

    assert response.status_code == 200, response.content
    (used,) = response.json()["data"]["payment"]["instruments"]
    assert used["id"] == "instr_1"
    assert used["handler_id"] == "mock_payment_handler"
    assert used["type"] == "card"
    assert used["nickname"] == "work card"
    assert "credential" not in used
    order = Order.objects.get()
    assert order.payment["id"] == "instr_1"
    assert "success_token" not in json.dumps(order.payment)
