"""The fields of an org's UCP config and their field-by-field validation.

`/config/set` is a partial update: every top-level field sent replaces the stored value; the three
object fields (`capabilities`, `policy_links`, `webhook_defaults`) are merged key by key, so one
capability can be toggled without restating the others. Every problem is reported, each under the
name of the field that has it, and nothing is written unless all fields are valid.
"""

import json
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from orgconfig.models import ProfileVersion, RestAuth, SavedAddresses
from orgconfig.payment_handlers import PAYMENT_HANDLERS
from ucp import errors

CAPABILITIES = ("checkout", "fulfillment", "discount", "order", "catalog", "identity_linking")
# Extensions of checkout: advertising one without checkout is meaningless to a platform.
CHECKOUT_EXTENSIONS = ("fulfillment", "discount")

POLICY_LINK_TYPES = ("terms_of_service", "privacy_policy", "refund_policy", "shipping_policy")

# Order events a platform's webhook subscription can filter on.
WEBHOOK_EVENTS = ("order.created", "order.updated", "order.fulfilled", "order.canceled")

TAX_RATE_BPS_MAX = 10_000
CHECKOUT_TTL_SECONDS_RANGE = (300, 7 * 24 * 3600)
SECRET_ROTATION_GRACE_SECONDS_RANGE = (0, 30 * 24 * 3600)
MAX_PAYMENT_HANDLERS = len(PAYMENT_HANDLERS)
MAX_HANDLER_CONFIG_BYTES = 4096
MAX_HOSTNAMES = 20
MAX_URL_LENGTH = 2000

# The handler config is published to everyone: refuse keys that look like they hold a secret.
SECRET_LOOKING_KEY = re.compile(r"secret|password|private|api_key|credential", re.IGNORECASE)
HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

CONFIG_FIELDS = (
    "capabilities",
    "payment_handlers",
    "policy_links",
    "tax_rate_bps",
    "checkout_ttl_seconds",
    "secret_rotation_grace_seconds",
    "buyer_email_required",
    # Who gets the address book in checkout: linked_customer (default), buyer_email or off.
    # buyer_email trusts platforms to assert the buyer's identity; see models.SavedAddresses.
    "saved_addresses",
    "webhook_defaults",
    "rest_auth",
    "hostnames",
    "root_profile_version",
)

https_url = URLValidator(schemes=["https"])


class FieldErrors:
    """Collects problems per field so that one answer names every invalid field."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, problem: str) -> None:
        self.fields.setdefault(field, []).append(problem)

    def raise_if_any(self) -> None:
        if not self.fields:
            return
        first_field, problems = next(iter(self.fields.items()))
        raise errors.InvalidInput(f"{first_field}: {problems[0]}", details={"fields": self.fields})


def is_json_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_int_in_range(value, field: str, low: int, high: int, problems: FieldErrors):
    if not is_json_int(value):
        problems.add(field, "must be a whole number (a JSON integer)")
    elif not low <= value <= high:
        problems.add(field, f"must be between {low} and {high}")
    else:
        return value
    return None


def parse_flag(value, field: str, problems: FieldErrors) -> bool | None:
    if not isinstance(value, bool):
        problems.add(field, "must be true or false")
        return None
    return value


def parse_choice(value, field: str, choices: list[str], problems: FieldErrors):
    if not isinstance(value, str) or value not in choices:
        problems.add(field, f"must be one of {', '.join(choices)}")
        return None
    return value


def parse_capabilities(value, current: dict, problems: FieldErrors) -> dict | None:
    if not isinstance(value, dict):
        problems.add("capabilities", "must be an object of capability name to true/false")
        return None
    merged = dict(current)
    for name, enabled in value.items():
        if name not in CAPABILITIES:
            problems.add(f"capabilities.{name}", f"unknown; known: {', '.join(CAPABILITIES)}")
        elif not isinstance(enabled, bool):
            problems.add(f"capabilities.{name}", "must be true or false")
        else:
            merged[name] = enabled
    for extension in CHECKOUT_EXTENSIONS:
        if merged.get(extension) and not merged.get("checkout"):
            problems.add(f"capabilities.{extension}", "extends checkout: enable checkout too")
    return merged


def secret_looking_keys(value) -> set[str]:
    """Keys that look like they hold a secret, at any depth of nested objects and lists."""
    found, stack = set(), [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(key for key in item if SECRET_LOOKING_KEY.search(key))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def parse_handler_config(config, field: str, problems: FieldErrors) -> dict | None:
    if not isinstance(config, dict):
        problems.add(field, "must be an object")
        return None
    secret_keys = secret_looking_keys(config)
    if secret_keys:
        problems.add(field, f"is published to everyone; remove {', '.join(sorted(secret_keys))}")
        return None
    if len(json.dumps(config)) > MAX_HANDLER_CONFIG_BYTES:
        problems.add(field, f"must be at most {MAX_HANDLER_CONFIG_BYTES} bytes of JSON")
        return None
    return config


def parse_payment_handlers(value, problems: FieldErrors) -> list[dict] | None:
    """`[{"id": "mock_payment_handler", "config": {...}}]` in the order platforms see them."""
    if not isinstance(value, list) or len(value) > MAX_PAYMENT_HANDLERS:
        problems.add("payment_handlers", f"must be a list of at most {MAX_PAYMENT_HANDLERS}")
        return None
    parsed, seen = [], set()
    for index, entry in enumerate(value):
        field = f"payment_handlers[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"id", "config"}:
            problems.add(field, 'must be an object with "id" and optional "config"')
            continue
        handler_id = entry.get("id")
        if not isinstance(handler_id, str) or handler_id not in PAYMENT_HANDLERS:
            problems.add(f"{field}.id", f"unknown handler; known: {', '.join(PAYMENT_HANDLERS)}")
            continue
        if handler_id in seen:
            problems.add(f"{field}.id", "is listed twice")
            continue
        seen.add(handler_id)
        default = PAYMENT_HANDLERS[handler_id].default_config
        config = parse_handler_config(entry.get("config", default), f"{field}.config", problems)
        parsed.append({"id": handler_id, "config": config})
    return parsed


def parse_policy_links(value, current: dict, problems: FieldErrors) -> dict | None:
    if not isinstance(value, dict):
        problems.add("policy_links", "must be an object of link type to https URL or null")
        return None
    merged = dict(current)
    for link_type, url in value.items():
        field = f"policy_links.{link_type}"
        if link_type not in POLICY_LINK_TYPES:
            problems.add(field, f"unknown; known: {', '.join(POLICY_LINK_TYPES)}")
        elif url is None:
            merged.pop(link_type, None)
        elif not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
            problems.add(field, f"must be an https URL of at most {MAX_URL_LENGTH} characters")
        else:
            try:
                https_url(url)
            except ValidationError:
                problems.add(field, "must be an absolute https URL")
            else:
                merged[link_type] = url
    return merged


def parse_webhook_defaults(value, current: dict, problems: FieldErrors) -> dict | None:
    if not isinstance(value, dict):
        problems.add("webhook_defaults", 'must be an object with "enabled" and "events"')
        return None
    merged = dict(current)
    for key, item in value.items():
        field = f"webhook_defaults.{key}"
        if key == "enabled":
            if isinstance(item, bool):
                merged["enabled"] = item
            else:
                problems.add(field, "must be true or false")
        elif key == "events":
            if not isinstance(item, list) or any(event not in WEBHOOK_EVENTS for event in item):
                problems.add(field, f"must be a list drawn from {', '.join(WEBHOOK_EVENTS)}")
            elif len(set(item)) != len(item):
                problems.add(field, "lists an event twice")
            else:
                merged["events"] = item
        else:
            problems.add(field, "unknown; known: enabled, events")
    return merged


def normalized_hostname(value) -> str | None:
    if not isinstance(value, str) or len(value) > 253:
        return None
    hostname = value.strip().lower().rstrip(".")
    labels = hostname.split(".")
    if len(labels) < 2 or not all(HOSTNAME_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # an IP address is not a hostname an org can own
        return None
    return hostname


def service_hostname() -> str | None:
    """The hostname of UCP_PUBLIC_BASE_URL, which no org may claim. Known limit: without that
    setting the service cannot tell its own hostname from an org's, so none is reserved."""
    return (urlsplit(settings.UCP_PUBLIC_BASE_URL).hostname or "").rstrip(".") or None


