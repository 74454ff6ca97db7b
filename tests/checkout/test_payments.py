"""Payment handlers at completion: mock accepts and declines (tokens and sandbox test cards),
none, what the org offers, and credentials that are never stored, echoed or logged."""

import json
import logging

import pytest
from django.utils import timezone

from catalog.models import InventoryLevel
from checkout.models import CheckoutSession
from checkout.payments import (
    PaymentInstrument,
    luhn_valid,
    offered_handlers,
    registered_handler_names,
)
from orders.models import Order
from orgconfig.models import AuditEntry, default_payment_handlers
from orgconfig.selectors import org_settings
from tests.checkout.support import (
    BUYER,
    FAILING_CARD,
    SUCCESS_CARD,
    cart,
    pay,
    raw_card_credential,
    shipping,
)
from ucp.models import IdempotencyRecord


@pytest.fixture
def shop(flower_shop, as_platform):
    return as_platform


@pytest.fixture
def ready(shop):
    body = cart(("bouquet_tulips", 2), buyer=BUYER, **shipping("std-ship"))
    data = shop.post("checkout/create", body).json()["data"]
    assert data["status"] == "ready_for_complete"
    return data["checkout_guid"]


def complete(shop, guid, **body):
    return shop.post("checkout/complete", {"checkout_guid": guid, **body})


def test_mock_success_token_captures(shop, ready, caplog):
    caplog.set_level(logging.DEBUG)

    response = complete(shop, ready, **pay(SUCCESS_CARD))

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["status"] == "completed"
    assert data["payment"] == {
        "instruments": [
            {
                "id": "instr_1",
                "handler_id": "mock_payment_handler",
                "type": "card",
                "brand": "Visa",
                "last_digits": "1234",
                "selected": True,
            }
        ]
    }
    order = Order.objects.get(guid=data["scm_order_guid"])
    assert (order.payment_handler_id, order.payment_status) == ("mock_payment_handler", "captured")
    assert order.totals[-1]["amount"] == 6500
    assert "success_token" not in response.content.decode()
    assert "success_token" not in json.dumps(order.payment)
    assert all("success_token" not in record.getMessage() for record in caplog.records)
    assert all(
        "success_token" not in json.dumps(record.__dict__, default=str) for record in caplog.records
    )


def test_declined_payment_leaves_the_session_completable(shop, ready, caplog):
    caplog.set_level(logging.DEBUG)

    declined = complete(shop, ready, **pay(FAILING_CARD))

    assert declined.status_code == 402
    error = declined.json()["error"]
    assert error["error_code"] == "payment-declined"
    assert error["details"]["messages"][0]["code"] == "payment_declined"
    assert error["details"]["messages"][0]["path"] == "$.payment.instruments[0]"
    assert Order.objects.count() == 0
    assert InventoryLevel.objects.get(product__public_id="bouquet_tulips").quantity == 1500
    session = shop.post("checkout/get", {"checkout_guid": ready}).json()["data"]
    assert session["status"] == "ready_for_complete"
    assert any(m["code"] == "payment_declined" for m in session["messages"])
    assert "fail_token" not in declined.content.decode()
    assert all("fail_token" not in json.dumps(r.__dict__, default=str) for r in caplog.records)

    retried = complete(shop, ready, **pay(SUCCESS_CARD))

    assert retried.status_code == 200
    assert retried.json()["data"]["status"] == "completed"
    assert not any(m["code"] == "payment_declined" for m in retried.json()["data"]["messages"])
    assert Order.objects.count() == 1
    assert InventoryLevel.objects.get(product__public_id="bouquet_tulips").quantity == 1498


def test_none_handler_completes_without_payment(shop, ready):
    response = complete(shop, ready)

    assert response.status_code == 200
    order = Order.objects.get()
    assert (order.payment_handler_id, order.payment_status) == ("none", "none")


def test_handler_the_org_does_not_offer_is_rejected(shop, ready, flower_shop):
    settings = org_settings(org=flower_shop)
    settings.payment_handlers = ["none"]
    settings.save()

    response = complete(shop, ready, **pay(SUCCESS_CARD))

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == [
        "payment.instruments[0].handler_id"
    ]
    assert CheckoutSession.objects.get(guid=ready).status == "ready_for_complete"


def test_unknown_handler_is_rejected(shop, ready):
    response = complete(shop, ready, **pay({**SUCCESS_CARD, "handler_id": "gold_bars"}))

    assert response.status_code == 400
    assert Order.objects.count() == 0


def test_org_offering_only_mock_needs_an_instrument(shop, ready, flower_shop):
    settings = org_settings(org=flower_shop)
    settings.payment_handlers = ["mock"]
    settings.save()

    response = complete(shop, ready)

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]["fields"]) == ["payment.instruments"]
    assert complete(shop, ready, **pay()).status_code == 200


