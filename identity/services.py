"""Writes for identity linking: customer accounts and their sign-in credentials, admin-issued
authorization codes, and link revocation."""

import logging
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model
from oauthlib.common import generate_token

from catalog.models import Customer
from identity.models import CustomerAccount, IdentityLink, LinkStatus, SignInCode
from identity.oauth_validator import ADMIN_ISSUED_REDIRECT, code_digest
from identity.scopes import allowed_scopes, default_scopes
from orgconfig.audit import audit_record
from platforms.models import Platform
from ucp import errors
from webhooks.services import event_emit

logger = logging.getLogger(__name__)

AccessToken = get_access_token_model()
Grant = get_grant_model()
RefreshToken = get_refresh_token_model()

SIGN_IN_CODE_DIGITS = 6
SIGN_IN_CODE_MAX_ATTEMPTS = 5


# Customer accounts ---------------------------------------------------------------------------


def account_for_customer(*, customer: Customer) -> CustomerAccount:
    """The customer's account, created on first need with a user row that can never sign in to
    the console (no password, not staff): it only stands for the customer in DOT's tables."""
    account = CustomerAccount.objects.filter(customer=customer).first()
    if account is not None:
        return account
    with transaction.atomic():
        user = get_user_model().objects.create(
            username=f"customer-{uuid.uuid4().hex}", is_active=True, is_staff=False
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        account, created = CustomerAccount.objects.get_or_create(
            customer=customer, defaults={"org_id": customer.org_id, "user": user}
        )
        if not created:
            user.delete()
    return account


@transaction.atomic
def account_set_password(*, account: CustomerAccount, password: str, actor: str = "system"):
    """Sets the customer's sign-in password (a slow Django hash; never logged or audited)."""
    account.password = make_password(password) if password else ""
    account.save(update_fields=["password", "updated_at"])
    audit_record(
        org=account.org,
        actor=actor,
        action="identity.account.set_password",
        target_type="customer",
        target_id=account.customer.public_id,
    )


def account_for_email(*, org, email: str) -> CustomerAccount | None:
    customer = (
        Customer.objects.filter(org=org, email__iexact=(email or "").strip()).order_by("pk").first()
    )
    return account_for_customer(customer=customer) if customer else None


def password_sign_in(*, org, email: str, password: str) -> CustomerAccount | None:
    account = account_for_email(org=org, email=email)
    if account is None or not account.has_password:
        make_password(password)  # spend the same time as a real check
        return None
    return account if check_password(password, account.password) else None


def sign_in_code_digest(code: str) -> str:
    # Keyed with SECRET_KEY: six digits alone would fall to brute force from a leaked table.
    return salted_hmac("ucp.identity.sign_in_code", code, algorithm="sha256").hexdigest()


def sign_in_code_send(*, org, email: str) -> None:
    """Emails a one-time code if the address belongs to a customer of the org. Says nothing
    either way, so the form cannot be used to find out who is a customer."""
    account = account_for_email(org=org, email=email)
    if account is None:
        logger.info("Sign-in code requested for an unknown address", extra={"org": org.orgcode})
        return

    code = f"{secrets.randbelow(10**SIGN_IN_CODE_DIGITS):0{SIGN_IN_CODE_DIGITS}d}"
    with transaction.atomic():
        SignInCode.objects.filter(account=account, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        SignInCode.objects.create(
            account=account,
            code_digest=sign_in_code_digest(code),
            expires_at=timezone.now() + timedelta(seconds=settings.UCP_SIGN_IN_CODE_SECONDS),
        )
    send_mail(
        subject=f"Your sign-in code for {org.name}",
        message=(
            f"Your code is {code}. It works once, for "
            f"{settings.UCP_SIGN_IN_CODE_SECONDS // 60} minutes.\n"
            "If you did not ask for it, ignore this email."
        ),
        from_email=None,
        recipient_list=[account.customer.email],
    )


@transaction.atomic
def sign_in_code_verify(*, org, email: str, code: str) -> CustomerAccount | None:
    """The account if `code` is its latest unused, unexpired code; each code allows a few
    attempts and then dies."""
    customer = Customer.objects.filter(org=org, email__iexact=(email or "").strip()).first()
    if customer is None:
        return None
    pending = (
        SignInCode.objects.select_for_update()
        .filter(
            account__customer=customer,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            attempts__lt=SIGN_IN_CODE_MAX_ATTEMPTS,
        )
        .order_by("-pk")
        .first()
    )
    if pending is None:
        return None
    if not constant_time_compare(pending.code_digest, sign_in_code_digest((code or "").strip())):
        SignInCode.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
        return None
    pending.used_at = timezone.now()
    pending.save(update_fields=["used_at"])
    return pending.account


# Links and admin-issued codes --------------------------------------------------------------


def resolve_scopes(*, platform: Platform, scope) -> list[str]:
    if scope in (None, ""):
        return default_scopes(platform)
    if not isinstance(scope, str):
        raise errors.InvalidInput.for_field("scope", "must be a space-separated string")
    requested = scope.split()
    unknown = [item for item in requested if item not in allowed_scopes(platform)]
    if unknown:
        raise errors.InvalidInput.for_field("scope", f"not allowed: {' '.join(unknown)}")
    return list(dict.fromkeys(requested))


def link_get_or_create_pending(*, platform: Platform, customer: Customer) -> IdentityLink:
    """The pair's link, locked; a revoked link becomes pending again (a fresh consent)."""
    IdentityLink.objects.get_or_create(
        platform=platform, customer=customer, defaults={"org_id": platform.org_id}
    )
    link = IdentityLink.objects.select_for_update().get(platform=platform, customer=customer)
    if link.status == LinkStatus.REVOKED:
        link.status = LinkStatus.PENDING
        link.revoked_at = None
        link.save(update_fields=["status", "revoked_at", "updated_at"])
    return link


@transaction.atomic
def link_authorize(
    *,
    platform: Platform,
    customer: Customer,
    scope=None,
    redirect_uri: str = "",
    code_challenge: str = "",
    actor: str = "system",
) -> tuple[IdentityLink, str, int]:
    """An admin issues a single-use authorization code for the customer↔platform link, which is
    recorded as pending until the platform exchanges the code. Returns (link, code, expires_in)."""
    if not platform.is_active:
        raise errors.InvalidState("The platform is revoked.")
    if customer.org_id != platform.org_id:
        raise errors.NotFound("No such customer.")
    if redirect_uri and not platform.application.redirect_uri_allowed(redirect_uri):
        raise errors.InvalidInput.for_field(
            "redirect_uri", "is not one of the platform's registered redirect URIs"
        )
    scopes = resolve_scopes(platform=platform, scope=scope)

    account = account_for_customer(customer=customer)
    link = link_get_or_create_pending(platform=platform, customer=customer)
    if link.status == LinkStatus.PENDING:
        link.scope = " ".join(scopes)
        link.save(update_fields=["scope", "updated_at"])
    code = generate_token()
    expires_in = settings.UCP_ADMIN_AUTH_CODE_SECONDS
    Grant.objects.create(
        application=platform.application,
        user=account.user,
        code=code_digest(code),
        expires=timezone.now() + timedelta(seconds=expires_in),
        redirect_uri=redirect_uri or ADMIN_ISSUED_REDIRECT,
        scope=" ".join(scopes),
        code_challenge=code_challenge,
        code_challenge_method="S256" if code_challenge else "",
    )

    audit_record(
        org=platform.org,
        actor=actor,
        action="identity.link.authorize",
        target_type="identity_link",
        target_id=link.guid,
        after={"platform": str(platform.guid), "customer": customer.public_id, "scope": scopes},
    )
    return link, code, expires_in


@transaction.atomic
def link_revoke(*, link: IdentityLink, actor: str = "system") -> IdentityLink:
    """Revokes the link and, in the same transaction, every code and token issued under it, so
    nothing of it works after this returns. The one place a link is revoked."""
    link = IdentityLink.objects.select_for_update().select_related("org").get(pk=link.pk)
    if link.status == LinkStatus.REVOKED:
        return link

    before = link.status
    now = timezone.now()
    link.status = LinkStatus.REVOKED
    link.revoked_at = now
    link.save(update_fields=["status", "revoked_at", "updated_at"])

    application_id = link.platform.application_id
    owner = {"application_id": application_id, "user__customer_account__customer": link.customer}
    Grant.objects.filter(**owner).delete()
    RefreshToken.objects.filter(**owner, revoked__isnull=True).update(revoked=now, updated=now)
    AccessToken.objects.filter(**owner).delete()

    audit_record(
        org=link.org,
        actor=actor,
        action="identity.link.revoke",
        target_type="identity_link",
        target_id=link.guid,
        before={"status": before},
        after={"status": LinkStatus.REVOKED},
    )
    event_emit(
        org=link.org,
        event_type="identity.link.revoked",
        platform=link.platform,
        payload={
            "link_guid": str(link.guid),
            "customer_guid": link.customer.public_id,
            "revoked_at": now.isoformat(),
        },
    )
    logger.info("Identity link revoked", extra={"link": str(link.guid)})
    return link


@transaction.atomic
def link_approve_browser(*, platform: Platform, account: CustomerAccount) -> IdentityLink:
    """The customer approved the platform on the consent page: the link is pending until the
    platform exchanges the code DOT issues next."""
    return link_get_or_create_pending(platform=platform, customer=account.customer)


@transaction.atomic
def customer_create(
    *, org, public_id: str, name: str, email: str, phone_number: str = "", actor: str = "system"
) -> Customer:
    """A new customer of the org, made in the console (imports go through import_catalog)."""
    if Customer.objects.filter(org=org, public_id=public_id).exists():
        raise errors.Conflict(f"The org already has a customer {public_id}.")
    customer = Customer.objects.create(
        org=org, public_id=public_id, name=name, email=email, phone_number=phone_number
    )
    audit_record(
        org=org,
        actor=actor,
        action="identity.customer.create",
        target_type="customer",
        target_id=public_id,
        after={"name": name, "email": email},
    )
    return customer


def validate_redirect_uri(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme not in ("https", "http") or not parsed.netloc or parsed.fragment:
        raise errors.InvalidInput.for_field(
            "redirect_uris", f"{uri!r} must be an absolute http(s) URI without a fragment"
        )
    if parsed.scheme == "http" and parsed.hostname not in ("127.0.0.1", "::1", "localhost"):
        raise errors.InvalidInput.for_field(
            "redirect_uris", f"{uri!r}: plain http is only allowed for loopback addresses"
        )
    return uri


@transaction.atomic
def platform_set_redirect_uris(
    *, platform: Platform, redirect_uris: list[str], actor: str = "system"
) -> list[str]:
    """Registers the redirect URIs the browser flow accepts for the platform, matched exactly."""
    uris = [validate_redirect_uri(uri) for uri in dict.fromkeys(redirect_uris)]
    application = platform.application
    before = application.redirect_uris.split()
    type(application).objects.filter(pk=application.pk).update(redirect_uris=" ".join(uris))
    application.refresh_from_db()
    audit_record(
        org=platform.org,
        actor=actor,
        action="identity.platform.set_redirect_uris",
        target_type="platform",
        target_id=platform.guid,
        before={"redirect_uris": before},
        after={"redirect_uris": uris},
    )
    return uris
