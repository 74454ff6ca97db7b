"""A rate limit on the REST binding's POST and PUT calls (the ones that do work: checkout writes
and catalog searches), per org and platform, on django-ratelimit and the shared cache.

The unauthenticated platform of an open shop (`rest_auth: none`) is one platform for everyone, so
its callers are told apart by their address too. GETs (agents poll sessions and orders) are not
limited. When the cache cannot be reached the call goes through: refusing every checkout because
Redis is down would be worse than a flood it would have stopped.
"""

import ipaddress
import logging

from django.conf import settings
from django_ratelimit.core import get_usage

from checkout.rest.errors import ProtocolError

logger = logging.getLogger(__name__)

LIMITED_METHODS = ("POST", "PUT")


def address_of(request) -> str:
    """The caller's address as the limit counts it. An IPv6 client is handed a whole /64 (often
    far more), so counting each address apart would give it 2**64 buckets: the /64 is counted as
    one. An IPv4-mapped IPv6 address is its IPv4 address."""
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def bucket_of(*, org, caller, request) -> str:
    bucket = f"{org.pk}:{caller.platform.pk}"
    if caller.anonymous:
        bucket += f":{address_of(request)}"
    return bucket


def rest_rate_check(request, *, org, caller, version: str) -> None:
    """Counts this call and raises a 429 `rate_limited` (with Retry-After) when its bucket is
    over UCP_REST_RATE."""
    if request.method not in LIMITED_METHODS or not settings.UCP_REST_RATE:
        return
    bucket = bucket_of(org=org, caller=caller, request=request)
    try:
        usage = get_usage(
            request,
            group="rest.binding",
            key=lambda group, request: bucket,
            rate=settings.UCP_REST_RATE,
            increment=True,
        )
    except Exception:
        logger.warning("Rate limit not checked: the cache is unreachable", exc_info=True)
        return
    if usage is None or not usage["should_limit"] or usage["limit"] == 0:
        # limit 0 is how the library says it could not count (cache failure): let it through.
        return

    retry_after = max(1, usage["time_left"])
    logger.warning(
        "REST binding rate limit reached",
        extra={"org": org.orgcode, "platform": str(caller.platform.guid)},
    )
    raise ProtocolError(
        429,
        "rate_limited",
        f"Too many requests; retry in {retry_after} seconds.",
        version,
        headers={"Retry-After": str(retry_after)},
    )
