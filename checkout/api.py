"""Seed routes `/ucp/checkout/*`: platforms run checkout sessions on an org's catalog."""

from rest_framework import serializers

from checkout import selectors, services
from checkout.models import CheckoutSession, CheckoutStatus
from checkout.payments import PaymentInstrument, PaymentRequest
from checkout.pricing import DestinationRequest, FulfillmentRequest, RequestedLine
from orgconfig.permissions import RequiresCapability
from ucp.api.fields import StrictIntegerField
from ucp.api.views import PlatformApiView, envelope, validated
from ucp.idempotency import (
    IdempotencyScope,
    parse_idempotency_key,
    request_fingerprint,
    run_idempotent_drf,
)
from ucp.revisions import parse_expected_revision

MAX_LINE_ITEMS = 250
MAX_QUANTITY = 100_000
MAX_CODES = 20
MAX_DESTINATIONS = 10
MAX_INSTRUMENTS = 10
# Body fields that identify or authenticate the caller rather than describe the request.
NOT_PART_OF_THE_REQUEST = frozenset({"client_id", "client_secret", "idempotency_key"})


class StrictCharField(serializers.CharField):
    """Accepts only JSON strings: DRF's CharField would turn 5 into "5"."""

    default_error_messages = {"invalid": "must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ItemRefInput(serializers.Serializer):
    id = serializers.CharField(max_length=100)


class LineItemInput(serializers.Serializer):
    id = serializers.CharField(max_length=100, required=False)
    item = ItemRefInput()
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class BuyerInput(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=320)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class DiscountsInput(serializers.Serializer):
    codes = serializers.ListField(
        child=StrictCharField(max_length=100), allow_empty=True, max_length=MAX_CODES
    )


class DestinationInput(serializers.Serializer):
    """A postal address in UCP's field names, or only an `id` (an address-book entry of the
    linked customer, or a destination the session returned earlier)."""

    id = StrictCharField(max_length=100, required=False)
    first_name = StrictCharField(max_length=200, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=200, required=False, allow_blank=True)
    street_address = StrictCharField(max_length=300, required=False, allow_blank=True)
    extended_address = StrictCharField(max_length=300, required=False, allow_blank=True)
    address_locality = StrictCharField(max_length=200, required=False, allow_blank=True)
    address_region = StrictCharField(max_length=100, required=False, allow_blank=True)
    postal_code = StrictCharField(max_length=20, required=False, allow_blank=True)
    address_country = StrictCharField(max_length=2, required=False, allow_blank=True)
    phone_number = StrictCharField(max_length=40, required=False, allow_blank=True)

    def validate(self, attrs):
        if len(attrs) == 0:
            raise serializers.ValidationError("give an address or an id")
        return attrs


class GroupInput(serializers.Serializer):
    id = StrictCharField(max_length=100, required=False)
    selected_option_id = StrictCharField(max_length=100, required=False, allow_null=True)


class MethodInput(serializers.Serializer):
    id = StrictCharField(max_length=100, required=False)
    type = serializers.ChoiceField(choices=["shipping"], required=False)
    destinations = serializers.ListField(
        child=DestinationInput(), required=False, max_length=MAX_DESTINATIONS
    )
    selected_destination_id = StrictCharField(max_length=100, required=False, allow_null=True)
    groups = serializers.ListField(child=GroupInput(), required=False, max_length=1)


class FulfillmentInput(serializers.Serializer):
    methods = serializers.ListField(child=MethodInput(), allow_empty=True, max_length=1)


class CartInput(serializers.Serializer):
    line_items = serializers.ListField(
        child=LineItemInput(), allow_empty=False, max_length=MAX_LINE_ITEMS
    )
    buyer = BuyerInput(required=False)
    discounts = DiscountsInput(required=False)
    fulfillment = FulfillmentInput(required=False)


class CredentialInput(serializers.Serializer):
    """A token credential (`{type: token, token}`) or a card credential (`{type: card,
    card_number_type, number, expiry_month, expiry_year, cvc, name}`, UCP's card_credential).
    Validation messages never repeat the values."""

    type = StrictCharField(max_length=50)
    token = StrictCharField(max_length=4000, required=False)
    card_number_type = StrictCharField(max_length=20, required=False)
    number = StrictCharField(max_length=23, required=False)
    expiry_month = StrictIntegerField(required=False)
    expiry_year = StrictIntegerField(required=False)
    cvc = StrictCharField(max_length=4, required=False)
    name = StrictCharField(max_length=200, required=False)


class InstrumentInput(serializers.Serializer):
    id = StrictCharField(max_length=100)
    handler_id = StrictCharField(max_length=100)
    type = StrictCharField(max_length=50, required=False, default="card")
    selected = serializers.BooleanField(required=False)
    brand = StrictCharField(max_length=50, required=False)
    last_digits = StrictCharField(max_length=4, required=False)
    display = serializers.DictField(required=False)
    credential = CredentialInput(required=False)


class PaymentInput(serializers.Serializer):
    instruments = serializers.ListField(
        child=InstrumentInput(), allow_empty=True, max_length=MAX_INSTRUMENTS
    )


class CompleteInput(serializers.Serializer):
    payment = PaymentInput(required=False)


class CheckoutOutput(serializers.Serializer):
    checkout_guid = serializers.UUIDField(source="guid")
    status = StrictCharField()
    revision = serializers.IntegerField()
    currency = StrictCharField()
    line_items = serializers.JSONField()
    buyer = serializers.JSONField()
    discounts = serializers.JSONField()
    fulfillment = serializers.JSONField()
    payment = serializers.JSONField()
    totals = serializers.JSONField()
    messages = serializers.JSONField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, session: CheckoutSession):
        data = super().to_representation(session)
        data["discounts"] = {"codes": [], "applied": [], **(session.discounts or {})}
        data["payment"] = {"instruments": [], **(session.payment or {})}
        if session.fulfillment is None:
            del data["fulfillment"]
        if session.status == CheckoutStatus.COMPLETED:
            data["scm_order_guid"] = str(session.order.guid)
        return data


