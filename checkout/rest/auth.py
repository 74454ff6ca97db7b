"""Which platform is calling, per the org's UCP config (`rest_auth`).

- `oauth_client_credentials` (the default): OAuth client credentials, either as HTTP Basic
  `client_id:secret` or as
  an access token issued to the platform (`Authorization: Bearer …`).
- `api_key`: `X-API-Key: <client_id>:<client_secret>` (the platform's own credentials; the
  client secret is stored hashed with a salt, so the client id is needed to find it).
- `none`: no credentials; every caller acts as the org's one unauthenticated REST platform.
  Session ids are random UUIDs, so a session is reachable only by whoever created it and was
  told its id. Meant for interoperability testing and public demo shops. A request that sends
  an Authorization header anyway (even an empty one) is authenticated by it, as under
  `oauth_client_credentials`.

The principal must belong to the org named in the URL: a platform of another org is 401.

A Bearer token issued through identity linking (authorization code, bound to a customer's
account) authenticates its platform *and* says which buyer it acts for: a checkout it creates
belongs to that customer, whose saved addresses the org's `saved_addresses` setting may offer.
Such a token needs a checkout scope to create checkouts (403 `insufficient_scope` otherwise).
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken

from catalog.models import Customer
from identity.scopes import CHECKOUT_MANAGE, LEGACY_CHECKOUT, ORDER_MANAGE, ORDER_READ
from orgconfig.models import Org
from platforms.models import Platform
from platforms.services import platform_authenticate, platform_register
from ucp import errors
from ucp.api.auth import basic_credentials

AUTH_NONE = "none"
AUTH_API_KEY = "api_key"
AUTH_OAUTH = "oauth_client_credentials"
ANONYMOUS_CAPTION = "UCP REST (unauthenticated platforms)"


CHECKOUT_SCOPES = frozenset({CHECKOUT_MANAGE, LEGACY_CHECKOUT})
# 2026-01-11 knows one scope for everything a platform does for the buyer.
ORDER_SCOPES = frozenset({ORDER_READ, ORDER_MANAGE, LEGACY_CHECKOUT})


class InsufficientScope(errors.Forbidden):
    error_code = "insufficient-scope"


def insufficient_scope(needed: str, what: str) -> InsufficientScope:
    return InsufficientScope(
        f"The access token's scope does not include {what}.",
        headers={
            "WWW-Authenticate": f'Bearer realm="ucp", error="insufficient_scope", scope="{needed}"'
        },
    )


@dataclass(frozen=True)
class RestCaller:
    platform: Platform
    # The customer an identity-linked token acts for, with the token's scopes; None for the
    # platform's own credentials.
    customer: Customer | None = None
    scopes: frozenset[str] = frozenset()
    # The shared platform of an open shop's unauthenticated callers.
    anonymous: bool = False

    def checkout_customer(self) -> Customer | None:
        """The buyer whose checkouts this caller may open and reach (None: the platform's own
        credentials, which reach every checkout the platform opened). A buyer's token without
        a checkout scope may do nothing with checkouts."""
        if self.customer is None:
            return None
        if not self.scopes & CHECKOUT_SCOPES:
            raise insufficient_scope(CHECKOUT_MANAGE, "checkout")
        return self.customer

    def order_customer(self) -> Customer | None:
        """The buyer whose orders this caller may read (None: the platform's own orders)."""
        if self.customer is None:
            return None
        if not self.scopes & ORDER_SCOPES:
            raise insufficient_scope(ORDER_READ, "orders")
        return self.customer


def rest_auth_mode(org) -> str:
    from orgconfig.selectors import rest_auth_mode as configured_mode

    return configured_mode(org=org)


def caller_from_bearer(request, token: str) -> RestCaller:
    if not token or not token.isprintable():
        # PostgreSQL refuses a NUL even as a query parameter; no issued token has one.
        raise errors.Unauthorized("The access token is invalid or expired.")
    # Looked up by checksum, as django-oauth-toolkit does itself: the indexed, unique column.
    access = (
        AccessToken.objects.select_related("application")
        .filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
        .filter(expires__gt=timezone.now())
        .first()
    )
    if access is not None and access.user_id is not None:
        return caller_from_identity_token(request)

    platform = (
        Platform.objects.select_related("org", "application")
        .filter(application_id=access.application_id, revoked_at__isnull=True)
        .first()
        if access
        else None
    )
    if platform is None:
        raise errors.Unauthorized("The access token is invalid or expired.")
    return RestCaller(platform=platform)


def caller_from_identity_token(request) -> RestCaller:
    """A buyer's token: valid only while its identity link is active (identity's validator
    checks the link, the platform and the org, and revocation of either kills the token)."""
    from identity.oauth import verify_bearer

    link, access_token, _error = verify_bearer(request)
    if link is None:
        raise errors.Unauthorized("The access token is invalid or expired.")
    platform = Platform.objects.select_related("org", "application").get(pk=link.platform_id)
    return RestCaller(
        platform=platform,
        customer=link.customer,
        scopes=frozenset((access_token.scope or "").split()),
    )


def platform_from_api_key(value: str) -> Platform:
    client_id, separator, client_secret = value.partition(":")
    if not separator:
        raise errors.Unauthorized("X-API-Key must be client_id:client_secret.")
    return platform_authenticate(client_id=client_id, client_secret=client_secret)


def anonymous_platform(org) -> Platform:
    platform = (
        Platform.objects.select_related("org")
        .filter(org=org, caption=ANONYMOUS_CAPTION, revoked_at__isnull=True)
        .order_by("pk")
        .first()
    )
    return platform or register_anonymous_platform(org)


@transaction.atomic
def register_anonymous_platform(org) -> Platform:
    """Created on first use. The org row lock makes concurrent first requests agree on one
    platform; otherwise each could create its own and sessions would split between them."""
    Org.objects.select_for_update().get(pk=org.pk)
    platform = (
        Platform.objects.filter(org=org, caption=ANONYMOUS_CAPTION, revoked_at__isnull=True)
        .order_by("pk")
        .first()
    )
    if platform is None:
        platform, _ = platform_register(org=org, caption=ANONYMOUS_CAPTION, actor="system:rest")
    return platform


def rest_caller(request, org) -> RestCaller:
    mode = rest_auth_mode(org)
    # Present at all, even empty, is credentials sent: an empty or blank Authorization is a
    # client whose token went missing, which must learn so (401), not act anonymously.
    if mode == AUTH_NONE:
        if "X-API-Key" in request.headers and "Authorization" not in request.headers:
            mode = AUTH_API_KEY  # a platform of a shop that was switched from api_key
        elif "Authorization" not in request.headers:
            return RestCaller(platform=anonymous_platform(org), anonymous=True)

    if mode == AUTH_API_KEY:
        api_key = request.headers.get("X-API-Key")
        if not api_key:
            raise errors.Unauthorized("Send the platform's credentials in X-API-Key.")
        caller = RestCaller(platform=platform_from_api_key(api_key))
    else:
        # oauth_client_credentials, and `none` when the caller sends credentials anyway: an open
        # shop still honours them, so a buyer's identity-linked token names its buyer there too,
        # and credentials that do not check out are refused rather than silently dropped.
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            caller = caller_from_bearer(request, authorization[7:].strip())
        else:
            credentials = basic_credentials(request)
            if credentials is None:
                raise errors.Unauthorized("Send client credentials (Basic) or a Bearer token.")
            platform = platform_authenticate(client_id=credentials[0], client_secret=credentials[1])
            caller = RestCaller(platform=platform)

    if caller.platform.org_id != org.pk:
        raise errors.Unauthorized("These credentials are not valid for this org.")
    return caller