def test_selected_instrument_is_the_one_charged(shop, ready):
    failing = {**FAILING_CARD}
    chosen = {**SUCCESS_CARD, "id": "instr_2", "selected": True}

    response = complete(shop, ready, payment={"instruments": [failing, chosen]})

    assert response.status_code == 200
    assert response.json()["data"]["payment"]["instruments"][0]["id"] == "instr_2"


@pytest.mark.parametrize(
    "payment, field",
    [
        ({"instruments": "card"}, "payment.instruments"),
        ({"instruments": [{"id": "x"}]}, "payment.instruments[0].handler_id"),
        (
            {"instruments": [{**SUCCESS_CARD, "credential": "tok"}]},
            "payment.instruments[0].credential",
        ),
    ],
)
def test_malformed_payment_is_invalid_input(shop, ready, payment, field):
    response = complete(shop, ready, payment=payment)

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]["fields"]


def test_default_offer_and_registry():
    assert {"mock", "none"} <= set(registered_handler_names())
    assert offered_handlers(configured_names=[]) == []
    assert [
        h.handler_id for h in offered_handlers(configured_names=default_payment_handlers())
    ] == [
        "mock_payment_handler",
        "none",
    ]
    assert [h.name for h in offered_handlers(configured_names=["mock_payment_handler", "x"])] == [
        "mock"
    ]


def card(number, **fields) -> dict:
    """A card instrument with a raw card credential, as the conformance suite sends it."""
    credential = raw_card_credential(number, **fields)
    return {**SUCCESS_CARD, "id": "instr_card", "last_digits": "1111", "credential": credential}


def assert_nowhere(secrets, *, response, caplog) -> None:
    """The card number and CVC are in no response, stored session or order, idempotency record,
    audit entry or log line."""
    stored = [
        response.content.decode(),
        json.dumps(list(CheckoutSession.objects.values("payment", "messages")), default=str),
        json.dumps(list(Order.objects.values("payment", "payment_reference")), default=str),
        json.dumps(list(AuditEntry.objects.values()), default=str),
        "".join(bytes(r.response_body or b"").decode() for r in IdempotencyRecord.objects.all()),
        json.dumps([r.__dict__ for r in caplog.records], default=str),
    ]
    for secret in secrets:
        assert all(secret not in text for text in stored), secret


@pytest.mark.parametrize(
    "number, brand",
    [
        ("4242424242424242", "visa"),
        ("4242 4242 4242 4242", "visa"),
        ("5555555555554444", "mastercard"),
    ],
)
def test_mock_captures_sandbox_test_cards(shop, ready, caplog, number, brand):
    caplog.set_level(logging.DEBUG)

    response = complete(shop, ready, idempotency_key="card-1", **pay(card(number)))

    assert response.status_code == 200, response.content
    (used,) = response.json()["data"]["payment"]["instruments"]
    # The card's own brand and last digits, not what the platform claimed ("1111").
    assert (used["brand"], used["last_digits"]) == (brand, number[-4:])
    assert "credential" not in used
    order = Order.objects.get()
    assert (order.payment_status, order.payment["last_digits"]) == ("captured", number[-4:])
    assert IdempotencyRecord.objects.filter(response_body__isnull=False).exists()
    assert_nowhere([number.replace(" ", ""), number, "John Doe"], response=response, caplog=caplog)


def test_card_expiring_this_month_still_captures(shop, ready):
    today = timezone.now()

    response = complete(
        shop,
        ready,
        **pay(card("4242424242424242", expiry_month=today.month, expiry_year=today.year)),
    )

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "number, fields, reason",
    [
        ("4000000000000002", {}, "The card was declined."),  # the sandbox's generic decline
        ("4111111111111111", {}, "The card was declined."),  # valid, but not a test card here
        ("4242424242424241", {}, "The card number is not valid."),  # fails the Luhn check
        ("4242-abcd", {}, "The card number is not valid."),
        ("42", {}, "The card number is not valid."),
        ("４２４２４２４２４２４２４２４２", {}, "The card number is not valid."),  # not ASCII
        (None, {}, "The card number is not valid."),  # no number at all
        ("4242424242424242", {"expiry_year": 2020}, "The card has expired."),
        ("4242424242424242", {"expiry_month": 13}, "The card's expiry date is not valid."),
        ("4242424242424242", {"expiry_month": None}, "The card's expiry date is not valid."),
        ("4242424242424242", {"cvc": "12"}, "The card's security code is not valid."),
    ],
)
def test_mock_declines_other_cards(shop, ready, caplog, number, fields, reason):
    caplog.set_level(logging.DEBUG)
    instrument = card(number, **fields)
    instrument["credential"] = {k: v for k, v in instrument["credential"].items() if v is not None}

    response = complete(shop, ready, **pay(instrument))

    assert response.status_code == 402, response.content
    (declined,) = response.json()["error"]["details"]["messages"]
    assert declined["code"] == "payment_declined"
    assert declined["content"].startswith(reason)
    assert Order.objects.count() == 0
    assert CheckoutSession.objects.get(guid=ready).status == "ready_for_complete"
    assert_nowhere([number] if number and len(number) > 4 else [], response=response, caplog=caplog)


