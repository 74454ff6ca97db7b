"""Callback URLs that reach internal addresses are refused when saved and again when dialled."""

import pytest

from platforms.services import platform_register
from webhooks import services
from webhooks.models import WebhookConfig
from webhooks.targets import UnsafeTarget, target_check

REFUSED_ALWAYS = [
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "https://100.100.100.200/",  # Alibaba metadata
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://[::ffff:169.254.169.254]/",  # IPv4-mapped metadata
    "https://2852039166/",  # 169.254.169.254 in decimal
    "https://0251.0376.0251.0376/",  # 169.254.169.254 in octal
    "https://169.254.10.10/",  # link-local
    "https://[fe80::1]/",  # IPv6 link-local
    "https://224.0.0.1/",  # multicast
    "https://[ff02::1]/",  # IPv6 multicast
    "https://0.0.0.0/",  # unspecified
]
REFUSED_UNLESS_PRIVATE_ALLOWED = [
    "https://127.0.0.1/hooks",
    "https://127.1/",  # short form
    "https://2130706433/",  # decimal
    "https://0177.0.0.1/",  # octal
    "https://0x7f.0.0.1/",  # hex
    "https://localhost:8443/",  # a name that resolves to loopback
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "https://[::ffff:7f00:1]/",
    "https://10.0.0.1/",
    "https://172.16.5.4/",
    "https://192.168.1.10/",
    "https://0300.0250.0001.0012/",  # 192.168.1.10 in octal
    "https://[fd12:3456::1]/",  # IPv6 unique local
    "https://100.64.0.1/",  # carrier-grade NAT
]


@pytest.fixture
def platform(org):
    platform, _ = platform_register(org=org, caption="Agent")
    services.config_get_or_create(platform=platform)
    return platform


def set_url(admin, platform, url):
    return admin.post(
        "webhook/config/set",
        {"platform_guid": str(platform.guid), "expected_revision": 1, "callback_url": url},
    )


@pytest.mark.parametrize("url", REFUSED_ALWAYS + REFUSED_UNLESS_PRIVATE_ALLOWED)
def test_internal_targets_are_refused_on_save(admin, platform, url):
    response = set_url(admin, platform, url)

    assert response.status_code == 400, url
    error = response.json()["error"]
    assert error["error_code"] == "invalid-input"
    assert "callback_url" in error["details"]["fields"]
    assert "refused" in error["message"]
    config = WebhookConfig.objects.get(platform=platform)
    assert config.callback_url == "" and config.revision == 1 and config.signing_secret == ""


@pytest.mark.parametrize("url", REFUSED_ALWAYS)
def test_metadata_link_local_and_multicast_stay_refused_when_private_is_allowed(
    admin, platform, settings, url
):
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = True

    assert set_url(admin, platform, url).status_code == 400


@pytest.mark.parametrize("url", REFUSED_UNLESS_PRIVATE_ALLOWED + ["http://127.0.0.1:18399/"])
def test_private_and_loopback_are_allowed_by_the_setting(admin, platform, settings, url):
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = True

    response = set_url(admin, platform, url)

    assert response.status_code == 200, response.json()


def test_plain_http_needs_the_development_setting(admin, platform):
    response = set_url(admin, platform, "http://93.184.215.14/hooks")

    assert response.status_code == 400
    assert "https" in response.json()["error"]["message"]


def test_a_public_https_target_is_accepted(admin, platform):
    assert set_url(admin, platform, "https://93.184.215.14/hooks").status_code == 200
    assert set_url_ok_v6(admin, platform)


def set_url_ok_v6(admin, platform):
    response = admin.post(
        "webhook/config/set",
        {
            "platform_guid": str(platform.guid),
            "expected_revision": 2,
            "callback_url": "https://[2606:4700:4700::1111]/hooks",
        },
    )
    return response.status_code == 200


def test_unresolvable_names_are_refused():
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        target_check("https://no-such-host.invalid/hooks")


def test_a_saved_url_that_became_internal_is_refused_when_dialled(
    admin, platform, receiver, settings
):
    """The URL was saved while private targets were allowed (or its DNS changed since): the
    test send goes through the dial-time check, reports the refusal and sends nothing."""
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = True
    assert set_url(admin, platform, receiver.url).status_code == 200
    settings.UCP_WEBHOOK_ALLOW_PRIVATE = False

    response = admin.post("webhook/test", {"platform_guid": str(platform.guid)})

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["success"] is False
    assert data["status_code"] is None
    assert "refused" in data["error"] and "loopback" in data["error"]
    assert receiver.requests == []
