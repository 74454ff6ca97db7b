"""The project's OAuth2Validator for django-oauth-toolkit: DOT and oauthlib run the protocol;
this class only changes what the project needs changed.

- Clients are platforms: their secrets are checked with `platform_secret_matches`, so a rotated
  secret keeps working through its grace period and a revoked platform stops at once. On an org's
  own endpoints (`/oauth/<orgcode>/...`) a client of another org is `invalid_client`.
- Authorization codes are stored as SHA-256 digests (DOT stores tokens hashed already when
  COMPLIANT_BCP_RFC9700_TOKEN_STORAGE is on, but keeps codes in clear).
- A code works once even under concurrent exchanges: the grant row is locked for the length of
  the token request, and a replayed code revokes the token family it produced.
- Concurrent refreshes of one token leave exactly one live successor; see validate_refresh_token.
- Every token use checks that its platform and its identity link are still active.
"""

import base64
import binascii
import hashlib
import logging
from datetime import timedelta
from urllib.parse import unquote_plus

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from identity.models import ConsumedCode, IdentityLink, LinkStatus
from identity.scopes import allowed_scopes, default_scopes
from platforms.models import Platform
from platforms.services import platform_secret_matches

logger = logging.getLogger(__name__)

AccessToken = get_access_token_model()
Grant = get_grant_model()
RefreshToken = get_refresh_token_model()

# Set by identity's views in request.META (a key no HTTP header can produce), so the validator
# knows which org's endpoint is being called.
ORG_META_KEY = "UCP_ORG_ID"
# Stored as a grant's redirect URI when an admin issued the code through the seed route without
# one; the token request then needs no redirect_uri either.
ADMIN_ISSUED_REDIRECT = "urn:ucp:admin-issued"


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def token_checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_credentials(request) -> tuple[str | None, str | None]:
    """client_id and client_secret from HTTP Basic (RFC 6749 §2.3.1) or else the body."""
    header = request.headers.get("HTTP_AUTHORIZATION") or request.headers.get("Authorization")
    if header and header.split(" ", 1)[0].lower() == "basic" and " " in header:
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, separator, client_secret = decoded.partition(":")
        if not separator:
            return None, None
        return unquote_plus(client_id), unquote_plus(client_secret)
    return request.client_id, getattr(request, "client_secret", None)


def lock_link(*, application, user) -> IdentityLink | None:
    """The link behind a grant or token, locked until the request's transaction ends. Locks are
    taken link first, then grant or token, the same order link revocation uses."""
    return (
        IdentityLink.objects.select_for_update()
        .filter(platform__application=application, customer__account__user=user)
        .first()
    )


