"""Keyset pagination with opaque, signed `next_token`s (design.md §4).

A token names the last row served, the org and a digest of the filter it was issued for, and is
signed, so a caller can neither forge a position nor carry a token to another org or filter.
Keyset (pk > last) rather than offsets keeps pages stable while rows are inserted.
"""

import hashlib
import json

from django.conf import settings
from django.core import signing

from ucp import errors

TOKEN_SALT = "ucp.pagination"


def clamp_limit(value) -> int:
    if value is None:
        return settings.UCP_PAGE_SIZE_DEFAULT
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.InvalidInput.for_field("limit", "must be an integer")
    return max(1, min(settings.UCP_PAGE_SIZE_MAX, value))


def filter_digest(org_id: int, filters: dict) -> str:
    canonical = json.dumps({"org": org_id, "filters": filters}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def decode_token(token: str, digest: str) -> int:
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        raise errors.InvalidInput.for_field(
            "next_token", "is not a token this service issued"
        ) from None
    if not isinstance(payload, dict) or payload.get("f") != digest:
        raise errors.InvalidInput.for_field("next_token", "belongs to another org or filter")
    return int(payload["after"])


def paginate(queryset, *, org_id: int, filters: dict, limit=None, next_token=None):
    """Returns (rows, next_token) with `next_token` None on the last page."""
    limit = clamp_limit(limit)
    digest = filter_digest(org_id, filters)
    if next_token not in (None, ""):
        if not isinstance(next_token, str):
            raise errors.InvalidInput.for_field("next_token", "must be a string")
        queryset = queryset.filter(pk__gt=decode_token(next_token, digest))

    rows = list(queryset.order_by("pk")[: limit + 1])
    if len(rows) <= limit:
        return rows, None

    rows = rows[:limit]
    token = signing.dumps({"f": digest, "after": rows[-1].pk}, salt=TOKEN_SALT)
    return rows, token
