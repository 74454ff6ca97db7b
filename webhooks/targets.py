"""Which callback URLs the service may call (SSRF protection), checked on save and on dial.

A URL is refused when its host is, or resolves to, a loopback, private, link-local, multicast,
reserved or cloud-metadata address. Hosts are read the way the resolver reads them, so the
decimal (`2130706433`), octal (`0177.0.0.1`), hex and short (`127.1`) forms of an IPv4 address and
IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are caught as what they really are.
`UCP_WEBHOOK_ALLOW_PRIVATE=true` lets private and loopback targets through (local development and
tests); link-local, multicast and metadata addresses stay refused even then.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from ucp import errors

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

CLOUD_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
CLOUD_METADATA_HOSTNAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.azure.internal", "instance-data"}
)
# Ranges Python does not call private but that reach internal networks.
EXTRA_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15")
)


class UnsafeTarget(Exception):
    """The callback URL points somewhere the service must not call."""


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why the service must not call this address, or None when it may."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        return address_problem(inner, allow_private=allow_private)

    if ip in CLOUD_METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_loopback:
        return None if allow_private else "a loopback address"
    if ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global or any(ip in n for n in EXTRA_PRIVATE_NETWORKS):
        return None if allow_private else "a private address"
    return None


def host_addresses(host: str, port: int) -> set[IPAddress]:
    """Every address the host stands for: itself when it is a literal, else what it resolves to.
    getaddrinfo applies the same legacy IPv4 parsing (decimal, octal, hex, short) as the client
    that will dial it."""
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"the host {host!r} does not resolve") from exc
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def target_check(url: str, *, allow_private: bool | None = None) -> None:
    """Raises UnsafeTarget unless `url` is an http(s) URL whose host the service may call.
    `allow_private` defaults to UCP_WEBHOOK_ALLOW_PRIVATE."""
    if allow_private is None:
        allow_private = settings.UCP_WEBHOOK_ALLOW_PRIVATE
    if any(c == "\\" or c.isspace() or not c.isprintable() for c in url):
        # urllib.parse and the HTTP client read these differently: `https://127.0.0.1\@host/`
        # is `host` to urlsplit but 127.0.0.1 to urllib3, which is the one that dials.
        raise UnsafeTarget("the URL has a backslash, a space or a control character")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        dialled = parse_url(url)
    except (ValueError, LocationParseError) as exc:
        raise UnsafeTarget("the URL is malformed") from exc
    if (dialled.host or "").strip("[]").lower() != (parts.hostname or "").lower():
        raise UnsafeTarget("the URL's host is ambiguous")

    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("the URL must use https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTarget("the URL has no host")
    if host in CLOUD_METADATA_HOSTNAMES:
        raise UnsafeTarget("the host is a cloud metadata service")

    for ip in host_addresses(host, port):
        problem = address_problem(ip, allow_private=allow_private)
        if problem and is_ip_literal(host):
            raise UnsafeTarget(f"the host {host!r} is {problem} ({ip})")
        if problem:
            # The address a name resolves to is not told: org admins must not be able to map
            # the service's internal DNS through this message.
            raise UnsafeTarget(f"the host {host!r} resolves to {problem}")
    if parts.scheme != "https" and not allow_private:
        raise UnsafeTarget("the URL must use https")


def callback_url_validate(url: str) -> str:
    """The URL to save, or invalid-input on `callback_url` saying why it is refused."""
    if len(url) > 2000:
        raise errors.InvalidInput.for_field("callback_url", "must be at most 2000 characters")
    try:
        target_check(url)
    except UnsafeTarget as exc:
        raise errors.InvalidInput.for_field("callback_url", f"refused: {exc}") from None
    return url
