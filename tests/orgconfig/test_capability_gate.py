"""A capability the org switched off answers 404 capability-disabled on its routes."""

import importlib

import pytest

from orgconfig.models import Org, UcpConfig
from orgconfig.permissions import CapabilityDisabled, ensure_capability
from orgconfig.selectors import capability_enabled
from orgconfig.services import ucp_config_set


def set_capabilities(org, **capabilities):
    revision = UcpConfig.objects.get(org=org).revision
    ucp_config_set(
        org=org, actor="test", expected_revision=revision, changes={"capabilities": capabilities}
    )


def test_capability_enabled_follows_the_config(org):
    assert capability_enabled(org=org, capability="checkout")
    assert not capability_enabled(org=org, capability="identity_linking")
    assert not capability_enabled(org=org, capability="no_such_thing")

    set_capabilities(org, identity_linking=True, order=False)

    assert capability_enabled(org=org, capability="identity_linking")
    assert not capability_enabled(org=org, capability="order")


def test_inactive_org_offers_nothing(org):
    Org.objects.filter(pk=org.pk).update(is_active=False)
    org.refresh_from_db()

    assert not capability_enabled(org=org, capability="checkout")
    with pytest.raises(CapabilityDisabled):
        ensure_capability(org=org, capability="checkout")


def test_org_without_stored_config_gets_the_defaults(org):
    UcpConfig.objects.filter(org=org).delete()

    assert capability_enabled(org=org, capability="checkout")
    assert not capability_enabled(org=org, capability="identity_linking")


def test_disabled_checkout_answers_capability_disabled(flower_shop, as_platform):
    cart = {"line_items": [{"item": {"id": "bouquet_roses"}, "quantity": 1}]}
    assert as_platform.post("checkout/create", cart).status_code == 201

    set_capabilities(flower_shop, checkout=False, fulfillment=False, discount=False)
    response = as_platform.post("checkout/create", cart)

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["error_code"] == "capability-disabled"
    assert error["details"] == {"capability": "checkout"}


def test_bad_credentials_still_401_when_checkout_is_disabled(flower_shop, api):
    set_capabilities(flower_shop, checkout=False, fulfillment=False, discount=False)

    response = api.post(
        "/ucp/checkout/create", {"client_id": "x", "client_secret": "y"}, format="json"
    )

    assert response.status_code == 401


def test_orgs_configured_before_the_catalog_existed_offer_it(org):
    from django.apps import apps

    catalog_migration = importlib.import_module("orgconfig.migrations.0008_catalog_capability")
    config = UcpConfig.objects.get(org=org)
    config.capabilities = {k: v for k, v in config.capabilities.items() if k != "catalog"}
    config.save()
    assert not capability_enabled(org=org, capability="catalog")

    catalog_migration.catalog_on_where_unset(apps, schema_editor=None)

    assert capability_enabled(org=org, capability="catalog")
    set_capabilities(org, catalog=False)
    catalog_migration.catalog_on_where_unset(apps, schema_editor=None)
    assert not capability_enabled(org=org, capability="catalog")
