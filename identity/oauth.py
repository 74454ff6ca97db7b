"""The token and revocation endpoints' one implementation, shared by the seed routes (JSON in,
envelope out) and the plain RFC 6749 / RFC 7009 routes (form in, RFC shapes out). Both hand the
request to django-oauth-toolkit's oauthlib server; this module only adds the transaction that
makes the validator's row locks hold, the per-client rate limit and the endpoint's org."""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django_ratelimit.core import is_ratelimited
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauthlib.oauth2 import OAuth2Error

from identity.oauth_validator import ORG_META_KEY, client_credentials

logger = logging.getLogger(__name__)

TOKEN_PARAMS = (
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "client_id",
    "client_secret",
)
REVOKE_PARAMS = ("token", "token_type_hint", "client_id", "client_secret")


@dataclass
class OAuthResult:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def error(self) -> str | None:
        return None if self.ok else self.body.get("error", "invalid_request")


class _CredentialsView:
    """What client_credentials() reads, built from a Django request and its parameters."""

    def __init__(self, request, params):
        self.headers = {"Authorization": request.headers.get("Authorization", "")}
        self.client_id = params.get("client_id")
        self.client_secret = params.get("client_secret")


def rate_limit_key(group, request) -> str:
    """One bucket per client: its id with a digest of the secret it presents. A caller who
    only knows another client's id therefore fills a bucket of its own, never that client's."""
    params = getattr(request, "ucp_oauth_params", {})
    client_id, client_secret = client_credentials(_CredentialsView(request, params))
    secret_digest = hashlib.sha256((client_secret or "").encode()).hexdigest()[:16]
    return f"{client_id or '-'}:{secret_digest}"


def token_rate(group, request) -> str:
    return settings.UCP_OAUTH_TOKEN_RATE


def rate_limited(request, params: dict) -> OAuthResult | None:
    request.ucp_oauth_params = params
    if not is_ratelimited(
        request, group="identity.token", key=rate_limit_key, rate=token_rate, increment=True
    ):
        return None
    logger.warning("Token endpoint rate limit reached", extra={"path": request.path})
    retry_after = settings.UCP_OAUTH_TOKEN_RETRY_AFTER_SECONDS
    return OAuthResult(
        status=429,
        body={
            "error": "temporarily_unavailable",
            "error_description": "Too many requests from this client; retry later.",
        },
        headers={"Retry-After": str(retry_after)},
    )


def pick(params, names) -> dict:
    picked = {}
    for name in names:
        value = params.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            value = str(value)
        picked[name] = value
    return picked


def oauthlib_call(request, params: dict, org=None):
    core = get_oauthlib_core()
    headers = core.extract_headers(request)
    headers.pop(ORG_META_KEY, None)
    if org is not None:
        headers[ORG_META_KEY] = str(org.pk)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    uri = request.build_absolute_uri(request.path)
    return core.server, uri, urlencode(params), headers


def parse_body(body) -> dict:
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def token_exchange(request, params: dict, *, org=None) -> OAuthResult:
    """RFC 6749 §4.1.3 and §6 on django-oauth-toolkit. `org` set: the org's own endpoint, where
    clients of other orgs are refused."""
    params = pick(params, TOKEN_PARAMS)
    limited = rate_limited(request, params)
    if limited:
        return limited

    server, uri, body, headers = oauthlib_call(request, params, org)
    try:
        # One transaction per token request: the validator's row locks (grant, refresh token,
        # link) hold until the new tokens are committed.
        with transaction.atomic():
            response_headers, response_body, status = server.create_token_response(
                uri, "POST", body, headers, None
            )
    except OAuth2Error as error:
        response_headers, response_body, status = error.headers, error.json, error.status_code
    return OAuthResult(
        status=status, body=parse_body(response_body), headers=dict(response_headers or {})
    )


def token_revocation(request, params: dict, *, org=None) -> OAuthResult:
    """RFC 7009 on django-oauth-toolkit: a client revokes only its own tokens; an unknown token
    still answers success."""
    params = pick(params, REVOKE_PARAMS)
    limited = rate_limited(request, params)
    if limited:
        return limited

    server, uri, body, headers = oauthlib_call(request, params, org)
    with transaction.atomic():
        response_headers, response_body, status = server.create_revocation_response(
            uri, "POST", body, headers
        )
    return OAuthResult(
        status=status, body=parse_body(response_body), headers=dict(response_headers or {})
    )


def verify_bearer(request):
    """The identity link behind a valid `Authorization: Bearer` token, or None and the RFC 6750
    error to answer with."""
    core = get_oauthlib_core()
    valid, oauth_request = core.verify_request(request, scopes=[])
    if valid:
        return oauth_request.identity_link, oauth_request.access_token, None
    error = getattr(oauth_request, "oauth2_error", None) or {}
    return None, None, dict(error)
