"""Isolation matrix: every route that takes an id, called by everyone who must not reach the id.

For each route in ID_ROUTES and each caller in CALLERS the answer must be 404 or 401, carry the
same envelope (apart from request id, timestamp and latency) as the same caller asking for an id
that does not exist at all, and leave every row in the database as it was.

New routes and callers are one line each: an IdRoute names the route, the body field that carries
the id, which object of org B it points at, and any other fields it needs; a Caller builds the
credentials one outsider presents.
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
    """A route below /ucp/. The id goes in the JSON body as `id_field`, or, when the route has an
    `{id}` placeholder (REST-style paths), into the path."""

    route: str
    id_field: str | None
    target: str  # which of org B's objects the id names: "platform" or "checkout"
    extra: dict = field(default_factory=dict)
    method: str = "POST"


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
    # Integrator: when identity/ lands, add org A's customer token here, e.g.
    # Caller("org A customer token", "b", lambda w: w.credentials["a_customer_token"]),
]


@pytest.fixture
def world(flower_shop, other_org) -> World:
    org_a, org_b = flower_shop, other_org
    catalog_import(org=org_b, directory=FLOWER_SHOP)

    platform_b, _ = platform_register(org=org_b, caption="B agent")
    session_b = checkout_create(
        platform=platform_b, lines=[RequestedLine(item_id="bouquet_roses", quantity=1)], buyer={}
    )

    _, a_key = api_key_create(org=org_a, name="A owner", role=Role.OWNER)
    platform_a, secret_a = platform_register(org=org_a, caption="A agent")

    revoked, revoked_secret = platform_register(org=org_a, caption="Revoked agent")
    revoked_session = checkout_create(
        platform=revoked, lines=[RequestedLine(item_id="bouquet_roses", quantity=1)], buyer={}
    )
    revoked = platform_revoke(platform=revoked, expected_revision=revoked.revision)

    return World(
        org_a=org_a,
        org_b=org_b,
        ids={
            "platform": {"b": str(platform_b.guid), "own-revoked": str(revoked.guid)},
            "checkout": {"b": str(session_b.guid), "own-revoked": str(revoked_session.guid)},
        },
        credentials={
            "a_owner": admin(org_a, a_key),
            "a_owner_as_b": admin(org_a, a_key, orgcode=org_b.orgcode),
            "a_platform": platform_body(platform_a, secret_a),
            "a_platform_basic": platform_basic(platform_a, secret_a),
            "revoked": platform_body(revoked, revoked_secret),
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


@pytest.mark.parametrize("route", ID_ROUTES, ids=lambda r: r.route)
def test_outsiders_get_the_unknown_id_answer_and_change_nothing(api, world, route):
    for caller in CALLERS:
        headers, body_fields = caller.credentials(world)
        foreign_id = world.ids[route.target][caller.aims_at]

        def call(target_id, headers=headers, body_fields=body_fields):
            body = {**body_fields, **route.extra}
            if route.id_field:
                body[route.id_field] = target_id
            path = "/ucp/" + route.route.replace("{id}", target_id)
            return api.generic(
                route.method, path, json.dumps(body), content_type="application/json", **headers
            )

        before = snapshot()
        foreign = call(foreign_id)
        after = snapshot()
        unknown = call(str(uuid.uuid4()))

        label = f"{caller.name} -> {route.route}"
        assert foreign.status_code in (401, 404), (label, foreign.content)
        assert comparable(foreign) == comparable(unknown), label
        assert after == before, f"{label} changed the database"
