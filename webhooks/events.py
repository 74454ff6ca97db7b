"""The event types platforms can subscribe to, and what an empty filter means."""

from ucp import errors

ORDER_EVENT_TYPES = (
    "order.created",
    "order.updated",
    "order.shipped",
    "order.delivered",
    "order.canceled",
)
EVENT_TYPES = (
    *ORDER_EVENT_TYPES,
    "checkout.completed",
    "checkout.canceled",
    "identity.link.revoked",
)

# An empty filter subscribes to every order event: UCP obliges a business to send the order
# snapshot on creation and on every change, so a platform that names nothing still gets those.
# Checkout and identity events are opt-in.
DEFAULT_EVENT_FILTERS = ORDER_EVENT_TYPES

# Sent only by POST /ucp/webhook/test; never subscribable, never filtered.
TEST_EVENT_TYPE = "webhook.test"


def is_order_event(event_type: str) -> bool:
    return event_type in ORDER_EVENT_TYPES


def effective_filters(event_filters: list[str]) -> tuple[str, ...]:
    return tuple(event_filters) if event_filters else DEFAULT_EVENT_FILTERS


def validate_event_filters(event_filters) -> list[str]:
    """The filter as a de-duplicated list in the order given, or invalid-input naming the
    unknown types and listing the valid ones."""
    if not isinstance(event_filters, list) or not all(isinstance(t, str) for t in event_filters):
        raise errors.InvalidInput.for_field("event_filters", "must be a list of event type names")

    unknown = [t for t in event_filters if t not in EVENT_TYPES]
    if unknown:
        problem = f"unknown event types {unknown}; valid types are {list(EVENT_TYPES)}"
        error = errors.InvalidInput.for_field("event_filters", problem)
        error.details["valid_event_types"] = list(EVENT_TYPES)
        raise error
    return list(dict.fromkeys(event_filters))