def requested_lines(data: dict) -> list[RequestedLine]:
    return [
        RequestedLine(item_id=line["item"]["id"], quantity=line["quantity"], line_id=line.get("id"))
        for line in data["line_items"]
    ]


def discount_codes(data: dict) -> list[str] | None:
    """The submitted codes (replacing the session's), or None when `discounts.codes` is absent."""
    if "discounts" not in data or "codes" not in data["discounts"]:
        return None
    return list(data["discounts"]["codes"])


def fulfillment_request(data: dict) -> FulfillmentRequest | None:
    if "fulfillment" not in data:
        return None
    methods = data["fulfillment"]["methods"]
    if not methods:
        return FulfillmentRequest()
    method = methods[0]
    groups = method.get("groups") or [{}]
    return FulfillmentRequest(
        destinations=tuple(
            DestinationRequest(
                id=destination.get("id"),
                address={k: v for k, v in destination.items() if k != "id"} or None,
            )
            for destination in method.get("destinations", [])
        ),
        method_chosen=True,
        selected_destination_id=method.get("selected_destination_id"),
        selected_option_id=groups[0].get("selected_option_id"),
    )


def payment_request(data: dict) -> PaymentRequest | None:
    if "payment" not in data:
        return None
    instruments = data["payment"]["instruments"]
    selected = next((i["id"] for i in instruments if i.get("selected")), None)
    return PaymentRequest(
        instruments=tuple(
            PaymentInstrument(
                id=instrument["id"],
                handler_id=instrument["handler_id"],
                type=instrument.get("type", "card"),
                display={
                    key: instrument[key] for key in ("brand", "last_digits") if key in instrument
                }
                | dict(instrument.get("display", {})),
                credential=dict(instrument.get("credential", {})),
            )
            for instrument in instruments
        ),
        selected_instrument_id=selected,
    )


def checkout_response(session: CheckoutSession, status: int = 200):
    return envelope(CheckoutOutput(session).data, revision=session.revision, status=status)


class IdempotentPlatformApiView(PlatformApiView):
    """A platform write that honours an idempotency key (body `idempotency_key` or header
    `Idempotency-Key`), scoped to org + platform + operation (+ session) + key."""

    permission_classes = [RequiresCapability("checkout")]
    operation = ""

    def post(self, request):
        body = self.request_body()
        key = parse_idempotency_key(
            header=request.headers.get("Idempotency-Key"), body=body.get("idempotency_key")
        )
        if key is None:
            return self.perform(body)

        guid = body.get("checkout_guid")
        operation = f"{self.operation}/{guid.lower()}" if isinstance(guid, str) else self.operation
        scope = IdempotencyScope(
            org_id=self.platform.org_id,
            platform_id=self.platform.pk,
            operation=operation,
            key=key,
        )
        payload = {k: v for k, v in body.items() if k not in NOT_PART_OF_THE_REQUEST}
        return run_idempotent_drf(
            self,
            scope=scope,
            fingerprint=request_fingerprint(payload),
            perform=lambda: self.perform(body),
        )

    def perform(self, body: dict):
        raise NotImplementedError


class CheckoutCreateApi(IdempotentPlatformApiView):
    operation = "checkout.create"

    def perform(self, body):
        data = validated(CartInput, body)
        session = services.checkout_create(
            platform=self.platform,
            lines=requested_lines(data),
            buyer=dict(data.get("buyer", {})),
            discount_codes=discount_codes(data),
            fulfillment=fulfillment_request(data),
        )
        return checkout_response(session, status=201)


class CheckoutGetApi(PlatformApiView):
    permission_classes = [RequiresCapability("checkout")]

    def post(self, request):
        body = self.request_body()
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        return checkout_response(services.checkout_expire_if_due(session))


class CheckoutUpdateApi(IdempotentPlatformApiView):
    operation = "checkout.update"

    def perform(self, body):
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        expected_revision = parse_expected_revision(body.get("expected_revision"))
        data = validated(CartInput, body)
        buyer = dict(data["buyer"]) if "buyer" in data else None

        session = services.checkout_update(
            session=session,
            expected_revision=expected_revision,
            lines=requested_lines(data),
            buyer=buyer,
            discount_codes=discount_codes(data),
            fulfillment=fulfillment_request(data),
        )
        return checkout_response(session)


class CheckoutCompleteApi(IdempotentPlatformApiView):
    operation = "checkout.complete"

    def perform(self, body):
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        data = validated(CompleteInput, body)
        session = services.checkout_complete(session=session, payment=payment_request(data))
        return checkout_response(session)


class CheckoutCancelApi(IdempotentPlatformApiView):
    operation = "checkout.cancel"

    def perform(self, body):
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        expected_revision = parse_expected_revision(body.get("expected_revision"))
        session = services.checkout_cancel(session=session, expected_revision=expected_revision)
        return checkout_response(session)
