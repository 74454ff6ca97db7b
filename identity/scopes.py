"""Scopes a platform can ask for: UCP's of both protocol versions, plus the profile parts the
seed's userinfo route can release."""

# UCP 2026-01 and later ([A] in the spec notes): `{capability}:{name}`.
CHECKOUT_MANAGE = "dev.ucp.shopping.checkout:manage"
ORDER_READ = "dev.ucp.shopping.order:read"
ORDER_MANAGE = "dev.ucp.shopping.order:manage"
# The earlier protocol version ([J]) knows a single scope.
LEGACY_CHECKOUT = "ucp:scopes:checkout_session"

# What userinfo releases; without any of these it returns only the customer's id.
PROFILE = "profile"
EMAIL = "email"
PHONE = "phone"
ADDRESS = "address"

SCOPES = {
    CHECKOUT_MANAGE: "Create, change, complete and cancel checkouts for you",
    ORDER_READ: "See your orders",
    ORDER_MANAGE: "Manage your orders",
    LEGACY_CHECKOUT: "Create, change, complete and cancel checkouts for you",
    PROFILE: "See your name",
    EMAIL: "See your email address",
    PHONE: "See your phone number",
    ADDRESS: "See your saved addresses",
}

# Asked for when a request names no scope and the platform has no scope list of its own.
DEFAULT_SCOPES = [CHECKOUT_MANAGE, LEGACY_CHECKOUT, PROFILE, EMAIL]


def allowed_scopes(platform) -> list[str]:
    """The scopes this platform may be granted: its own list when it has one, else all."""
    own = [scope for scope in (platform.scopes or []) if scope in SCOPES]
    return own or list(SCOPES)


def default_scopes(platform) -> list[str]:
    allowed = allowed_scopes(platform)
    return [scope for scope in DEFAULT_SCOPES if scope in allowed] or allowed


def describe(scopes) -> list[dict]:
    return [{"scope": scope, "description": SCOPES.get(scope, scope)} for scope in scopes]