def parse_hostnames(value, problems: FieldErrors) -> list[str] | None:
    if not isinstance(value, list) or len(value) > MAX_HOSTNAMES:
        problems.add("hostnames", f"must be a list of at most {MAX_HOSTNAMES} hostnames")
        return None
    parsed = []
    for index, item in enumerate(value):
        hostname = normalized_hostname(item)
        if hostname is None:
            problems.add(
                f"hostnames[{index}]", "must be a DNS hostname such as shop.example.com (no port)"
            )
        elif hostname == service_hostname():
            # Claiming it would make the service's own root profile serve this org, not the
            # default org, to every platform that discovers the service there.
            problems.add(f"hostnames[{index}]", "is the service's own hostname")
        elif hostname in parsed:
            problems.add(f"hostnames[{index}]", "is listed twice")
        else:
            parsed.append(hostname)
    return parsed


def parse_config_changes(body: dict, *, current: dict) -> dict:
    """The validated, normalized changes in `body`, merged where the field is an object.

    `current` is the config as `ucp_config_view` shows it. Raises InvalidInput naming every bad
    field; hostnames taken by another org are checked by the service, which can see other orgs.
    """
    problems = FieldErrors()
    unknown = [key for key in body if key not in CONFIG_FIELDS]
    for key in unknown:
        problems.add(key, f"unknown config field; known: {', '.join(CONFIG_FIELDS)}")
    if not unknown and not body:
        problems.add("body", f"send at least one of {', '.join(CONFIG_FIELDS)}")

    parsers = {
        "capabilities": lambda v: parse_capabilities(v, current["capabilities"], problems),
        "payment_handlers": lambda v: parse_payment_handlers(v, problems),
        "policy_links": lambda v: parse_policy_links(v, current["policy_links"], problems),
        "tax_rate_bps": lambda v: parse_int_in_range(
            v, "tax_rate_bps", 0, TAX_RATE_BPS_MAX, problems
        ),
        "checkout_ttl_seconds": lambda v: parse_int_in_range(
            v, "checkout_ttl_seconds", *CHECKOUT_TTL_SECONDS_RANGE, problems
        ),
        "secret_rotation_grace_seconds": lambda v: parse_int_in_range(
            v, "secret_rotation_grace_seconds", *SECRET_ROTATION_GRACE_SECONDS_RANGE, problems
        ),
        "buyer_email_required": lambda v: parse_flag(v, "buyer_email_required", problems),
        "saved_addresses": lambda v: parse_choice(
            v, "saved_addresses", SavedAddresses.values, problems
        ),
        "webhook_defaults": lambda v: parse_webhook_defaults(
            v, current["webhook_defaults"], problems
        ),
        "rest_auth": lambda v: parse_choice(v, "rest_auth", RestAuth.values, problems),
        "hostnames": lambda v: parse_hostnames(v, problems),
        "root_profile_version": lambda v: parse_choice(
            v, "root_profile_version", ProfileVersion.values, problems
        ),
    }
    changes = {key: parsers[key](value) for key, value in body.items() if key in parsers}

    problems.raise_if_any()
    return changes
