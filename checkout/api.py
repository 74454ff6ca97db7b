"""Seed routes `/ucp/checkout/*`: platforms run checkout sessions on an org's catalog."""

from rest_framework import serializers

from checkout import selectors, services
from checkout.models import CheckoutSession, CheckoutStatus
from checkout.pricing import RequestedLine
from orgconfig.permissions import RequiresCapability
from ucp.api.fields import StrictIntegerField
from ucp.api.views import PlatformApiView, envelope, validated
from ucp.revisions import parse_expected_revision

MAX_LINE_ITEMS = 250
MAX_QUANTITY = 100_000


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


class CartInput(serializers.Serializer):
    line_items = serializers.ListField(
        child=LineItemInput(), allow_empty=False, max_length=MAX_LINE_ITEMS
    )
    buyer = BuyerInput(required=False)


class CheckoutOutput(serializers.Serializer):
    checkout_guid = serializers.UUIDField(source="guid")
    status = serializers.CharField()
    revision = serializers.IntegerField()
    currency = serializers.CharField()
    line_items = serializers.JSONField()
    buyer = serializers.JSONField()
    totals = serializers.JSONField()
    messages = serializers.JSONField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, session: CheckoutSession):
        data = super().to_representation(session)
        if session.status == CheckoutStatus.COMPLETED:
            data["scm_order_guid"] = str(session.order.guid)
        return data


def requested_lines(data: dict) -> list[RequestedLine]:
    return [
        RequestedLine(item_id=line["item"]["id"], quantity=line["quantity"], line_id=line.get("id"))
        for line in data["line_items"]
    ]


def checkout_response(session: CheckoutSession, status: int = 200):
    return envelope(CheckoutOutput(session).data, revision=session.revision, status=status)


class CheckoutCreateApi(PlatformApiView):
    permission_classes = [RequiresCapability("checkout")]

    def post(self, request):
        data = validated(CartInput, self.request_body())
        session = services.checkout_create(
            platform=self.platform, lines=requested_lines(data), buyer=dict(data.get("buyer", {}))
        )
        return checkout_response(session, status=201)


class CheckoutGetApi(PlatformApiView):
    permission_classes = [RequiresCapability("checkout")]

    def post(self, request):
        body = self.request_body()
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        return checkout_response(session)


class CheckoutUpdateApi(PlatformApiView):
    permission_classes = [RequiresCapability("checkout")]

    def post(self, request):
        body = self.request_body()
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
        )
        return checkout_response(session)


class CheckoutCompleteApi(PlatformApiView):
    permission_classes = [RequiresCapability("checkout")]

    def post(self, request):
        body = self.request_body()
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        session = services.checkout_complete(session=session)
        return checkout_response(session)


class CheckoutCancelApi(PlatformApiView):
    permission_classes = [RequiresCapability("checkout")]

    def post(self, request):
        body = self.request_body()
        session = selectors.checkout_get(
            platform=self.platform, checkout_guid=body.get("checkout_guid")
        )
        expected_revision = parse_expected_revision(body.get("expected_revision"))
        session = services.checkout_cancel(session=session, expected_revision=expected_revision)
        return checkout_response(session)