class UcpOAuth2Validator(OAuth2Validator):
    # Client authentication -------------------------------------------------------------------

    def endpoint_org_id(self, request) -> str | None:
        return request.headers.get(ORG_META_KEY)

    def platform_for(self, application, request) -> Platform | None:
        platform = (
            Platform.objects.select_related("org", "application")
            .filter(application=application, org__is_active=True, revoked_at__isnull=True)
            .first()
        )
        org_id = self.endpoint_org_id(request)
        if platform is None or (org_id and str(platform.org_id) != org_id):
            return None
        return platform

    def _load_application(self, client_id, request):
        # No client id holds a NUL, and PostgreSQL refuses one even in a query parameter.
        if not isinstance(client_id, str) or "\x00" in client_id:
            return None
        return super()._load_application(client_id, request)

    def authenticate_client(self, request, *args, **kwargs):
        client_id, client_secret = client_credentials(request)
        if not client_id or not client_secret:
            return False
        application = self._load_application(client_id, request)
        if application is None:
            return False
        platform = self.platform_for(application, request)
        if platform is None or not platform_secret_matches(
            platform=platform, client_secret=client_secret
        ):
            logger.info("Client authentication failed", extra={"client_id": client_id})
            return False
        request.platform = platform
        return True

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        # Every platform is a confidential client: there is no unauthenticated path.
        return False

    def validate_client_id(self, client_id, request, *args, **kwargs):
        application = self._load_application(client_id, request)
        if application is None:
            return False
        platform = self.platform_for(application, request)
        if platform is None:
            request.client = None
            return False
        request.platform = platform
        return True

    # Scopes ------------------------------------------------------------------------------------

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return set(scopes) <= set(allowed_scopes(client.platform))

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return default_scopes(request.client.platform)

    # Authorization codes, stored as digests -----------------------------------------------------

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        self._create_authorization_code(request, {**code, "code": code_digest(code["code"])})

    def grant_for(self, code, client):
        return Grant.objects.filter(code=code_digest(code), application=client).first()

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        grant = self.grant_for(code, client)
        link = lock_link(application=client, user=grant.user) if grant else None
        locked = Grant.objects.select_for_update().filter(pk=grant.pk).first() if grant else None
        if locked is None:
            self.revoke_what_code_produced(code, client)
            return False
        if link is None or link.status == LinkStatus.REVOKED:
            return False
        return super().validate_code(client_id, code_digest(code), client, request)

    def revoke_what_code_produced(self, code, client) -> None:
        """A code presented again after it was exchanged: revoke what it produced."""
        consumed = ConsumedCode.objects.filter(
            code_digest=code_digest(code), application_id=client.pk
        ).first()
        if consumed is None:
            return
        RefreshToken.revoke_family(consumed.token_family)
        AccessToken.objects.filter(token_checksum=consumed.access_token_checksum).delete()
        logger.warning(
            "Authorization code replayed; its tokens are revoked",
            extra={"client_id": client.client_id},
        )

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs):
        grant = self.grant_for(code, client)
        return grant is not None and redirect_uri == grant.redirect_uri

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        # Only a code an admin issued without a redirect URI may be exchanged without one.
        code = getattr(request, "code", None)
        grant = self.grant_for(code, request.client) if code and request.client else None
        if grant is not None and grant.redirect_uri == ADMIN_ISSUED_REDIRECT:
            return ADMIN_ISSUED_REDIRECT
        return None

    def is_pkce_required(self, client_id, request):
        # Codes handed out by an org admin (seed route) carry PKCE only if the admin asked for
        # it; every code from the browser flow must have been bound to an S256 challenge.
        code = getattr(request, "code", None)
        grant = self.grant_for(code, request.client) if code and request.client else None
        if grant is not None and grant.redirect_uri == ADMIN_ISSUED_REDIRECT:
            return False
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        return super().invalidate_authorization_code(client_id, code_digest(code), request)

    def get_code_challenge(self, code, request):
        return super().get_code_challenge(code_digest(code), request)

    def get_code_challenge_method(self, code, request):
        return super().get_code_challenge_method(code_digest(code), request)

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        return super().get_authorization_code_scopes(
            client_id, code_digest(code), redirect_uri, request
        )

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        return super().get_authorization_code_nonce(
            client_id, code_digest(code), redirect_uri, request
        )

    def _check_and_set_request_resource(self, request):
        raw_code = getattr(request, "code", None)
        if raw_code:
            request.code = code_digest(raw_code)
        try:
            return super()._check_and_set_request_resource(request)
        finally:
            if raw_code:
                request.code = raw_code

    # Refresh tokens ------------------------------------------------------------------------------

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """Locks the token row (and its link) for the rest of the token request, so concurrent
        refreshes of one token run one after another. The first rotates it; the others then
        find it superseded moments ago and get `invalid_grant` without revoking the family, so
        exactly one live successor remains. A superseded token presented later than the race
        window is a replay: DOT's reuse protection then revokes the whole family."""
        candidate = (
            RefreshToken.objects.filter(token_checksum=token_checksum(refresh_token))
            .order_by(F("revoked").desc(nulls_first=True))
            .first()
        )
        if candidate is None or candidate.application_id != client.pk:
            return False

        link = lock_link(application=client, user=candidate.user)
        token = RefreshToken.objects.select_for_update().filter(pk=candidate.pk).first()
        if token is None or link is None or link.status != LinkStatus.ACTIVE:
            return False

        race_window = timedelta(seconds=settings.UCP_REFRESH_RACE_WINDOW_SECONDS)
        if token.revoked is not None and token.revoked > timezone.now() - race_window:
            if AccessToken.objects.filter(source_refresh_token=token).exists():
                return False
        return super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)

    # Issuing tokens ------------------------------------------------------------------------------

    def save_bearer_token(self, token, request, *args, **kwargs):
        link = lock_link(application=request.client, user=request.user)
        if link is None or link.status == LinkStatus.REVOKED:
            raise oauth_errors.InvalidGrantError(request=request)

        super().save_bearer_token(token, request, *args, **kwargs)

        if request.grant_type == "authorization_code":
            self.record_consumed_code(token, request)
            now = timezone.now()
            IdentityLink.objects.filter(pk=link.pk).update(
                status=LinkStatus.ACTIVE,
                scope=token.get("scope", ""),
                activated_at=now,
                revoked_at=None,
                updated_at=now,
            )

    def record_consumed_code(self, token, request) -> None:
        refresh = token.get("refresh_token")
        family = (
            RefreshToken.objects.filter(token_checksum=token_checksum(refresh))
            .values_list("token_family", flat=True)
            .first()
            if refresh
            else None
        )
        ConsumedCode.objects.update_or_create(
            code_digest=code_digest(request.code),
            defaults={
                "application_id": request.client.pk,
                "token_family": family,
                "access_token_checksum": token_checksum(token["access_token"]),
            },
        )

    # Using tokens --------------------------------------------------------------------------------

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False

        access_token = request.access_token
        link = (
            IdentityLink.objects.select_related("platform", "customer", "org")
            .filter(
                platform__application_id=access_token.application_id,
                customer__account__user_id=access_token.user_id,
                status=LinkStatus.ACTIVE,
                platform__revoked_at__isnull=True,
                org__is_active=True,
            )
            .first()
        )
        if link is None:
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The access token is revoked.",
            }
            return False
        request.identity_link = link
        return True
