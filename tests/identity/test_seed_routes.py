"""The seven seed routes under /ucp/identity/, in the envelope."""

import pytest
from rest_framework.test import APIClient

from identity.models import IdentityLink, LinkStatus
from orgconfig.models import Role
from platforms.services import platform_rotate_secret
from tests.conftest import SeedClient, make_admin_headers
from tests.identity.conftest import basic, pkce_pair, userinfo

pytestmark = pytest.mark.django_db


def test_full_flow_authorize_token_userinfo_refresh_revoke(identity):
    authorized = identity.authorize("cust_1")
    assert authorized.status_code == 201
    data = authorized.json()["data"]
    assert data["link"]["status"] == "pending"
    assert data["expires_in"] > 0

    exchanged = identity.exchange(data["code"])
    assert exchanged.status_code == 200
    tokens = exchanged.json()["data"]
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) >= {"dev.ucp.shopping.checkout:manage", "email"}
    link = IdentityLink.objects.get(guid=data["link"]["link_guid"])
    assert link.status == LinkStatus.ACTIVE

    me = userinfo(tokens["access_token"])
    assert me.status_code == 200
    assert me.json()["data"]["customer_guid"] == "cust_1"
    assert me.json()["data"]["email"] == "john.doe@example.com"

    refreshed = identity.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200
    new_tokens = refreshed.json()["data"]
    assert new_tokens["access_token"] != tokens["access_token"]
    assert userinfo(tokens["access_token"]).status_code == 401
    assert userinfo(new_tokens["access_token"]).status_code == 200

    revoked = identity.admin.post("identity/link/revoke", {"link_guid": str(link.guid)})
    assert revoked.status_code == 200
    assert revoked.json()["data"]["status"] == "revoked"

    refused = userinfo(new_tokens["access_token"])
    assert refused.status_code == 401
    assert refused.json()["error"]["error_code"] == "unauthorized"
    assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert identity.refresh(new_tokens["refresh_token"]).status_code == 400


def test_userinfo_releases_only_what_the_scope_allows(identity):
    narrow = identity.tokens(scope="dev.ucp.shopping.checkout:manage")
    data = userinfo(narrow["access_token"]).json()["data"]
    assert data["customer_guid"] == "cust_1"
    assert not {"name", "email", "phone_number", "addresses"} & set(data)

    wide = identity.tokens(scope="profile email phone address")
    data = userinfo(wide["access_token"]).json()["data"]
    assert data["name"] == "John Doe"
    assert data["email"] == "john.doe@example.com"
    assert [a["id"] for a in data["addresses"]] == ["addr_1", "addr_2"]
    assert data["addresses"][0]["address_locality"] == "Springfield"


def test_userinfo_without_a_token_is_401_in_the_envelope(identity):
    response = APIClient().post("/ucp/identity/userinfo", {}, format="json")
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"customer_guid": "cust_404"}, 404, "not-found"),
        ({"scope": "dev.ucp.shopping.checkout:manage admin:everything"}, 400, "invalid-input"),
        ({"redirect_uri": "https://agent.example/cb"}, 400, "invalid-input"),
        ({"customer_guid": 7}, 400, "invalid-input"),
    ],
)
def test_authorize_refuses_bad_input(identity, body, status, code):
    response = identity.admin.post(
        "identity/authorize",
        {"platform_guid": str(identity.platform.guid), "customer_guid": "cust_1", **body},
    )
    assert response.status_code == status
    assert response.json()["error"]["error_code"] == code


def test_authorize_needs_a_write_role(identity):
    viewer = SeedClient(APIClient(), **make_admin_headers(identity.org, Role.VIEWER))
    response = viewer.post(
        "identity/authorize",
        {"platform_guid": str(identity.platform.guid), "customer_guid": "cust_1"},
    )
    assert response.status_code == 403


