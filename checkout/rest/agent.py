"""The calling platform as it advertises itself: the `UCP-Agent` header and the profile it names.

`UCP-Agent` is an RFC 8941 dictionary. Real clients send `profile="<url>"` with an optional
`version` either as its own member (`profile="…", version="…"`) or as a parameter of the profile
member (`profile="…"; version="…"`, what the conformance suite sends); a bare quoted URL without
`profile=` is accepted too. The profile is fetched through a hardened client (no redirects, short
timeouts, no private or loopback addresses unless the environment allows them) and cached, and a
profile that cannot be fetched never blocks a request that names a version we speak.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import http_sfv
import requests
from django.conf import settings
from django.core.cache import cache
from requests_hardened import Config, Manager

from ucp.secrets import secret_digest
from webhooks.targets import UnsafeTarget, target_check

logger = logging.getLogger(__name__)

PROFILE_CACHE_SECONDS = 300
UNREACHABLE_CACHE_SECONDS = 60
PROFILE_MAX_BYTES = 256 * 1024
# The whole download, however the platform paces its bytes: the client's read timeout applies per
# socket read, so a host sending one byte every two seconds would otherwise hold the request.
PROFILE_DEADLINE_SECONDS = 5


@dataclass(frozen=True)
class AgentHeader:
    profile_url: str = ""
    version: str = ""


@dataclass(frozen=True)
class PlatformProfile:
    """What the business needs from a platform profile; empty when it could not be read."""

    reachable: bool
    version: str = ""
    capabilities: dict[str, list[str]] = field(default_factory=dict)
    order_webhook_url: str = ""


class MalformedAgentHeader(ValueError):
    pass


def parse_agent_header(raw: str | None) -> AgentHeader:
    if not raw or not raw.strip():
        return AgentHeader()
    raw = raw.strip()
    if raw.startswith('"'):
        raw = "profile=" + raw

    dictionary = http_sfv.Dictionary()
    try:
        dictionary.parse(raw.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise MalformedAgentHeader(f"UCP-Agent is not an RFC 8941 dictionary: {exc}") from None

    profile = dictionary.get("profile")
    version = dictionary.get("version")
    if any(isinstance(member, http_sfv.InnerList) for member in (profile, version)):
        # An inner list has no single value: `profile=("a" "b")` names no one profile.
        raise MalformedAgentHeader("UCP-Agent profile and version must be strings.")
    profile_url = profile.value if profile is not None else ""
    version_value = version.value if version is not None else ""
    if not version_value and profile is not None:
        version_value = profile.params.get("version", "")
    if not isinstance(profile_url, str) or not isinstance(version_value, str):
        raise MalformedAgentHeader("UCP-Agent profile and version must be strings.")
    return AgentHeader(profile_url=profile_url, version=version_value)


def profile_client() -> Manager:
    allow_private = settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE
    return Manager(
        Config(
            ip_filter_enable=not allow_private,
            ip_filter_allow_loopback_ips=allow_private,
            never_redirect=True,
            default_timeout=(2, 3),
            user_agent_override="ucp-business/1",
        )
    )


def fetchable(url: str) -> bool:
    """HTTPS only; plain HTTP only where private targets are allowed (development, tests). Where
    they are, the client's IP filter is off, so link-local, multicast and cloud metadata hosts
    are refused here, as the webhook sender refuses them."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    allow_private = settings.UCP_AGENT_PROFILE_ALLOW_PRIVATE
    allowed = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed or not parts.hostname:
        return False
    if allow_private:
        try:
            target_check(url, allow_private=True)
        except UnsafeTarget:
            return False
    return True


def version_of(entry: dict) -> str:
    """A capability entry's version as text. A JSON null says no more than an absent member, so
    it is "" as well (no version: taken as compatible); another non-string (a number, a list)
    is kept as its text, which names no version we serve."""
    version = entry.get("version")
    return "" if version is None else str(version)


