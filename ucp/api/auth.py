"""Who is calling: org admins (API key or console session) and platforms (client credentials).

A caller that does not belong to the org it names gets 404, never 403, so that an answer never
reveals whether another org's objects exist (design.md §1).
"""

import base64
import binascii
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from orgconfig.models import WRITE_ROLES, Org
from orgconfig.selectors import membership_role, org_get_active
from orgconfig.services import api_key_authenticate
from platforms.models import Platform
from platforms.services import platform_authenticate
from ucp import errors
from ucp.logging import bind_request_context


@dataclass(frozen=True)
class AdminPrincipal:
    org: Org
    role: str
    api_key_id: int | None = None
    user_id: int | None = None

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def actor(self) -> str:
        return f"api_key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"


@dataclass(frozen=True)
class PlatformPrincipal:
    platform: Platform

    @property
    def org(self) -> Org:
        return self.platform.org


def session_user(session_key: str):
    """The active user signed in to the console under this session key, or None."""
    session = SessionStore(session_key=session_key)
    user_id = session.get("_auth_user_id")
    if not user_id:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()


class AdminAuthentication(BaseAuthentication):
    """`x-api-key` or `x-session-guid`, with `x-orgcode` naming the org acted on."""

    def authenticate(self, request):
        api_key = request.headers.get("x-api-key")
        session_key = request.headers.get("x-session-guid")
        orgcode = request.headers.get("x-orgcode")
        if not (api_key or session_key):
            raise errors.Unauthorized("Send x-api-key or x-session-guid, with x-orgcode.")
        if not orgcode:
            raise errors.Unauthorized("x-orgcode is required with admin credentials.")

        principal = (
            self.principal_from_api_key(api_key, orgcode)
            if api_key
            else self.principal_from_session(session_key, orgcode)
        )
        bind_request_context(org=principal.org.orgcode, actor=principal.actor)
        return principal, None

    def principal_from_api_key(self, plaintext: str, orgcode: str) -> AdminPrincipal:
        key = api_key_authenticate(plaintext=plaintext)
        if key is None:
            raise errors.Unauthorized("The API key is invalid or revoked.")
        if key.org.orgcode != orgcode:
            raise errors.NotFound("No such org.")
        return AdminPrincipal(org=key.org, role=key.role, api_key_id=key.pk)

    def principal_from_session(self, session_key: str, orgcode: str) -> AdminPrincipal:
        user = session_user(session_key)
        if user is None:
            raise errors.Unauthorized("The console session is invalid or has ended.")
        org = org_get_active(orgcode=orgcode)
        role = membership_role(org=org, user=user) if org else None
        if role is None:
            raise errors.NotFound("No such org.")
        return AdminPrincipal(org=org, role=role, user_id=user.pk)

    def authenticate_header(self, request):
        return "x-api-key"


def basic_credentials(request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        # ValueError: b64decode refuses a str with non-ASCII characters (the server decodes
        # header bytes as Latin-1, so `Basic é` arrives as such a str) before looking at it.
        raise errors.Unauthorized("The Basic authorization header is malformed.") from None
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise errors.Unauthorized("The Basic authorization header is malformed.")
    return client_id, client_secret


class PlatformAuthentication(BaseAuthentication):
    """`client_id` and `client_secret` in the JSON body, or HTTP Basic."""

    def authenticate(self, request):
        credentials = basic_credentials(request)
        if credentials is None:
            body = request.data if isinstance(request.data, dict) else {}
            credentials = (body.get("client_id"), body.get("client_secret"))

        platform = platform_authenticate(client_id=credentials[0], client_secret=credentials[1])
        bind_request_context(org=platform.org.orgcode, platform=str(platform.guid))
        return PlatformPrincipal(platform=platform), None

    def authenticate_header(self, request):
        return 'Basic realm="ucp"'


class AdminCanRead(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.user, AdminPrincipal)


class AdminCanWrite(BasePermission):
    def has_permission(self, request, view):
        if not isinstance(request.user, AdminPrincipal):
            return False
        if not request.user.can_write:
            raise errors.Forbidden("Your role in this org is read-only.")
        return True