def test_token_errors_come_in_the_envelope(identity):
    wrong_secret = APIClient().post(
        "/ucp/identity/token",
        {
            "client_id": identity.client_id,
            "client_secret": "nope",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
        format="json",
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"]["error_code"] == "invalid-client"

    bad_code = identity.exchange("not-a-code")
    assert bad_code.status_code == 400
    assert bad_code.json()["error"]["error_code"] == "invalid-grant"
    assert bad_code.json()["error"]["details"]["oauth_error"] == "invalid_grant"

    unsupported = identity.token(grant_type="urn:example:bogus")
    assert unsupported.status_code == 400
    assert unsupported.json()["error"]["error_code"] == "unsupported-grant-type"


def test_token_accepts_http_basic(identity):
    code = identity.code()
    response = APIClient().post(
        "/ucp/identity/token",
        {"grant_type": "authorization_code", "code": code},
        format="json",
        HTTP_AUTHORIZATION=basic(identity.client_id, identity.client_secret),
    )
    assert response.status_code == 200


def test_rotated_secret_works_through_the_grace_period(identity):
    platform, new_secret = platform_rotate_secret(
        platform=identity.platform, expected_revision=identity.platform.revision
    )
    assert identity.exchange(identity.code()).status_code == 200  # old secret, within grace
    identity.client_secret = new_secret
    assert identity.exchange(identity.code()).status_code == 200


def test_revoke_refresh_token_kills_its_access_token(identity):
    tokens = identity.tokens()
    response = identity.revoke(tokens["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert response.json()["data"] == {"revoked": True}
    assert userinfo(tokens["access_token"]).status_code == 401
    assert identity.refresh(tokens["refresh_token"]).status_code == 400


def test_revoke_access_token_also_revokes_its_refresh_token(identity):
    tokens = identity.tokens()
    assert identity.revoke(tokens["access_token"]).status_code == 200
    assert userinfo(tokens["access_token"]).status_code == 401
    assert identity.refresh(tokens["refresh_token"]).status_code == 400


def test_revoke_unknown_token_still_succeeds_but_bad_client_does_not(identity):
    assert identity.revoke("never-issued").status_code == 200
    identity.client_secret = "wrong"
    assert identity.revoke("never-issued").status_code == 401


def test_link_list_paginates_and_filters(identity):
    for customer_guid in ("cust_1", "cust_2", "cust_3"):
        identity.code(customer_guid)
    identity.exchange(identity.code("cust_2"))

    first = identity.admin.post("identity/link/list", {"limit": 2}).json()["data"]
    assert len(first["items"]) == 2 and first["next_token"]
    second = identity.admin.post(
        "identity/link/list", {"limit": 2, "next_token": first["next_token"]}
    ).json()["data"]
    assert [i["customer_guid"] for i in first["items"] + second["items"]] == [
        "cust_1",
        "cust_2",
        "cust_3",
    ]
    assert second["next_token"] is None

    active = identity.admin.post("identity/link/list", {"status": "active"}).json()["data"]
    assert [i["customer_guid"] for i in active["items"]] == ["cust_2"]
    by_customer = identity.admin.post("identity/link/list", {"customer_guid": "cust_3"})
    assert [i["status"] for i in by_customer.json()["data"]["items"]] == ["pending"]
    by_platform = identity.admin.post(
        "identity/link/list", {"platform_guid": str(identity.platform.guid)}
    )
    assert len(by_platform.json()["data"]["items"]) == 3

    foreign_token = identity.admin.post(
        "identity/link/list", {"status": "pending", "next_token": first["next_token"]}
    )
    assert foreign_token.status_code == 400


def test_link_revoke_of_unknown_link_is_404(identity):
    response = identity.admin.post(
        "identity/link/revoke", {"link_guid": "00000000-0000-0000-0000-000000000000"}
    )
    assert response.status_code == 404


def test_relinking_after_revoke_makes_the_link_active_again(identity):
    identity.tokens()
    link = IdentityLink.objects.get()
    identity.admin.post("identity/link/revoke", {"link_guid": str(link.guid)})
    tokens = identity.tokens()
    link.refresh_from_db()
    assert link.status == LinkStatus.ACTIVE
    assert userinfo(tokens["access_token"]).status_code == 200


def test_seed_metadata_route_in_the_envelope(identity):
    response = APIClient().get(
        "/ucp/identity/.well-known/oauth-authorization-server", {"orgcode": "FLOWERS"}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["issuer"] == "http://testserver/oauth/FLOWERS"
    assert data["code_challenge_methods_supported"] == ["S256"]

    missing = APIClient().get(
        "/ucp/identity/.well-known/oauth-authorization-server", {"orgcode": "NOPE"}
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["error_code"] == "not-found"


def test_admin_code_with_a_pkce_challenge_needs_the_verifier(identity):
    verifier, challenge = pkce_pair()
    code = identity.code(code_challenge=challenge, code_challenge_method="S256")
    assert identity.exchange(code).status_code == 400
    response = identity.token(grant_type="authorization_code", code=code, code_verifier=verifier)
    assert response.status_code == 200
