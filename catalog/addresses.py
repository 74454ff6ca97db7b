"""Saved addresses in UCP's postal address vocabulary, and when two addresses are the same one.

A customer's saved address (`Address`) has its own column names (`city`, `state`, `country`);
checkout speaks UCP's (`address_locality`, `address_region`, `address_country`). Two addresses
are the same when street, extended address, locality, region, postal code and country agree
after normalising: case, surrounding and repeated whitespace, and the `.`/`,` people type or
leave out ("123 Main St." is "123 main st"); postal codes also without inner spaces
("M5V 2H1" is "M5V2H1"). Recipient names and phone numbers are not part of an address.
"""

import re

from catalog.models import Address

# UCP postal address field → Address column.
COLUMN_OF = {
    "street_address": "street_address",
    "extended_address": "extended_address",
    "address_locality": "city",
    "address_region": "state",
    "postal_code": "postal_code",
    "address_country": "country",
}
# What an address needs before it may be saved: somewhere a parcel can go.
REQUIRED_TO_SAVE = ("street_address", "address_locality", "address_country")

PUNCTUATION = re.compile(r"[.,]")
WHITESPACE = re.compile(r"\s+")


def normalised(value) -> str:
    text = PUNCTUATION.sub(" ", str(value or "")).casefold()
    return WHITESPACE.sub(" ", text).strip()


def match_key(postal_address: dict) -> tuple[str, ...]:
    """What identifies a postal address (UCP field names), normalised for comparison."""
    key = [normalised(postal_address.get(field)) for field in COLUMN_OF]
    postal_index = list(COLUMN_OF).index("postal_code")
    key[postal_index] = key[postal_index].replace(" ", "")
    return tuple(key)


def postal_address_of(address: Address) -> dict:
    """A saved address in UCP's postal address field names, without empty fields."""
    shaped = {field: getattr(address, column) for field, column in COLUMN_OF.items()}
    return {field: value for field, value in shaped.items() if value}


def field_text(postal_address: dict, field: str) -> str | None:
    """A field's trimmed text: "" when absent or null, None when it is not a string."""
    value = postal_address.get(field)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else None


def can_be_saved(postal_address: dict) -> bool:
    """Whether a sent address is complete enough for an address book (a street, a locality and
    a 2-letter country) and fits its columns; a bare country and postal code only prices
    shipping, and an address that does not fit is used for this checkout without being saved."""
    texts = {field: field_text(postal_address, field) for field in COLUMN_OF}
    if any(text is None for text in texts.values()):
        return False
    if not all(texts[field] for field in REQUIRED_TO_SAVE):
        return False
    country = texts["address_country"]
    if len(country) != 2 or not country.isalpha():
        return False
    return all(
        len(texts[field]) <= Address._meta.get_field(column).max_length
        for field, column in COLUMN_OF.items()
    )


def columns_of(postal_address: dict) -> dict:
    """The Address columns of a sent postal address that `can_be_saved`, trimmed."""
    columns = {column: field_text(postal_address, field) for field, column in COLUMN_OF.items()}
    columns["country"] = columns["country"].upper()
    return columns
