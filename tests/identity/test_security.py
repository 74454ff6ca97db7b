"""Security properties of identity linking, on PostgreSQL with real concurrency."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from identity import services
from identity.models import CustomerAccount, IdentityLink, SignInCode
from platforms.services import platform_revoke
from tests.concurrency import run_in_threads
from tests.identity.conftest import basic, userinfo


def checksum(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def live_refresh_tokens(family) -> int:
    return RefreshToken.objects.filter(token_family=family, revoked__isnull=True).count()


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_exchanges_of_one_code_give_one_token_set(identity):
    code = identity.code()

    responses = run_in_threads(10, lambda: identity.exchange(code))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * 9
    assert {r.json()["error"]["error_code"] for r in responses if r.status_code == 400} == {
        "invalid-grant"
    }
    assert RefreshToken.objects.count() == 1
    # The other nine presented a used code: what it produced is revoked too (RFC 6749 §4.1.2).
    assert AccessToken.objects.count() == 0
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_reused_code_revokes_what_it_produced(identity):
    code = identity.code()
    tokens = identity.exchange(code).json()["data"]
    assert userinfo(tokens["access_token"]).status_code == 200

    reused = identity.exchange(code)

    assert reused.status_code == 400
    assert reused.json()["error"]["error_code"] == "invalid-grant"
    assert userinfo(tokens["access_token"]).status_code == 401
    assert identity.refresh(tokens["refresh_token"]).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_refreshes_leave_exactly_one_live_family_member(identity):
    tokens = identity.tokens()
    family = RefreshToken.objects.get(token_checksum=checksum(tokens["refresh_token"])).token_family

    responses = run_in_threads(10, lambda: identity.refresh(tokens["refresh_token"]))

    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1
    assert all(
        r.json()["error"]["error_code"] == "invalid-grant"
        for r in responses
        if r.status_code != 200
    )
    assert live_refresh_tokens(family) == 1
    new_tokens = winners[0].json()["data"]
    assert userinfo(new_tokens["access_token"]).status_code == 200
    assert AccessToken.objects.count() == 1


@pytest.mark.django_db
def test_a_replayed_old_refresh_token_is_refused_and_kills_the_family(identity, settings):
    settings.UCP_REFRESH_RACE_WINDOW_SECONDS = 0
    tokens = identity.tokens()
    family = RefreshToken.objects.get(token_checksum=checksum(tokens["refresh_token"])).token_family
    rotated = identity.refresh(tokens["refresh_token"]).json()["data"]

    replayed = identity.refresh(tokens["refresh_token"])

    assert replayed.status_code == 400
    assert replayed.json()["error"]["error_code"] == "invalid-grant"
    assert live_refresh_tokens(family) == 0
    assert userinfo(rotated["access_token"]).status_code == 401


@pytest.mark.django_db
def test_a_replay_inside_the_race_window_is_refused_without_killing_the_family(identity):
    tokens = identity.tokens()
    rotated = identity.refresh(tokens["refresh_token"]).json()["data"]

    assert identity.refresh(tokens["refresh_token"]).status_code == 400
    assert userinfo(rotated["access_token"]).status_code == 200


@pytest.mark.django_db
def test_tokens_codes_and_secrets_are_stored_hashed(identity, customer):
    code = identity.code()
    grant = Grant.objects.get()
    assert grant.code != code and grant.code == checksum(code)
    tokens = identity.exchange(code).json()["data"]

    access = AccessToken.objects.get()
    refresh = RefreshToken.objects.get()
    assert access.token == "" and access.token_checksum == checksum(tokens["access_token"])
    assert refresh.token == "" and refresh.token_checksum == checksum(tokens["refresh_token"])
    application = identity.platform.application
    application.refresh_from_db()
    assert identity.client_secret not in application.client_secret
    assert application.client_secret.startswith("ucp_machine_secret$")

    account = CustomerAccount.objects.get(customer=customer)
    services.account_set_password(account=account, password="correct horse battery")
    account.refresh_from_db()
    assert account.password.startswith("pbkdf2_sha256$")
    assert not account.user.has_usable_password()

    services.sign_in_code_send(org=identity.org, email=customer.email)
    stored = SignInCode.objects.get()
    assert len(stored.code_digest) == 64 and not stored.code_digest.isdigit()


@pytest.mark.django_db
@pytest.mark.parametrize("time_zone", ["Pacific/Kiritimati", "America/Adak"])
def test_expiry_is_right_whatever_the_time_zone(identity, settings, time_zone):
    settings.TIME_ZONE = time_zone
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        tokens = identity.tokens()
        late_code = identity.code("cust_2")

        clock.move_to(start + timedelta(seconds=3599))
        assert userinfo(tokens["access_token"]).status_code == 200
        clock.move_to(start + timedelta(seconds=3601))
        assert userinfo(tokens["access_token"]).status_code == 401
        # The admin-issued code lived UCP_ADMIN_AUTH_CODE_SECONDS (600 s).
        assert identity.exchange(late_code).status_code == 400
        # The refresh token outlives its access token.
        assert identity.refresh(tokens["refresh_token"]).status_code == 200

    with time_machine.travel(start, tick=False) as clock:
        code = identity.code("cust_3")
        clock.move_to(start + timedelta(seconds=599))
        assert identity.exchange(code).status_code == 200


@pytest.mark.django_db
def test_one_orgs_platform_reaches_nothing_of_another_org(identity, other_identity):
    code = identity.code()
    other = other_identity

    # Obtain: another org's client cannot exchange this org's code.
    stolen = other.exchange(code)
    assert stolen.status_code == 400
    assert stolen.json()["error"]["error_code"] == "invalid-grant"
    tokens = identity.exchange(code).json()["data"]

    # Use: its refresh token is no grant for the other client, and does not get revoked by it.
    assert other.refresh(tokens["refresh_token"]).status_code == 400
    assert identity.refresh(tokens["refresh_token"]).status_code == 200
    live = identity.tokens("cust_2")

    # Revoke: RFC 7009 answers 200 but the token stays alive.
    assert other.revoke(live["access_token"]).status_code == 200
    assert other.revoke(live["refresh_token"]).status_code == 200
    assert userinfo(live["access_token"]).status_code == 200

    # List and revoke links, authorize with another org's platform or customer: 404.
    link = IdentityLink.objects.filter(org=identity.org).first()
    assert (
        other.admin.post("identity/link/revoke", {"link_guid": str(link.guid)}).status_code == 404
    )
    listed = other.admin.post("identity/link/list", {"platform_guid": str(identity.platform.guid)})
    assert listed.status_code == 404
    assert other.admin.post("identity/link/list", {}).json()["data"]["items"] == []
    foreign_platform = other.admin.post(
        "identity/authorize",
        {"platform_guid": str(identity.platform.guid), "customer_guid": "cust_1"},
    )
    assert foreign_platform.status_code == 404
    foreign_customer = other.admin.post(
        "identity/authorize", {"platform_guid": str(other.platform.guid), "customer_guid": "cust_2"}
    )
    assert foreign_customer.status_code == 404

    # The org's own issuer endpoints refuse the other org's client.
    response = Client().post(
        "/oauth/FLOWERS/revoke",
        {"token": live["access_token"]},
        HTTP_AUTHORIZATION=basic(other.client_id, other.client_secret),
    )
    assert response.status_code == 401
    assert userinfo(live["access_token"]).status_code == 200


@pytest.mark.django_db
def test_a_revoked_platforms_tokens_stop_at_once(identity):
    tokens = identity.tokens()

    platform_revoke(platform=identity.platform, expected_revision=identity.platform.revision)

    assert userinfo(tokens["access_token"]).status_code == 401
    refused = identity.refresh(tokens["refresh_token"])
    assert refused.status_code == 401
    assert refused.json()["error"]["error_code"] == "invalid-client"


@pytest.mark.django_db
def test_a_revoked_platform_cannot_use_tokens_minted_after_the_sweep(identity):
    """Even a token that escaped the revocation sweep (minted concurrently) is refused, because
    every use checks the platform."""
    tokens = identity.tokens()
    type(identity.platform).objects.filter(pk=identity.platform.pk).update(
        revoked_at=timezone.now()
    )
    assert userinfo(tokens["access_token"]).status_code == 401


@pytest.mark.django_db
def test_a_revoked_links_tokens_and_codes_stop_at_once(identity):
    tokens = identity.tokens()
    pending_code = identity.code()
    link = IdentityLink.objects.get()

    services.link_revoke(link=link)

    assert userinfo(tokens["access_token"]).status_code == 401
    assert identity.refresh(tokens["refresh_token"]).status_code == 400
    assert identity.exchange(pending_code).status_code == 400
    assert AccessToken.objects.count() == 0
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()


@pytest.mark.django_db
def test_token_endpoints_are_rate_limited_per_client(identity, other_identity, settings):
    settings.UCP_OAUTH_TOKEN_RATE = "3/m"

    answers = [identity.exchange("bad-code").status_code for _ in range(4)]

    assert answers == [400, 400, 400, 429]
    limited = identity.exchange("bad-code")
    assert limited.json()["error"]["error_code"] == "rate-limited"
    assert limited["Retry-After"] == "60"
    assert identity.revoke("anything").status_code == 429
    # Another client, and the same client id sent with a wrong secret, are not limited by it.
    assert other_identity.exchange("bad-code").status_code == 400
    assert other_identity.tokens()["access_token"]
    intruder = Client().post(
        "/oauth/FLOWERS/token",
        {"grant_type": "authorization_code", "code": "x"},
        HTTP_AUTHORIZATION=basic(identity.client_id, "guess"),
    )
    assert intruder.status_code == 401

    rfc = Client().post(
        "/oauth/FLOWERS/token",
        {"grant_type": "authorization_code", "code": "x"},
        HTTP_AUTHORIZATION=basic(identity.client_id, identity.client_secret),
    )
    assert rfc.status_code == 429
    assert rfc.json()["error"] == "temporarily_unavailable"
