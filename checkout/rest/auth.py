"""Which platform is calling, per the org's UCP config (`rest_auth`).

- `oauth_client_credentials` (the default): OAuth client credentials, either as HTTP Basic
  `client_id:secret` or as
  an access token issued to the platform (`Authorization: Bearer …`).
- `api_key`: `X-API-Key: <client_id>:<client_secret>` (the platform's own credentials; the
  client secret is stored hashed with a salt, so the client id is needed to find it).
- `none`: no credentials; every caller acts as the org's one unauthenticated REST platform.
  Session ids are random UUIDs, so a session is reachable only by whoever created it and was
  told its id. Meant for interoperability testing and public demo shops.

The principal must belong to the org named in the URL: a platform of another org is 401.
"""

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken

from orgconfig.models import Org
from platforms.models import Platform
from platforms.services import platform_authenticate, platform_register
from ucp import errors
from ucp.api.auth import basic_credentials

AUTH_NONE = "none"
AUTH_API_KEY = "api_key"
AUTH_OAUTH = "oauth_client_credentials"
ANONYMOUS_CAPTION = "UCP REST (unauthenticated platforms)"


def rest_auth_mode(org) -> str:
    from orgconfig.selectors import rest_auth_mode as configured_mode

    return configured_mode(org=org)


def platform_from_bearer(token: str) -> Platform:
    if not token or not token.isprintable():
        # PostgreSQL refuses a NUL even as a query parameter; no issued token has one.
        raise errors.Unauthorized("The access token is invalid or expired.")
    access = (
        AccessToken.objects.select_related("application")
        .filter(token=token, expires__gt=timezone.now())
        .first()
    )
    platform = (
        Platform.objects.select_related("org", "application")
        .filter(application_id=access.application_id, revoked_at__isnull=True)
        .first()
        if access
        else None
    )
    if platform is None:
        raise errors.Unauthorized("The access token is invalid or expired.")
    return platform


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


def rest_platform(request, org) -> Platform:
    mode = rest_auth_mode(org)
    if mode == AUTH_NONE:
        return anonymous_platform(org)

    if mode == AUTH_API_KEY:
        api_key = request.headers.get("X-API-Key")
        if not api_key:
            raise errors.Unauthorized("Send the platform's credentials in X-API-Key.")
        platform = platform_from_api_key(api_key)
    else:
        authorization = request.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            platform = platform_from_bearer(authorization[7:].strip())
        else:
            credentials = basic_credentials(request)
            if credentials is None:
                raise errors.Unauthorized("Send client credentials (Basic) or a Bearer token.")
            platform = platform_authenticate(client_id=credentials[0], client_secret=credentials[1])

    if platform.org_id != org.pk:
        raise errors.Unauthorized("These credentials are not valid for this org.")
    return platform
