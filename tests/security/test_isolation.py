"""Isolation matrix: every route that takes an id, called by everyone who must not reach the id.

For each route in ID_ROUTES and each caller in CALLERS the answer must be 404 or 401 (or the
route's own outsider statuses: the token endpoint answers an OAuth error), carry the same envelope
(apart from request id, timestamp and latency) as the same caller asking for an id that does not
exist at all, and leave every row in the database as it was.

New routes and callers are one line each: an IdRoute names the route, the body field that carries
the id (or the header, for the org itself), which object of org B it points at, and any other
fields it needs; a Caller builds the credentials one outsider presents.
"""

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps

from catalog.services import catalog_import
from checkout.pricing import RequestedLine
from checkout.services import checkout_create
from identity import services as identity_services
from identity.models import IdentityLink, LinkStatus
from orgconfig.models import Role
from orgconfig.services import api_key_create
from platforms.services import platform_register, platform_revoke
from tests.conftest import FLOWER_SHOP

CART = [{"item": {"id": "bouquet_roses"}, "quantity": 1}]

# Tables the matrix watches: every model of the project's apps and the OAuth tables underneath.
WATCHED_APPS = {
    "orgconfig", "catalog", "platforms", "checkout", "orders", "identity", "webhooks",
    "oauth2_provider",
}  # fmt: skip
# Columns that change on any authenticated call by design (they record use, not state).
USE_STAMPS = {("orgconfig", "apikey"): {"last_used_at"}}


@dataclass(frozen=True)
class IdRoute:
    """A route below /ucp/. The id goes in the JSON body as `id_field`, into the request header
    `id_header` (the org's orgcode in x-orgcode), or, when the route has an `{id}` placeholder
    (REST-style paths), into the path. A value of `extra` may be a function of the World (an id
    of org A's own that the route needs besides the foreign one)."""

    route: str
    id_field: str | None
    target: str  # which of org B's objects the id names: platform, checkout, customer, link...
    extra: dict = field(default_factory=dict)
    method: str = "POST"
    id_header: str | None = None
    outsider_statuses: tuple = (401, 404)


ID_ROUTES = [
    IdRoute("platform/get", "platform_guid", "platform"),
    IdRoute("platform/rotate", "platform_guid", "platform", {"expected_revision": 1}),
    IdRoute("platform/revoke", "platform_guid", "platform", {"expected_revision": 1}),
    IdRoute("checkout/get", "checkout_guid", "checkout"),
    IdRoute(
        "checkout/update", "checkout_guid", "checkout", {"expected_revision": 1, "line_items": CART}
    ),  # noqa: E501
    IdRoute("checkout/complete", "checkout_guid", "checkout"),
    IdRoute("checkout/cancel", "checkout_guid", "checkout", {"expected_revision": 1}),
    # identity: org B's platform or customer in an authorize, org B's link, org B's code.
    IdRoute(
        "identity/authorize", "platform_guid", "platform", {"customer_guid": lambda w: "cust_1"}
    ),
    IdRoute(
        "identity/authorize",
        "customer_guid",
        "customer",
        {"platform_guid": lambda w: w.ids["platform"]["a"]},
    ),
    IdRoute("identity/link/revoke", "link_guid", "link"),
    IdRoute("identity/link/list", "platform_guid", "platform"),
    IdRoute("identity/link/list", "customer_guid", "customer"),
    # A code issued by org B, presented with org A's client: the RFC's invalid_grant (400).
    IdRoute(
        "identity/token",
        "code",
        "code",
        {"grant_type": "authorization_code"},
        outsider_statuses=(400, 401),
    ),
    # webhooks: org B's platform's subscription.
    IdRoute("webhook/config/get", "platform_guid", "platform"),
    IdRoute(
        "webhook/config/set",
        "platform_guid",
        "platform",
        {"expected_revision": 1, "enabled": False, "callback_url": "https://a.example/hook"},
    ),
    IdRoute("webhook/test", "platform_guid", "platform"),
    # The org itself: org A's key naming org B (or a platform naming it) reads and writes nothing.
    IdRoute("config/get", None, "org", id_header="HTTP_X_ORGCODE"),
    IdRoute(
        "config/set",
        None,
        "org",
        {"expected_revision": 1, "tax_rate_bps": 999},
        id_header="HTTP_X_ORGCODE",
    ),
]


