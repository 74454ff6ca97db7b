"""The standard, unwrapped OAuth surfaces of each org's issuer (`/oauth/<orgcode>/...`): RFC 8414
metadata, RFC 6749 token, RFC 7009 revocation, and the browser authorization endpoint where a
customer signs in to the org and approves or denies a platform. Plain Django views and templates
that work without JavaScript; the protocol itself runs in django-oauth-toolkit."""

import logging
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauthlib.oauth2 import FatalClientError as OAuthlibFatalClientError
from oauthlib.oauth2 import OAuth2Error

from identity import oauth, selectors, services
from identity.models import CustomerAccount
from identity.oauth_validator import ORG_META_KEY
from identity.scopes import describe
from orgconfig.selectors import org_get_active
from platforms.models import Platform

logger = logging.getLogger(__name__)

SIGN_IN_RATE = "10/m"


def org_or_404(orgcode: str):
    org = org_get_active(orgcode=orgcode)
    if org is None:
        raise Http404("No such org.")
    return org


def oauth_json(result: oauth.OAuthResult) -> JsonResponse:
    response = JsonResponse(result.body, status=result.status)
    for name, value in result.headers.items():
        if name.lower() != "content-type":
            response[name] = value
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


class MetadataView(View):
    """RFC 8414 metadata at the well-known location of the org's issuer."""

    def get(self, request, orgcode):
        org = org_or_404(orgcode)
        base_url = selectors.public_base_url(request)
        return JsonResponse(selectors.authorization_server_metadata(org=org, base_url=base_url))


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(View):
    def post(self, request, orgcode):
        org = org_or_404(orgcode)
        return oauth_json(oauth.token_exchange(request, request.POST.dict(), org=org))


@method_decorator(csrf_exempt, name="dispatch")
class RevokeView(View):
    def post(self, request, orgcode):
        org = org_or_404(orgcode)
        return oauth_json(oauth.token_revocation(request, request.POST.dict(), org=org))


def with_issuer(uri: str, issuer: str) -> str:
    """The authorization response with `iss` (RFC 9207) set to the org's issuer, replacing any
    value set before (DOT adds one derived from the site, not the org)."""
    parts = list(urlparse(uri))
    query = [(k, v) for k, v in parse_qsl(parts[4], keep_blank_values=True) if k != "iss"]
    query.append(("iss", issuer))
    parts[4] = urlencode(query)
    return urlunparse(parts)


def session_key(org) -> str:
    return f"identity.account.{org.pk}"