def capabilities_of(ucp: dict) -> dict[str, list[str]]:
    """Capability name → versions, from either release's shape (array or map of arrays)."""
    raw = ucp.get("capabilities") or {}
    found: dict[str, list[str]] = {}
    if isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                found.setdefault(entry["name"], []).append(version_of(entry))
    elif isinstance(raw, dict):
        for name, entries in raw.items():
            entries = entries if isinstance(entries, list) else [entries]
            found[name] = [version_of(e) for e in entries if isinstance(e, dict)]
    return found


def usable_webhook_url(url) -> bool:
    """An http(s) URL the binding can store as it is. A longer one would not fit its column and
    must not be cut to another URL; a NUL or a lone surrogate (both valid JSON escapes) would make
    PostgreSQL refuse the row, and the checkout with it. Whether the host may be called is decided
    at each delivery (webhooks.targets)."""
    if not isinstance(url, str) or len(url) > 2000 or not url.isprintable():
        return False
    try:
        return urlsplit(url).scheme in {"http", "https"}
    except ValueError:
        return False


def order_webhook_url_of(ucp: dict) -> str:
    raw = ucp.get("capabilities") or {}
    entries = []
    if isinstance(raw, list):
        entries = [
            e for e in raw if isinstance(e, dict) and e.get("name") == "dev.ucp.shopping.order"
        ]
    elif isinstance(raw, dict):
        entries = raw.get("dev.ucp.shopping.order") or []
    for entry in entries if isinstance(entries, list) else []:
        config = entry.get("config") if isinstance(entry, dict) else None
        url = config.get("webhook_url") if isinstance(config, dict) else None
        if usable_webhook_url(url):
            return url
    return ""


def read_profile(document) -> PlatformProfile:
    ucp = document.get("ucp") if isinstance(document, dict) else None
    if not isinstance(ucp, dict):
        return PlatformProfile(reachable=False)
    version = ucp.get("version") if isinstance(ucp.get("version"), str) else ""
    return PlatformProfile(
        reachable=True,
        version=version,
        capabilities=capabilities_of(ucp),
        order_webhook_url=order_webhook_url_of(ucp),
    )


def read_capped(response) -> bytes:
    """At most PROFILE_MAX_BYTES of the body within PROFILE_DEADLINE_SECONDS, else ValueError."""
    deadline = time.monotonic() + PROFILE_DEADLINE_SECONDS
    received = bytearray()
    # read1 returns what has arrived instead of waiting for a full chunk, so the deadline is
    # checked after every few bytes a slow host sends.
    while chunk := response.raw.read1(16384, decode_content=True):
        received += chunk
        if len(received) > PROFILE_MAX_BYTES:
            raise ValueError(f"the profile is larger than {PROFILE_MAX_BYTES} bytes")
        if time.monotonic() > deadline:
            raise ValueError(f"the profile took longer than {PROFILE_DEADLINE_SECONDS} s")
    return bytes(received)


def download_profile(url: str) -> PlatformProfile:
    try:
        with profile_client().get_session() as session:
            response = session.get(
                url, headers={"Accept": "application/json"}, stream=True, allow_redirects=False
            )
            with response:
                if response.status_code != 200:
                    raise ValueError(f"status {response.status_code}")
                document = json.loads(read_capped(response))
        return read_profile(document)
    except RecursionError:
        logger.info("Platform profile unreadable", extra={"profile_url": url, "reason": "nested"})
        return PlatformProfile(reachable=False)
    except (requests.RequestException, ValueError) as exc:
        logger.info("Platform profile unreachable", extra={"profile_url": url, "reason": str(exc)})
        return PlatformProfile(reachable=False)


def platform_profile(url: str) -> PlatformProfile:
    """The platform's profile, from the cache when fresh. Failures are cached briefly too, so a
    dead profile host costs one slow request per minute rather than one per call."""
    if not url or not fetchable(url):
        return PlatformProfile(reachable=False)
    key = f"ucp:agent-profile:{secret_digest(url)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    profile = download_profile(url)
    cache.set(
        key, profile, PROFILE_CACHE_SECONDS if profile.reachable else UNREACHABLE_CACHE_SECONDS
    )
    return profile
