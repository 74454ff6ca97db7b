"""The catalog capabilities of the REST binding (2026-04-08): what a search, lookup or product
request asks for, checked field by field, and our products in UCP's product shape.

Our catalog has one purchasable thing per product, so every product has exactly one variant,
whose id is the product id: that is the `item.id` a checkout line item takes. Reads go through
catalog.selectors; nothing here queries the database itself.
"""

import base64
import binascii
import logging
from dataclasses import dataclass

from catalog.models import Product
from catalog.selectors import (
    PriceBounds,
    catalog_currencies,
    product_search_page,
    products_looked_up,
    stock_of,
)
from checkout.rest.errors import error_message
from checkout.rest.negotiation import Negotiated
from ucp import errors

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_QUERY_LENGTH = 256
MAX_QUERY_WORDS = 16
MAX_LOOKUP_IDS = 50
# Product ids are at most 100 characters; longer requested ids are refused rather than looked up.
MAX_ID_LENGTH = 100
# The largest amount the price column holds (a PostgreSQL bigint).
MAX_AMOUNT = 2**63 - 1
SUPPORTED_FILTERS = ("price",)
# A cursor is this prefix and the id of the last product of the page, base64url-encoded: opaque
# to platforms, and the prefix lets a later format be told apart.
CURSOR_PREFIX = "p1:"
# Base64 of the prefix and the longest id (a UTF-8 character takes at most 4 bytes).
MAX_CURSOR_LENGTH = 4 * -(-(len(CURSOR_PREFIX) + 4 * MAX_ID_LENGTH) // 3)


@dataclass(frozen=True)
class CatalogFilters:
    bounds: PriceBounds
    # The currency the price bounds are in (`context.currency`); None when the platform sent none.
    currency: str | None = None


@dataclass(frozen=True)
class SearchRequest:
    words: tuple[str, ...]
    filters: CatalogFilters
    after_id: str | None
    limit: int


@dataclass(frozen=True)
class LookupRequest:
    ids: tuple[str, ...]
    filters: CatalogFilters


@dataclass(frozen=True)
class ProductRequest:
    id: str
    filters: CatalogFilters


def invalid(field: str, problem: str) -> errors.InvalidInput:
    return errors.InvalidInput.for_field(field, problem)


def is_json_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def object_field(body: dict, name: str, path: str = "") -> dict:
    value = body.get(name, {})
    if not isinstance(value, dict):
        raise invalid(f"{path}{name}", "must be an object")
    return value


def identifier(value, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise invalid(field, "must be a non-empty string")
    if len(value) > MAX_ID_LENGTH:
        raise invalid(field, f"must be at most {MAX_ID_LENGTH} characters")
    return value


def amount(price: dict, name: str):
    value = price.get(name)
    if value is None:
        return None
    if not is_json_int(value) or not 0 <= value <= MAX_AMOUNT:
        raise invalid(f"filters.price.{name}", "must be a whole number of minor units, 0 or more")
    return value


def filters_from(body: dict) -> CatalogFilters:
    """`filters` (search_filters.json) and the `context.currency` its price bounds are in. The
    other members of `context`, `signals` and `attribution` are hints we do not use, but they
    must have their schema's type."""
    for hint in ("context", "signals", "attribution"):
        object_field(body, hint)
    currency = object_field(body, "context").get("currency")
    if currency is not None and not isinstance(currency, str):
        raise invalid("context.currency", "must be a string")

    filters = object_field(body, "filters")
    for name in filters:
        if name not in SUPPORTED_FILTERS:
            # Filters narrow the result: one we cannot apply would silently widen it.
            raise invalid(f"filters.{name}", f"not supported; supported: {SUPPORTED_FILTERS[0]}")
    price = object_field(filters, "price", "filters.")
    for name in price:
        if name not in ("min", "max"):
            raise invalid(f"filters.price.{name}", "not supported; supported: min, max")
    bounds = PriceBounds(low=amount(price, "min"), high=amount(price, "max"))
    if bounds.low is not None and bounds.high is not None and bounds.low > bounds.high:
        raise invalid("filters.price.min", "must not be greater than filters.price.max")
    return CatalogFilters(bounds=bounds, currency=currency)


def body_object(body) -> dict:
    if not isinstance(body, dict):
        raise errors.InvalidInput("The request body must be a JSON object.")
    return body


def query_words(body: dict) -> tuple[str, ...]:
    query = body.get("query", "")
    if not isinstance(query, str):
        raise invalid("query", "must be a string")
    if len(query) > MAX_QUERY_LENGTH:
        raise invalid("query", f"must be at most {MAX_QUERY_LENGTH} characters")
    words = tuple(dict.fromkeys(query.split()))
    if len(words) > MAX_QUERY_WORDS:
        raise invalid("query", f"must have at most {MAX_QUERY_WORDS} words")
    return words


def cursor_encode(last_id: str) -> str:
    return base64.urlsafe_b64encode((CURSOR_PREFIX + last_id).encode()).decode().rstrip("=")


def cursor_decode(cursor) -> str:
    """The product id a cursor continues after."""
    problem = "malformed; send the cursor of the previous response unchanged"
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid("pagination.cursor", problem)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("pagination.cursor", problem) from None
    last_id = text.removeprefix(CURSOR_PREFIX)
    if last_id == text or not last_id or len(last_id) > MAX_ID_LENGTH or "\x00" in last_id:
        raise invalid("pagination.cursor", problem)
    return last_id


def page_from(body: dict) -> tuple[str | None, int]:
    pagination = object_field(body, "pagination")
    limit = pagination.get("limit", DEFAULT_PAGE_SIZE)
    if not is_json_int(limit) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise invalid("pagination.limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    cursor = pagination.get("cursor")
    return (cursor_decode(cursor) if cursor is not None else None), limit


def search_request_from(body) -> SearchRequest:
    body = body_object(body)
    after_id, limit = page_from(body)
    return SearchRequest(
        words=query_words(body), filters=filters_from(body), after_id=after_id, limit=limit
    )


def lookup_request_from(body) -> LookupRequest:
    body = body_object(body)
    ids = body.get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_LOOKUP_IDS:
        raise invalid("ids", f"must be a list of 1 to {MAX_LOOKUP_IDS} ids")
    checked = tuple(identifier(value, f"ids[{index}]") for index, value in enumerate(ids))
    return LookupRequest(ids=checked, filters=filters_from(body))


def product_request_from(body) -> ProductRequest:
    body = body_object(body)
    # Our products have no options, so there is nothing to select or relax; both are checked
    # for their schema's type and otherwise ignored.
    selected = body.get("selected", [])
    if not isinstance(selected, list) or not all(isinstance(item, dict) for item in selected):
        raise invalid("selected", "must be a list of objects")
    preferences = body.get("preferences", [])
    if not isinstance(preferences, list) or not all(isinstance(p, str) for p in preferences):
        raise invalid("preferences", "must be a list of strings")
    return ProductRequest(id=identifier(body.get("id"), "id"), filters=filters_from(body))


def price_out(product: Product) -> dict:
    return {"amount": product.price, "currency": product.currency}


def availability_out(product: Product) -> dict:
    in_stock = stock_of(product) > 0
    return {"available": in_stock, "status": "in_stock" if in_stock else "out_of_stock"}


def variant_out(product: Product) -> dict:
    return {
        "id": product.public_id,
        "title": product.title,
        "description": {"plain": product.title},
        "price": price_out(product),
        "availability": availability_out(product),
    }


def product_out(product: Product, variant: dict | None = None) -> dict:
    """A product in UCP's shape; we keep no description, so its title stands in for one."""
    shaped = {
        "id": product.public_id,
        "title": product.title,
        "description": {"plain": product.title},
        "price_range": {"min": price_out(product), "max": price_out(product)},
        "variants": [variant or variant_out(product)],
    }
    if product.image_url:
        shaped["media"] = [{"type": "image", "url": product.image_url}]
    return shaped


def ucp_out(negotiated: Negotiated, capability: str) -> dict:
    return {
        "version": negotiated.version,
        "capabilities": {capability: [{"version": negotiated.version}]},
    }


def effective_bounds(org, filters: CatalogFilters) -> tuple[PriceBounds, list[dict]]:
    """The price bounds to apply, and a message when they cannot be. Bounds are in
    `context.currency`; we do not convert currencies, so bounds in a currency none of our
    products is priced in are ignored and said so (price_filter.json allows that)."""
    bounds = filters.bounds
    if filters.currency is None or bounds == PriceBounds():
        return bounds, []
    if filters.currency in catalog_currencies(org=org):
        return bounds, []
    logger.debug("Catalog price filter ignored: no product priced in %.8s", filters.currency)
    message = {
        "type": "info",
        "code": "price_filter_ignored",
        "path": "$.filters.price",
        "content": "The price filter was ignored: this shop does not price in that currency.",
    }
    return PriceBounds(), [message]


def search(*, org, request: SearchRequest, negotiated: Negotiated, capability: str) -> dict:
    bounds, messages = effective_bounds(org, request.filters)
    products, has_next_page = product_search_page(
        org=org,
        words=request.words,
        bounds=bounds,
        after_id=request.after_id,
        limit=request.limit,
    )
    pagination = {"has_next_page": has_next_page}
    if has_next_page:
        pagination["cursor"] = cursor_encode(products[-1].public_id)
    body = {
        "ucp": ucp_out(negotiated, capability),
        "products": [product_out(product) for product in products],
        "pagination": pagination,
    }
    if messages:
        body["messages"] = messages
    return body


def lookup(*, org, request: LookupRequest, negotiated: Negotiated, capability: str) -> dict:
    """Found products in the order first asked for; an info `not_found` per id that matches no
    product (or none within the filters), pointing at that id in the request."""
    bounds, messages = effective_bounds(org, request.filters)
    found = products_looked_up(org=org, public_ids=set(request.ids), bounds=bounds)
    products = []
    for requested in dict.fromkeys(request.ids):
        product = found.get(requested)
        if product is not None:
            variant = {**variant_out(product), "inputs": [{"id": requested, "match": "exact"}]}
            products.append(product_out(product, variant))
    for index, requested in enumerate(request.ids):
        if requested not in found:
            messages.append(
                {
                    "type": "info",
                    "code": "not_found",
                    "path": f"$.ids[{index}]",
                    "content": f"No product with id {requested}.",
                }
            )
    body = {"ucp": ucp_out(negotiated, capability), "products": products}
    if messages:
        body["messages"] = messages
    return body


def product_detail(*, org, request: ProductRequest, negotiated: Negotiated, capability: str):
    """The product asked for, or None when there is none (or it is outside the filters)."""
    bounds, messages = effective_bounds(org, request.filters)
    product = products_looked_up(org=org, public_ids={request.id}, bounds=bounds).get(request.id)
    if product is None:
        return None
    body = {"ucp": ucp_out(negotiated, capability), "product": product_out(product)}
    if messages:
        body["messages"] = messages
    return body


def product_missing_message(product_id: str) -> dict:
    return error_message(
        code="not_found",
        content=f"No product with id {product_id}.",
        path="$.id",
        severity="unrecoverable",
    )