@method_decorator(never_cache, name="dispatch")
class AuthorizeView(View):
    """GET shows sign-in or consent; POST signs in (password or emailed code) or records the
    customer's decision. The authorization request stays in the query string throughout."""

    def dispatch(self, request, orgcode):
        self.org = org_or_404(orgcode)
        self.issuer = selectors.issuer_url(
            org=self.org, base_url=selectors.public_base_url(request)
        )
        request.META[ORG_META_KEY] = str(self.org.pk)
        return super().dispatch(request)

    def get(self, request):
        return self.handle(request, action=None)

    def post(self, request):
        return self.handle(request, action=request.POST.get("action"))

    # The authorization request -----------------------------------------------------------------

    def validate(self, request):
        """(scopes, credentials) from DOT, or a response for an invalid request."""
        if not request.GET.get("redirect_uri"):
            return None, self.error_page(request, "The request names no redirect_uri.")
        core = get_oauthlib_core()
        uri = core._get_escaped_full_path(request)
        headers = core.extract_headers(request)
        try:
            # The query string alone is the authorization request: form fields (the password,
            # the csrf token) never reach oauthlib.
            scopes, credentials = core.server.validate_authorization_request(
                uri, http_method="GET", body="", headers=headers
            )
        except OAuthlibFatalClientError as error:
            return None, self.error_page(request, error.description)
        except OAuth2Error as error:
            return None, self.redirect_error(error.in_uri(error.redirect_uri))

        if credentials.get("code_challenge_method") != "S256":
            error_uri = credentials["redirect_uri"] + (
                "&" if "?" in credentials["redirect_uri"] else "?"
            )
            params = {
                "error": "invalid_request",
                "error_description": "PKCE with code_challenge_method=S256 is required.",
            }
            if credentials.get("state"):
                params["state"] = credentials["state"]
            return None, self.redirect_error(error_uri + urlencode(params))
        return (scopes, credentials), None

    def error_page(self, request, message):
        return render(
            request, "identity/error.html", {"org": self.org, "message": message}, status=400
        )

    def redirect_error(self, uri):
        return HttpResponseRedirect(with_issuer(uri, self.issuer))

    # Steps ---------------------------------------------------------------------------------------

    def handle(self, request, action):
        validated, problem = self.validate(request)
        if problem is not None:
            return problem
        scopes, credentials = validated
        platform = Platform.objects.get(application__client_id=credentials["client_id"])
        account = self.signed_in_account(request)

        if action in ("password", "send_code", "verify_code"):
            return self.sign_in(request, action)
        if account is None:
            return self.sign_in_page(request)
        if action in ("approve", "deny") and request.method == "POST":
            return self.decide(request, account, platform, scopes, credentials, action)
        return render(
            request,
            "identity/consent.html",
            {
                "org": self.org,
                "platform": platform,
                "customer": account.customer,
                "scopes": describe(scopes),
            },
        )

    def signed_in_account(self, request) -> CustomerAccount | None:
        account_id = request.session.get(session_key(self.org))
        if not account_id:
            return None
        return (
            CustomerAccount.objects.select_related("customer")
            .filter(pk=account_id, org=self.org)
            .first()
        )

    def sign_in_page(self, request, *, message="", code_sent=False, email="", status=200):
        return render(
            request,
            "identity/sign_in.html",
            {"org": self.org, "message": message, "code_sent": code_sent, "email": email},
            status=status,
        )

    def sign_in(self, request, action):
        email = request.POST.get("email", "").strip()
        limited = is_ratelimited(
            request,
            group="identity.sign_in",
            key=lambda group, req: f"{self.org.pk}:{email.lower()}",
            rate=SIGN_IN_RATE,
            increment=True,
        )
        if limited:
            return self.sign_in_page(
                request, message="Too many attempts. Wait a minute.", email=email, status=429
            )

        if action == "send_code":
            services.sign_in_code_send(org=self.org, email=email)
            return self.sign_in_page(request, code_sent=True, email=email)
        if action == "password":
            account = services.password_sign_in(
                org=self.org, email=email, password=request.POST.get("password", "")
            )
        else:
            account = services.sign_in_code_verify(
                org=self.org, email=email, code=request.POST.get("code", "")
            )
        if account is None:
            return self.sign_in_page(
                request,
                message="That did not work. Check what you entered.",
                code_sent=action == "verify_code",
                email=email,
                status=400,
            )

        request.session.cycle_key()
        request.session[session_key(self.org)] = account.pk
        logger.info("Customer signed in", extra={"org": self.org.orgcode, "method": action})
        return HttpResponseRedirect(request.get_full_path())

    def decide(self, request, account, platform, scopes, credentials, action):
        core = get_oauthlib_core()
        if action == "deny":
            try:
                core.create_authorization_response(request, scopes, credentials, allow=False)
            except OAuthToolkitError as error:
                return self.redirect_error(error.oauthlib_error.in_uri(credentials["redirect_uri"]))

        services.link_approve_browser(platform=platform, account=account)
        request.user = account.user
        try:
            uri, _headers, _body, _status = core.create_authorization_response(
                request, scopes, credentials, allow=True
            )
        except FatalClientError as error:
            return self.error_page(request, error.oauthlib_error.description)
        except OAuthToolkitError as error:
            return self.redirect_error(error.oauthlib_error.in_uri(credentials["redirect_uri"]))
        return HttpResponseRedirect(with_issuer(uri, self.issuer))


class IssuerView(View):
    """The issuer URL itself names no document; answer with where the metadata lives."""

    def get(self, request, orgcode):
        org = org_or_404(orgcode)
        base_url = selectors.public_base_url(request)
        return JsonResponse(
            {
                "issuer": selectors.issuer_url(org=org, base_url=base_url),
                "metadata": selectors.metadata_url(org=org, base_url=base_url),
            }
        )
