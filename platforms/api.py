"""Seed routes `/ucp/platform/*`: org admins register and manage platform credentials."""

from rest_framework import serializers

from platforms import selectors, services
from platforms.models import Platform
from ucp.api.fields import StrictIntegerField
from ucp.api.pagination import paginate
from ucp.api.views import AdminApiView, AdminReadApiView, envelope, validated
from ucp.revisions import parse_expected_revision


class PlatformOutput(serializers.Serializer):
    platform_guid = serializers.UUIDField(source="guid")
    client_id = serializers.CharField()
    caption = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    callback_url = serializers.CharField()
    status = serializers.SerializerMethodField()
    revision = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    secret_rotated_at = serializers.DateTimeField(allow_null=True)
    previous_secret_valid_until = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, platform: Platform) -> str:
        return "active" if platform.is_active else "revoked"


class PlatformRegisterInput(serializers.Serializer):
    caption = serializers.CharField(max_length=200)
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, max_length=64
    )
    callback_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)


class PlatformListInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["active", "revoked"], required=False)
    limit = StrictIntegerField(required=False)
    next_token = serializers.CharField(required=False, allow_blank=True)


def platform_with_secret(platform: Platform, client_secret: str) -> dict:
    return {**PlatformOutput(platform).data, "client_secret": client_secret}


class PlatformRegisterApi(AdminApiView):
    def post(self, request):
        data = validated(PlatformRegisterInput, self.request_body())
        platform, client_secret = services.platform_register(
            org=self.org, actor=request.user.actor, **data
        )
        return envelope(
            platform_with_secret(platform, client_secret), revision=platform.revision, status=201
        )


class PlatformGetApi(AdminReadApiView):
    def post(self, request):
        body = self.request_body()
        platform = selectors.platform_get(org=self.org, platform_guid=body.get("platform_guid"))
        return envelope(PlatformOutput(platform).data, revision=platform.revision)


class PlatformListApi(AdminReadApiView):
    def post(self, request):
        data = validated(PlatformListInput, self.request_body())
        platforms = selectors.platform_list(org=self.org)
        if "status" in data:
            platforms = platforms.filter(revoked_at__isnull=data["status"] == "active")

        rows, next_token = paginate(
            platforms,
            org_id=self.org.pk,
            filters={"status": data.get("status")},
            limit=data.get("limit"),
            next_token=data.get("next_token"),
        )
        return envelope({"items": PlatformOutput(rows, many=True).data, "next_token": next_token})


class PlatformRotateApi(AdminApiView):
    def post(self, request):
        body = self.request_body()
        platform = selectors.platform_get(org=self.org, platform_guid=body.get("platform_guid"))
        expected_revision = parse_expected_revision(body.get("expected_revision"))
        platform, client_secret = services.platform_rotate_secret(
            platform=platform, expected_revision=expected_revision, actor=request.user.actor
        )
        return envelope(platform_with_secret(platform, client_secret), revision=platform.revision)


class PlatformRevokeApi(AdminApiView):
    def post(self, request):
        body = self.request_body()
        platform = selectors.platform_get(org=self.org, platform_guid=body.get("platform_guid"))
        expected_revision = parse_expected_revision(body.get("expected_revision"))
        platform = services.platform_revoke(
            platform=platform, expected_revision=expected_revision, actor=request.user.actor
        )
        return envelope(PlatformOutput(platform).data, revision=platform.revision)
