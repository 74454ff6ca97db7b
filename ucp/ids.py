"""Parsing of public ids sent by callers."""

import uuid

from ucp import errors


def parse_guid(value, field: str) -> uuid.UUID:
    """A UUID from a request field; a clear invalid-input error naming the field otherwise."""
    if not isinstance(value, str) or not value:
        raise errors.InvalidInput.for_field(field, "is required and must be a string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.InvalidInput.for_field(field, "is not a valid id") from None
