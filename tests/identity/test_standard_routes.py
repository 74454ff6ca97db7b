"""The unwrapped surfaces of each org's issuer: RFC 8414 metadata, RFC 6749 token, RFC 7009
revocation, and the browser authorization endpoint (sign-in, consent, PKCE S256, iss)."""

import re
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from identity import services
from identity.models import CustomerAccount, IdentityLink, LinkStatus
from tests.identity.conftest import basic, pkce_pair, userinfo

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://agent.example/callback"
ISSUER = "http://testserver/oauth/FLOWERS"


@pytest.fixture
def browser_identity(identity, customer):
    services.platform_set_redirect_uris(platform=identity.platform, redirect_uris=[REDIRECT_URI])
    account = services.account_for_customer(customer=customer)
    services.account_set_password(account=account, password="correct horse battery")
    return identity


def authorize_url(identity, challenge, **overrides) -> str:
    params = {
        "response_type": "code",
        "client_id": identity.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "dev.ucp.shopping.checkout:manage email",
        "state": "xyz-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return "/oauth/FLOWERS/authorize?" + urlencode(params)


def sign_in(browser, url):
    response = browser.post(
        url,
        {
            "action": "password",
            "email": "john.doe@example.com",
            "password": "correct horse battery",
        },
    )
    assert response.status_code == 302
    return response


def code_from(response) -> dict:
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def rfc_token(identity, **body):
    return Client().post(
        "/oauth/FLOWERS/token",
        body,
        HTTP_AUTHORIZATION=basic(identity.client_id, identity.client_secret),
    )


def test_metadata_at_the_issuers_well_known_location(identity):
    response = Client().get("/.well-known/oauth-authorization-server/oauth/FLOWERS")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["issuer"] == ISSUER
    # RFC 8414 §3: the metadata URL is the issuer with the well-known segment inserted.
    issuer = urlparse(metadata["issuer"])
    assert response.wsgi_request.build_absolute_uri() == (
        f"{issuer.scheme}://{issuer.netloc}/.well-known/oauth-authorization-server{issuer.path}"
    )
    assert metadata["authorization_endpoint"] == ISSUER + "/authorize"
    assert metadata["token_endpoint"] == ISSUER + "/token"
    assert metadata["revocation_endpoint"] == ISSUER + "/revoke"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert {"dev.ucp.shopping.checkout:manage", "ucp:scopes:checkout_session"} <= set(
        metadata["scopes_supported"]
    )
    assert metadata["authorization_response_iss_parameter_supported"] is True

    assert Client().get("/.well-known/oauth-authorization-server/oauth/NOPE").status_code == 404


def test_browser_flow_password_sign_in_consent_and_token(browser_identity):
    verifier, challenge = pkce_pair()
    browser = Client()
    url = authorize_url(browser_identity, challenge)

    page = browser.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script" not in html
    assert 'name="password"' in html and 'value="send_code"' in html

    sign_in(browser, url)
    consent = browser.get(url)
    html = consent.content.decode()
    assert "Test agent" in html
    assert "dev.ucp.shopping.checkout:manage" in html and "See your email address" in html
    assert IdentityLink.objects.count() == 0

    params = code_from(browser.post(url, {"action": "approve"}))
    assert params["state"] == "xyz-123"
    assert params["iss"] == ISSUER
    assert IdentityLink.objects.get().status == LinkStatus.PENDING

    wrong = rfc_token(
        browser_identity,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=pkce_pair()[0],
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"

    response = rfc_token(
        browser_identity,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.json()
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["scope"] == "dev.ucp.shopping.checkout:manage email"
    assert IdentityLink.objects.get().status == LinkStatus.ACTIVE
    assert userinfo(tokens["access_token"]).json()["data"]["email"] == "john.doe@example.com"

    refreshed = rfc_token(
        browser_identity, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200

    revoked = Client().post(
        "/oauth/FLOWERS/revoke",
        {
            "token": refreshed.json()["refresh_token"],
            "client_id": browser_identity.client_id,
            "client_secret": browser_identity.client_secret,
        },
    )
    assert revoked.status_code == 200
    assert userinfo(refreshed.json()["access_token"]).status_code == 401


def test_browser_code_needs_the_same_redirect_uri_and_a_verifier(browser_identity):
    verifier, challenge = pkce_pair()
    browser = Client()
    url = authorize_url(browser_identity, challenge)
    sign_in(browser, url)
    code = code_from(browser.post(url, {"action": "approve"}))["code"]

    no_verifier = rfc_token(
        browser_identity, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    assert no_verifier.status_code == 400
    assert no_verifier.json()["error"] == "invalid_request"
    other_uri = rfc_token(
        browser_identity,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI + "/other",
        code_verifier=verifier,
    )
    assert other_uri.status_code == 400
    no_uri = rfc_token(
        browser_identity, grant_type="authorization_code", code=code, code_verifier=verifier
    )
    assert no_uri.status_code == 400


def test_emailed_one_time_code_signs_the_customer_in(browser_identity):
    _, challenge = pkce_pair()
    browser = Client()
    url = authorize_url(browser_identity, challenge)

    sent = browser.post(url, {"action": "send_code", "email": "john.doe@example.com"})
    assert sent.status_code == 200
    assert len(mail.outbox) == 1
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)

    wrong = browser.post(
        url, {"action": "verify_code", "email": "john.doe@example.com", "code": "000000"}
    )
    if code != "000000":
        assert wrong.status_code == 400
    right = browser.post(
        url, {"action": "verify_code", "email": "john.doe@example.com", "code": code}
    )
    assert right.status_code == 302
    assert "Allow Test agent" in browser.get(url).content.decode()

    reused = Client().post(
        url, {"action": "verify_code", "email": "john.doe@example.com", "code": code}
    )
    assert reused.status_code == 400


def test_unknown_email_gets_the_same_answer_and_no_mail(browser_identity):
    _, challenge = pkce_pair()
    response = Client().post(
        authorize_url(browser_identity, challenge),
        {"action": "send_code", "email": "nobody@example.com"},
    )
    assert response.status_code == 200
    assert mail.outbox == []


def test_wrong_password_does_not_sign_in(browser_identity):
    _, challenge = pkce_pair()
    browser = Client()
    url = authorize_url(browser_identity, challenge)
    response = browser.post(
        url, {"action": "password", "email": "john.doe@example.com", "password": "wrong"}
    )
    assert response.status_code == 400
    assert 'name="password"' in browser.get(url).content.decode()


def test_deny_redirects_with_access_denied_state_and_iss(browser_identity):
    _, challenge = pkce_pair()
    browser = Client()
    url = authorize_url(browser_identity, challenge)
    sign_in(browser, url)
    params = code_from(browser.post(url, {"action": "deny"}))
    assert params == {"error": "access_denied", "state": "xyz-123", "iss": ISSUER}


@pytest.mark.parametrize(
    "overrides",
    [{"code_challenge": None, "code_challenge_method": None}, {"code_challenge_method": "plain"}],
)
def test_pkce_s256_is_required(browser_identity, overrides):
    _, challenge = pkce_pair()
    response = Client().get(authorize_url(browser_identity, challenge, **overrides))
    params = code_from(response)
    assert params["error"] == "invalid_request"
    assert params["state"] == "xyz-123"
    assert params["iss"] == ISSUER


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://agent.example/callback/"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": None},
        {"client_id": "unknown"},
    ],
)
def test_bad_client_or_redirect_uri_shows_a_page_and_never_redirects(browser_identity, overrides):
    _, challenge = pkce_pair()
    response = Client().get(authorize_url(browser_identity, challenge, **overrides))
    assert response.status_code == 400
    assert "does not work" in response.content.decode()


def test_another_orgs_client_cannot_use_this_orgs_endpoints(browser_identity, other_identity):
    _, challenge = pkce_pair()
    page = Client().get(
        authorize_url(browser_identity, challenge, client_id=other_identity.client_id)
    )
    assert page.status_code == 400

    token = Client().post(
        "/oauth/FLOWERS/token",
        {"grant_type": "refresh_token", "refresh_token": "x"},
        HTTP_AUTHORIZATION=basic(other_identity.client_id, other_identity.client_secret),
    )
    assert token.status_code == 401
    assert token.json()["error"] == "invalid_client"


def test_rfc_token_errors_keep_rfc_shapes(identity):
    response = Client().post(
        "/oauth/FLOWERS/token",
        {"grant_type": "authorization_code", "code": "nope"},
        HTTP_AUTHORIZATION=basic(identity.client_id, "wrong"),
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_console_creates_a_customer_with_a_password(admin_client, org):
    response = admin_client.post(
        "/admin/identity/customeraccount/add/",
        {
            "org": org.pk,
            "public_id": "cust_new",
            "name": "New Customer",
            "email": "new@example.com",
            "new_password": "a long enough passphrase",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = CustomerAccount.objects.get(customer__public_id="cust_new")
    assert account.org == org
    assert (
        services.password_sign_in(
            org=org, email="new@example.com", password="a long enough passphrase"
        )
        == account
    )


def test_redirect_uris_are_set_by_command_and_validated(identity):
    out = StringIO()
    call_command(
        "set_redirect_uris",
        "--org",
        "FLOWERS",
        "--platform",
        str(identity.platform.guid),
        "https://agent.example/cb",
        "http://127.0.0.1/cb",
        stdout=out,
    )
    identity.platform.application.refresh_from_db()
    assert (
        identity.platform.application.redirect_uris
        == "https://agent.example/cb http://127.0.0.1/cb"
    )
    for bad in ("http://agent.example/cb", "https://agent.example/cb#frag", "/relative"):
        with pytest.raises(CommandError):
            call_command(
                "set_redirect_uris",
                "--org",
                "FLOWERS",
                "--platform",
                str(identity.platform.guid),
                bad,
            )
