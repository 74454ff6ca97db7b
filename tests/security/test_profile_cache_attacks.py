"""A shared cache in front of the service must not hand one host's profile URLs to another."""

import pytest


@pytest.mark.django_db
def test_envelope_profile_varies_on_host(api, org, settings):
    settings.ALLOWED_HOSTS = ["a.shop.example", "b.shop.example"]
    settings.UCP_PUBLIC_BASE_URL = ""

    on_a = api.get("/ucp/.well-known/ucp?orgcode=FLOWERS", HTTP_HOST="a.shop.example")
    on_b = api.get("/ucp/.well-known/ucp?orgcode=FLOWERS", HTTP_HOST="b.shop.example")

    assert on_a.status_code == on_b.status_code == 200
    assert "public" in on_a["Cache-Control"]
    assert "a.shop.example" in on_a.content.decode()
    assert "a.shop.example" not in on_b.content.decode()
    assert "Host" in on_a["Vary"]