@dataclass
class World:
    org_a: object
    org_b: object
    ids: dict  # target -> {"b": org B's id, "own-revoked": the revoked platform's own id}
    credentials: dict  # caller name -> (headers, body fields)


def admin(org, plaintext, orgcode=None):
    return {"HTTP_X_API_KEY": plaintext, "HTTP_X_ORGCODE": orgcode or org.orgcode}, {}


def platform_body(platform, secret):
    return {}, {"client_id": platform.client_id, "client_secret": secret}


def platform_basic(platform, secret):
    token = base64.b64encode(f"{platform.client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}, {}


@dataclass(frozen=True)
class Caller:
    name: str
    # Which of the world's ids this caller is aimed at: org B's, or the revoked platform's own.
    aims_at: str
    credentials: Callable[[World], tuple[dict, dict]]


CALLERS = [
    Caller("org A owner key", "b", lambda w: w.credentials["a_owner"]),
    Caller("org A owner key naming org B", "b", lambda w: w.credentials["a_owner_as_b"]),
    Caller("org A platform (body)", "b", lambda w: w.credentials["a_platform"]),
    Caller("org A platform (Basic)", "b", lambda w: w.credentials["a_platform_basic"]),
    Caller("revoked platform, own ids", "own-revoked", lambda w: w.credentials["revoked"]),
    Caller("revoked platform, org B ids", "b", lambda w: w.credentials["revoked"]),
    Caller("org A customer token", "b", lambda w: w.credentials["a_customer_token"]),
]


def customer_token(api, platform, secret, customer) -> str:
    """An access token of an active identity link, obtained the way a platform does."""
    _, code, _ = identity_services.link_authorize(platform=platform, customer=customer)
    response = api.post(
        "/ucp/identity/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": platform.client_id,
            "client_secret": secret,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]["access_token"]


@pytest.fixture
def world(api, flower_shop, other_org) -> World:
    org_a, org_b = flower_shop, other_org
    catalog_import(org=org_b, directory=FLOWER_SHOP)

    platform_b, secret_b = platform_register(org=org_b, caption="B agent")
    session_b = checkout_create(
        platform=platform_b, lines=[RequestedLine(item_id="bouquet_roses", quantity=1)], buyer={}
    )
    # A customer id only org B has (both orgs imported cust_1...), with a pending link and code.
    customer_b = identity_services.customer_create(
        org=org_b, public_id="cust_only_b", name="B Buyer", email="b@example.com"
    )
    link_b, code_b, _ = identity_services.link_authorize(platform=platform_b, customer=customer_b)

    _, a_key = api_key_create(org=org_a, name="A owner", role=Role.OWNER)
    platform_a, secret_a = platform_register(org=org_a, caption="A agent")
    customer_a = org_a.customers.get(public_id="cust_1")
    a_token = customer_token(api, platform_a, secret_a, customer_a)

    revoked, revoked_secret = platform_register(org=org_a, caption="Revoked agent")
    revoked_session = checkout_create(
        platform=revoked, lines=[RequestedLine(item_id="bouquet_roses", quantity=1)], buyer={}
    )
    revoked_link, revoked_code, _ = identity_services.link_authorize(
        platform=revoked, customer=customer_a
    )
    revoked = platform_revoke(platform=revoked, expected_revision=revoked.revision)

    return World(
        org_a=org_a,
        org_b=org_b,
        ids={
            "platform": {
                "b": str(platform_b.guid),
                "own-revoked": str(revoked.guid),
                "a": str(platform_a.guid),
            },
            "checkout": {"b": str(session_b.guid), "own-revoked": str(revoked_session.guid)},
            "customer": {"b": customer_b.public_id, "own-revoked": customer_a.public_id},
            "link": {"b": str(link_b.guid), "own-revoked": str(revoked_link.guid)},
            "code": {"b": code_b, "own-revoked": revoked_code},
            "org": {"b": org_b.orgcode, "own-revoked": org_a.orgcode},
        },
        credentials={
            "a_owner": admin(org_a, a_key),
            "a_owner_as_b": admin(org_a, a_key, orgcode=org_b.orgcode),
            "a_platform": platform_body(platform_a, secret_a),
            "a_platform_basic": platform_basic(platform_a, secret_a),
            "revoked": platform_body(revoked, revoked_secret),
            "a_customer_token": ({"HTTP_AUTHORIZATION": f"Bearer {a_token}"}, {}),
            "b_platform": platform_body(platform_b, secret_b),
        },
    )


def snapshot() -> dict:
    rows = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in WATCHED_APPS:
            continue
        skip = USE_STAMPS.get((meta.app_label, meta.model_name), set())
        fields = [f.attname for f in meta.concrete_fields if f.attname not in skip]
        rows[meta.label] = sorted(
            model.objects.order_by("pk").values_list(*fields), key=lambda row: str(row)
        )
    return rows


def comparable(response) -> tuple[int, dict]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("stats", None)  # request id, timestamp, latency
    return response.status_code, body


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: f"{r.route}:{r.id_field or r.target}")
def test_outsiders_get_the_unknown_id_answer_and_change_nothing(api, world, route):
    for caller in CALLERS:
        headers, body_fields = caller.credentials(world)
        foreign_id = world.ids[route.target][caller.aims_at]

        def call(target_id, headers=headers, body_fields=body_fields):
            extra = {k: v(world) if callable(v) else v for k, v in route.extra.items()}
            body = {**body_fields, **extra}
            if route.id_field:
                body[route.id_field] = target_id
            if route.id_header:
                headers = {**headers, route.id_header: target_id}
            path = "/ucp/" + route.route.replace("{id}", target_id)
            return api.generic(
                route.method, path, json.dumps(body), content_type="application/json", **headers
            )

        before = snapshot()
        foreign = call(foreign_id)
        after = snapshot()
        unknown = call(str(uuid.uuid4()))

        label = f"{caller.name} -> {route.route}"
        assert foreign.status_code in route.outsider_statuses, (label, foreign.content)
        assert comparable(foreign) == comparable(unknown), label
        assert after == before, f"{label} changed the database"


