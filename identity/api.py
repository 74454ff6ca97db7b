"""Seed routes `/ucp/identity/*`, in the envelope."""

from oauthlib.oauth2.rfc6749 import errors as oauth_errors
from rest_framework import serializers

from identity import oauth, selectors, services
from identity.models import IdentityLink, LinkStatus
from identity.scopes import ADDRESS, EMAIL, PHONE, PROFILE
from platforms.selectors import platform_get
from ucp import errors
from ucp.api.fields import StrictIntegerField
from ucp.api.pagination import paginate
from ucp.api.views import AdminApiView, AdminReadApiView, SeedApiView, envelope, validated


class OAuthFailure(errors.ServiceError):
    """An OAuth error from the token or revocation endpoint, in the envelope: `invalid_grant`
    becomes `invalid-grant`, with the RFC's own code kept in the details."""

    # Every code an instance can carry, for the OpenAPI error enum (ucp/api/schema.py).
    possible_error_codes = tuple(
        sorted(
            {
                error.error.replace("_", "-")
                for error in vars(oauth_errors).values()
                if isinstance(error, type)
                and issubclass(error, oauth_errors.OAuth2Error)
                and getattr(error, "error", None)
            }
        )
    )

    def __init__(self, result: oauth.OAuthResult):
        self.http_status = result.status
        self.error_code = (
            errors.RateLimited.error_code
            if result.status == 429
            else result.error.replace("_", "-")
        )
        super().__init__(
            result.body.get("error_description") or f"OAuth error: {result.error}",
            details={"oauth_error": result.error},
            headers={k: v for k, v in result.headers.items() if k in ("Retry-After",)},
        )


class StrictCharField(serializers.CharField):
    """Accepts only JSON strings: DRF's CharField would turn 7 into "7"."""

    default_error_messages = {"invalid": "must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LinkOutput(serializers.Serializer):
    link_guid = serializers.UUIDField(source="guid")
    platform_guid = serializers.UUIDField(source="platform.guid")
    customer_guid = serializers.CharField(source="customer.public_id")
    status = serializers.CharField()
    scope = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class AuthorizeInput(serializers.Serializer):
    platform_guid = StrictCharField()
    customer_guid = StrictCharField(max_length=100)
    scope = StrictCharField(required=False, allow_blank=True, max_length=2000)
    redirect_uri = StrictCharField(required=False, allow_blank=True, max_length=2000)
    code_challenge = serializers.RegexField(
        r"^[A-Za-z0-9_-]{43}$", required=False, allow_blank=True
    )
    code_challenge_method = serializers.ChoiceField(choices=["S256"], required=False)


class LinkListInput(serializers.Serializer):
    platform_guid = StrictCharField(required=False)
    customer_guid = StrictCharField(required=False, max_length=100)
    status = serializers.ChoiceField(choices=LinkStatus.values, required=False)
    limit = StrictIntegerField(required=False)
    next_token = StrictCharField(required=False, allow_blank=True)


class AuthorizeApi(AdminApiView):
    def post(self, request):
        data = validated(AuthorizeInput, self.request_body())
        platform = platform_get(org=self.org, platform_guid=data["platform_guid"])
        customer = selectors.customer_get(org=self.org, customer_guid=data["customer_guid"])
        link, code, expires_in = services.link_authorize(
            platform=platform,
            customer=customer,
            scope=data.get("scope"),
            redirect_uri=data.get("redirect_uri", ""),
            code_challenge=data.get("code_challenge", ""),
            actor=request.user.actor,
        )
        return envelope(
            {
                "code": code,
                "expires_in": expires_in,
                "link": LinkOutput(link).data,
            },
            status=201,
        )


class TokenApi(SeedApiView):
    def post(self, request):
        result = oauth.token_exchange(request._request, self.request_body())
        if not result.ok:
            raise OAuthFailure(result)
        return envelope(result.body)


class RevokeApi(SeedApiView):
    def post(self, request):
        body = self.request_body()
        if not isinstance(body.get("token"), str) or not body["token"]:
            raise errors.InvalidInput.for_field("token", "is required and must be a string")
        result = oauth.token_revocation(request._request, body)
        if not result.ok:
            raise OAuthFailure(result)
        return envelope({"revoked": True})


def bearer_challenge(error: dict) -> str:
    challenge = 'Bearer realm="ucp"'
    if error.get("error"):
        challenge += f', error="{error["error"]}"'
    return challenge


class UserinfoApi(SeedApiView):
    """The linked customer, limited to what the token's scope releases."""

    def post(self, request):
        link, access_token, error = oauth.verify_bearer(request._request)
        if link is None:
            raise errors.Unauthorized(
                "A valid bearer token of an active identity link is required.",
                headers={"WWW-Authenticate": bearer_challenge(error or {})},
            )
        return envelope(userinfo(link, set(access_token.scope.split())))

    def get(self, request):
        return self.post(request)


def userinfo(link: IdentityLink, scopes: set[str]) -> dict:
    customer = link.customer
    data = {"customer_guid": customer.public_id, "scope": " ".join(sorted(scopes))}
    if PROFILE in scopes:
        data["name"] = customer.name
    if EMAIL in scopes:
        data["email"] = customer.email
    if PHONE in scopes:
        data["phone_number"] = customer.phone_number
    if ADDRESS in scopes:
        data["addresses"] = [
            {
                "id": address.public_id,
                "street_address": address.street_address,
                "address_locality": address.city,
                "address_region": address.state,
                "postal_code": address.postal_code,
                "address_country": address.country,
            }
            for address in customer.addresses.order_by("public_id")
        ]
    return data


class LinkListApi(AdminReadApiView):
    def post(self, request):
        data = validated(LinkListInput, self.request_body())
        links = selectors.link_list(org=self.org)
        if data.get("platform_guid"):
            platform = platform_get(org=self.org, platform_guid=data["platform_guid"])
            links = links.filter(platform=platform)
        if data.get("customer_guid"):
            customer = selectors.customer_get(org=self.org, customer_guid=data["customer_guid"])
            links = links.filter(customer=customer)
        if data.get("status"):
            links = links.filter(status=data["status"])

        rows, next_token = paginate(
            links,
            org_id=self.org.pk,
            filters={k: data.get(k) for k in ("platform_guid", "customer_guid", "status")},
            limit=data.get("limit"),
            next_token=data.get("next_token"),
        )
        return envelope({"items": LinkOutput(rows, many=True).data, "next_token": next_token})


class LinkRevokeApi(AdminApiView):
    def post(self, request):
        body = self.request_body()
        link = selectors.link_get(org=self.org, link_guid=body.get("link_guid"))
        link = services.link_revoke(link=link, actor=request.user.actor)
        return envelope(LinkOutput(link).data)


class MetadataApi(SeedApiView):
    def get(self, request):
        org = selectors.org_for_metadata(orgcode=request.query_params.get("orgcode"))
        base_url = selectors.public_base_url(request._request)
        return envelope(selectors.authorization_server_metadata(org=org, base_url=base_url))