def test_card_credential_fields_are_type_checked(shop, ready):
    response = complete(shop, ready, **pay(card("4242424242424242", expiry_month="12", cvc=123)))

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]["fields"]) == {
        "payment.instruments[0].credential.expiry_month",
        "payment.instruments[0].credential.cvc",
    }
    assert "4242424242424242" not in response.content.decode()


def test_luhn_check():
    assert luhn_valid("4242424242424242")
    assert luhn_valid("5555555555554444")
    assert luhn_valid("4000000000000002")
    assert not luhn_valid("4242424242424241")
    assert not luhn_valid("1234567812345678")


def test_card_numbers_in_display_data_are_never_stored(shop, ready, caplog):
    # A platform that puts the full number in display fields by mistake: stored nowhere, while
    # the display data that is fine (the brand, a description without a number) stays.
    caplog.set_level(logging.DEBUG)
    instrument = {
        **SUCCESS_CARD,
        "last_digits": "5556",
        "display": {
            "description": "Debit card 4000 0566 5566 5556",
            "art": {"alt": ["4000-0566-5566-5556"]},
            "nickname": "Everyday",
        },
    }

    response = complete(shop, ready, idempotency_key="display-1", **pay(instrument))

    assert response.status_code == 200, response.content
    (used,) = response.json()["data"]["payment"]["instruments"]
    assert (used["brand"], used["last_digits"], used["nickname"]) == ("Visa", "5556", "Everyday")
    assert "description" not in used and "art" not in used
    assert_nowhere(["4000056655665556", "0566 5566", "0566-5566"], response=response, caplog=caplog)


def test_last_digits_are_only_ever_four():
    shown = PaymentInstrument(id="i", handler_id="h", display={"last_digits": "x1234567"}).public()

    assert shown["last_digits"] == "4567"


def test_card_numbers_written_otherwise_in_display_data_are_never_stored(shop, ready, caplog):
    """Only 13 to 19 ASCII digits grouped by single spaces or dashes, as the longest match, in
    string or integer values were found: a number followed by its expiry or CVC, written with
    dots or non-breaking spaces, in full-width digits, as a float or as a key (nested, or the
    member's own name) was kept in the session, the order and the responses."""
    caplog.set_level(logging.DEBUG)
    full_width = "".join(chr(0xFF10 + int(d)) for d in "4000056655665556")
    display = {
        "with_expiry": "4000 0566 5566 5556 12/30",
        "with_cvc": "4000056655665556-123",
        "dotted": "4000.0566.5566.5556",
        "nbsp": "4000\u00a00566\u00a05566\u00a05556",
        "full_width": full_width,
        "as_float": 4000056655665556.0,
        "as_key": {"4000056655665556": True},
        "4000 0566 5566 5556": "as a member's own name",
        "nickname": "Everyday",
        "expires": "12/2030",
        "since": "2026-04-08T12:30:00Z",
        # 04, 08 and 1234567895 would pass the Luhn check as one number.
        "card_art": "https://cdn.example.com/art/2026/04/08/1234567895_2030.png",
    }
    instrument = {**SUCCESS_CARD, "last_digits": "5556", "display": display}

    response = complete(shop, ready, idempotency_key="display-2", **pay(instrument))

    assert response.status_code == 200, response.content
    (used,) = response.json()["data"]["payment"]["instruments"]
    kept = {"nickname", "expires", "since", "card_art"}
    assert kept <= set(used) and not (set(display) - kept) & set(used)
    assert_nowhere(
        ["4000056655665556", "0566 5566", "0566.5566", "0566\u00a05566", full_width],
        response=response,
        caplog=caplog,
    )


def test_display_data_beyond_its_bounds_is_not_kept():
    display = {"brand": "Visa", "huge": "y" * 5000, **{f"f{n}": n for n in range(40)}}

    shown = PaymentInstrument(id="i", handler_id="h", display=display).public()

    assert shown["brand"] == "Visa" and "huge" not in shown
    assert len(shown) - 3 <= 32