# --- identity: tokens across orgs -------------------------------------------------------------


def platform_call(api, route: str, credentials: tuple[dict, dict], **fields):
    headers, body = credentials
    return api.post(f"/ucp/{route}", {**body, **fields}, format="json", **headers)


@pytest.mark.parametrize("caller", ["a_platform", "a_platform_basic"])
def test_org_b_code_with_org_a_client_is_invalid_grant(api, world, caller):
    code_b = world.ids["code"]["b"]

    response = platform_call(
        api,
        "identity/token",
        world.credentials[caller],
        grant_type="authorization_code",
        code=code_b,
    )

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["error_code"], error["details"]["oauth_error"]) == (
        "invalid-grant",
        "invalid_grant",
    )
    link_b = IdentityLink.objects.get(guid=world.ids["link"]["b"])
    assert link_b.status == LinkStatus.PENDING


def test_userinfo_with_org_a_token_answers_org_a_customer_whatever_the_request_names(api, world):
    headers, _ = world.credentials["a_customer_token"]

    response = api.post(
        "/ucp/identity/userinfo",
        {"customer_guid": world.ids["customer"]["b"], "orgcode": world.org_b.orgcode},
        format="json",
        HTTP_X_ORGCODE=world.org_b.orgcode,
        **headers,
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["customer_guid"] == "cust_1"
    assert world.org_a.customers.filter(public_id="cust_1").exists()


def test_org_a_client_cannot_revoke_org_b_tokens(api, world):
    b_token = platform_call(
        api,
        "identity/token",
        world.credentials["b_platform"],
        grant_type="authorization_code",
        code=world.ids["code"]["b"],
    ).json()["data"]["access_token"]

    # RFC 7009: another client's token answers success, and stays valid.
    response = platform_call(api, "identity/revoke", world.credentials["a_platform"], token=b_token)

    assert response.status_code == 200, response.content
    userinfo = api.post(
        "/ucp/identity/userinfo", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {b_token}"
    )
    assert userinfo.status_code == 200, userinfo.content
    assert userinfo.json()["data"]["customer_guid"] == "cust_only_b"
