"""Payment handlers: the pluggable part of completion that takes the buyer's money.

A handler has a `name` (what an org lists in `OrgSettings.payment_handlers`), a `handler_id` (what
a platform puts in a payment instrument's `handler_id`, and what UCP profiles advertise), and one
method, `charge`, which either captures the amount or declines. The checkout service only talks to
this registry, so a new handler (a real PSP) is a new class plus one `register()` call at import
time, without touching the checkout service.

Credentials (tokens, card numbers) reach a handler inside `PaymentInstrument.credential`. They are
never part of a repr, never stored, never echoed in a response and never logged; what a handler
learns about a card that may be shown (brand, last digits) comes back in `PaymentResult.display`.
"""

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Protocol

from django.utils import timezone

from ucp import errors

logger = logging.getLogger(__name__)


class PaymentDeclined(errors.ServiceError):
    error_code = "payment-declined"
    http_status = 402
    default_message = "The payment was declined; the checkout can be completed with another one."


@dataclass(frozen=True)
class PaymentInstrument:
    """One instrument from `payment.instruments[]`; `credential` stays out of every repr."""

    id: str
    handler_id: str
    type: str = "card"
    display: dict = field(default_factory=dict)
    credential: dict = field(default_factory=dict, repr=False)

    def public(self) -> dict:
        """What may be shown back: the instrument without its credential. A platform's display
        data can neither rename the instrument or its handler nor carry a `credential` into the
        session and the order. A JSON null says no more than an absent field, and no schema
        types a display field as null, so it is dropped. Display data is a few short fields; what
        goes beyond MAX_DISPLAY_MEMBERS members of MAX_DISPLAY_MEMBER_CHARS is not kept, which
        bounds both what every order stores and the card-number scan below."""
        fixed = {"id": self.id, "handler_id": self.handler_id, "type": self.type}
        display = {
            key: value
            for key, value in list(self.display.items())[:MAX_DISPLAY_MEMBERS]
            if key not in fixed
            and key != "credential"
            and value is not None
            and len(json.dumps([key, value], default=str)) <= MAX_DISPLAY_MEMBER_CHARS
            and not holds_card_number(key)
            and not holds_card_number(value)
        }
        if isinstance(display.get("last_digits"), str):
            display["last_digits"] = display["last_digits"][-4:]
        return {**fixed, **display}


MAX_DISPLAY_MEMBERS = 32
MAX_DISPLAY_MEMBER_CHARS = 2048

