"""The payment handlers an org may offer, with what each one publishes in the UCP profile.

This is the one list of known handler ids: config validation and the profile builder read it.
checkout/payments.py implements the handlers themselves; a handler added there is offered to orgs
once it is described here too.
"""

from dataclasses import dataclass, field

MOCK_PAYMENT_HANDLER = "mock_payment_handler"
NO_PAYMENT_HANDLER = "none"


@dataclass(frozen=True)
class PaymentHandlerDescriptor:
    id: str
    # Reverse-DNS name of the handler's specification. The mock keeps the name the UCP samples
    # and the conformance suite use, so their clients recognise it.
    name: str
    version: str
    spec: str
    schema: str
    instrument_types: tuple[str, ...]
    instrument_schemas: tuple[str, ...]
    default_config: dict = field(default_factory=dict)


PAYMENT_HANDLERS: dict[str, PaymentHandlerDescriptor] = {
    MOCK_PAYMENT_HANDLER: PaymentHandlerDescriptor(
        id=MOCK_PAYMENT_HANDLER,
        name="dev.ucp.mock_payment",
        version="2026-01-11",
        spec="https://ucp.dev/specs/mock",
        schema="https://ucp.dev/schemas/mock.json",
        instrument_types=("card",),
        instrument_schemas=("https://ucp.dev/schemas/shopping/types/card_payment_instrument.json",),
        default_config={"supported_tokens": ["success_token", "fail_token"]},
    ),
    NO_PAYMENT_HANDLER: PaymentHandlerDescriptor(
        id=NO_PAYMENT_HANDLER,
        name="com.g3nretailstack.payment.none",
        version="2026-01-11",
        spec="https://api.g3nretailstack.com/ucp/docs/payment-handlers/none",
        schema="https://api.g3nretailstack.com/ucp/docs/payment-handlers/none.json",
        instrument_types=("offline",),
        instrument_schemas=("https://ucp.dev/schemas/shopping/types/payment_instrument_base.json",),
    ),
}


def payment_handler_ids() -> list[str]:
    return list(PAYMENT_HANDLERS)