# Digit groups as card numbers get written: joined by one to three spaces (any Unicode space),
# dashes or dots. Not slashes or underscores: no one writes a card number with them, while
# URLs (card art) and dates do join digits with them, and taking those for card numbers would
# drop legitimate display data. A number is 13 to 19 digits made of whole groups; the run may
# go on around it (an expiry or a CVV after it, a count before it), so every window of whole
# groups is checked, not only the longest match.
CARD_NUMBER_RUN = re.compile(r"[0-9]+(?:[\s\-.\u2010-\u2015\u2212]{1,3}[0-9]+)*")
DIGIT_GROUP = re.compile(r"[0-9]+")
LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def holds_card_number(value) -> bool:
    """Whether display data a platform sent contains what looks like a full card number.

    Display data is stored with the order and shown in responses and webhooks; a platform that
    puts the card number there by mistake must not make us store it (PCI DSS forbids keeping a
    full number outside a vault). Such a member is dropped; real display data never needs more
    than the last four digits. Keys are searched as well as values, numbers whether JSON gave
    them as integers or floats, and digits of any script (a full-width PAN is still the PAN).
    A run of digits joined by separators may hold a card number anywhere along it, so roughly
    one run in ten of 13 or more digits matches by chance (the Luhn check passes); display
    data is short and rarely holds such runs.

    Known limit: a number cut in pieces over several keys or list items is not put back
    together; joining them would also join unrelated numbers (a postcode and a phone number)
    into false matches that drop legitimate data. The body parser bounds the nesting, so the
    recursion here stays shallow."""
    if isinstance(value, dict):
        return any(holds_card_number(key) or holds_card_number(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_card_number(item) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return False
    if not value.isascii():
        value = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in value)
    return any(digit_run_holds_card_number(run.group()) for run in CARD_NUMBER_RUN.finditer(value))


def luhn_sums(group: str) -> tuple[int, int]:
    """A group's part of a Luhn sum when its last digit is at an even, and at an odd, position
    from the right end of the number."""
    even = odd = 0
    for offset, character in enumerate(reversed(group)):
        digit = ord(character) - 48
        if offset % 2:
            even, odd = even + LUHN_DOUBLED[digit], odd + digit
        else:
            even, odd = even + digit, odd + LUHN_DOUBLED[digit]
    return even, odd


def digit_run_holds_card_number(run: str) -> bool:
    """Some window of whole groups of the run is 13 to 19 digits with a valid Luhn check digit.
    Sums per group keep the work linear in the run (a 1 MB body is scanned in about a second
    even in single-digit groups)."""
    groups = [(len(group), *luhn_sums(group)) for group in DIGIT_GROUP.findall(run)]
    for end in range(len(groups)):
        length = total = 0
        for start in range(end, -1, -1):
            size, even, odd = groups[start]
            total += odd if length % 2 else even
            length += size
            if length > 19:
                break
            if length >= 13 and total % 10 == 0:
                return True
    return False


@dataclass(frozen=True)
class PaymentRequest:
    instruments: tuple[PaymentInstrument, ...] = ()
    selected_instrument_id: str | None = None


@dataclass(frozen=True)
class PaymentResult:
    status: str  # captured | none | declined
    reference: str = ""
    reason: str = ""
    # What the handler learned about the instrument that may be shown with it (a card's brand
    # and last digits); it takes precedence over what the platform said.
    display: dict = field(default_factory=dict)

    @property
    def declined(self) -> bool:
        return self.status == "declined"


@dataclass(frozen=True)
class ChargeContext:
    """What a handler may know about the charge: no ORM objects, so handlers stay portable."""

    org_id: int
    checkout_guid: str
    currency: str
    amount: int


class PaymentHandler(Protocol):
    name: str
    handler_id: str
    needs_instrument: bool

    def charge(
        self, *, context: ChargeContext, instrument: PaymentInstrument | None
    ) -> PaymentResult: ...


def ascii_digits(value) -> bool:
    # str.isdigit() also takes digits such as "²" that int() refuses.
    return isinstance(value, str) and DIGIT_GROUP.fullmatch(value) is not None


def luhn_valid(number: str) -> bool:
    """The Luhn check digit of a card number (a string of ASCII digits) is right."""
    return luhn_sums(number)[0] % 10 == 0


def whole_number(value) -> int | None:
    """An integer from JSON (or a string of digits), else None; booleans are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if ascii_digits(value) and len(value) <= 4:
        return int(value)
    return None


def card_expired(month: int, year: int) -> bool:
    """A card is good through the last day of its expiry month (UTC)."""
    today = timezone.now().date()
    return (year, month) < (today.year, today.month)


class MockPaymentHandler:
    """Demo and test card handler, behaving like a payment sandbox.

    Token credentials (`{type: token, token}`): `success_token` captures; `fail_token`, and any
    other token, declines.

    Card credentials (`{type: card, card_number_type, number, expiry_month, expiry_year, cvc?,
    name?}`), by the well-known sandbox test numbers: 4242424242424242 (Visa) and
    5555555555554444 (Mastercard) capture; 4000000000000002 declines as a card the issuer
    refuses; any other number declines too, as does a number that fails the Luhn check, a
    missing or past expiry date (a card is good through its expiry month) or a CVC that is not 3
    or 4 digits. A captured card shows its brand and last four digits; the number itself and the
    CVC are never kept, logged, or put in a decline reason.
    """

    name = "mock"
    handler_id = "mock_payment_handler"
    needs_instrument = True
    accepted_tokens = frozenset({"success_token"})
    # Test card number → the brand it shows. Any other number, including the sandbox's
    # "generic decline" 4000000000000002, is declined.
    accepted_cards = {"4242424242424242": "visa", "5555555555554444": "mastercard"}

    def charge(self, *, context: ChargeContext, instrument: PaymentInstrument | None):
        credential = instrument.credential if instrument else {}
        if credential.get("type") == "card":
            return self.charge_card(context, credential)
        if credential.get("token") in self.accepted_tokens:
            return self.captured(context)
        return PaymentResult(status="declined", reason="The card was declined.")

    def charge_card(self, context: ChargeContext, card: dict) -> PaymentResult:
        number = card.get("number")
        number = number.replace(" ", "").replace("-", "") if isinstance(number, str) else ""
        if not (12 <= len(number) <= 19 and ascii_digits(number) and luhn_valid(number)):
            return PaymentResult(status="declined", reason="The card number is not valid.")

        month = whole_number(card.get("expiry_month"))
        year = whole_number(card.get("expiry_year"))
        if year is not None and year < 100:
            year += 2000
        if month is None or year is None or not 1 <= month <= 12:
            return PaymentResult(status="declined", reason="The card's expiry date is not valid.")
        if card_expired(month, year):
            return PaymentResult(status="declined", reason="The card has expired.")

        cvc = card.get("cvc")
        if cvc is not None and not (ascii_digits(cvc) and len(cvc) in (3, 4)):
            return PaymentResult(status="declined", reason="The card's security code is not valid.")

        brand = self.accepted_cards.get(number)
        if brand is None:
            return PaymentResult(status="declined", reason="The card was declined.")
        return self.captured(context, display={"brand": brand, "last_digits": number[-4:]})

    def captured(self, context: ChargeContext, display: dict | None = None) -> PaymentResult:
        return PaymentResult(
            status="captured", reference=f"mock_{context.checkout_guid}", display=display or {}
        )


class NoPaymentHandler:
    """Completes without taking payment; the order's payment status is `none`."""

    name = "none"
    handler_id = "none"
    needs_instrument = False

    def charge(self, *, context: ChargeContext, instrument: PaymentInstrument | None):
        return PaymentResult(status="none")


_handlers_by_name: dict[str, PaymentHandler] = {}


def register(handler: PaymentHandler) -> None:
    _handlers_by_name[handler.name] = handler


register(MockPaymentHandler())
register(NoPaymentHandler())


def registered_handler_names() -> list[str]:
    return sorted(_handlers_by_name)


def offered_handlers(*, configured_names) -> list[PaymentHandler]:
    """The handlers an org offers, in its configured order. `configured_names` is
    `OrgSettings.payment_handlers` (whose default offers mock and none); names (or handler ids)
    that are not registered are skipped, and an empty list offers nothing."""
    names = list(configured_names or ())
    by_id = {handler.handler_id: handler for handler in _handlers_by_name.values()}
    offered: list[PaymentHandler] = []
    for name in names:
        handler = _handlers_by_name.get(name) or by_id.get(name)
        if handler is not None and handler not in offered:
            offered.append(handler)
    return offered


def choose_instrument(
    *, payment: PaymentRequest | None, offered: list[PaymentHandler]
) -> tuple[PaymentHandler, PaymentInstrument | None, int | None]:
    """The handler and instrument a completion uses, and the instrument's index (for messages).

    With no instrument, an org that offers `none` completes without payment; any other org needs
    one. An instrument naming a handler the org does not offer is invalid input.
    """
    instruments = list(payment.instruments) if payment else []
    if not instruments:
        handler = next((h for h in offered if not h.needs_instrument), None)
        if handler is None:
            raise errors.InvalidInput.for_field(
                "payment.instruments", "a payment instrument is required"
            )
        return handler, None, None

    index = 0
    if payment.selected_instrument_id is not None:
        index = next(
            (i for i, inst in enumerate(instruments) if inst.id == payment.selected_instrument_id),
            -1,
        )
        if index < 0:
            raise errors.InvalidInput.for_field(
                "payment.selected_instrument_id", "no instrument has this id"
            )
    instrument = instruments[index]
    handler = next((h for h in offered if h.handler_id == instrument.handler_id), None)
    if handler is None:
        raise errors.InvalidInput.for_field(
            f"payment.instruments[{index}].handler_id",
            f"handler {instrument.handler_id!r} is not offered by this shop",
        )
    return handler, instrument, index
