"""How the org's payment handlers are described to platforms in each version.

The org lists handler kinds in its settings (`payment_handlers`, e.g. `["mock"]`); this module
only describes them. `none` needs no instrument and is never advertised.
"""

from checkout.rest.versions import is_legacy

HANDLER_NAMESPACE = "com.ucpservice"
HANDLER_VERSION = "2026-01-11"
KNOWN_HANDLERS = {
    # kind: (instance id instruments reference, reverse-DNS name)
    "mock": ("mock_payment_handler", f"{HANDLER_NAMESPACE}.mock_payment"),
}
SPEC_BASE = "https://ucp.dev/specification/payment-handler-guide"


def handler_identity(kind: str) -> tuple[str, str]:
    return KNOWN_HANDLERS.get(kind, (kind, f"{HANDLER_NAMESPACE}.{kind}"))


def org_handler_kinds(org) -> list[str]:
    from orgconfig.selectors import org_settings

    # An org that configured nothing offers the checkout service's defaults: mock and none.
    kinds = org_settings(org=org).payment_handlers or ["mock", "none"]
    return [k for k in kinds if isinstance(k, str) and k != "none"]


def legacy_handlers(org) -> list[dict]:
    """2026-01-11: `payment.handlers[]` with every field that release requires."""
    described = []
    for kind in org_handler_kinds(org):
        handler_id, name = handler_identity(kind)
        described.append(
            {
                "id": handler_id,
                "name": name,
                "version": HANDLER_VERSION,
                "spec": SPEC_BASE,
                "config_schema": "https://ucp.dev/schemas/shopping/types/payment_handler.json",
                "instrument_schemas": [
                    "https://ucp.dev/schemas/shopping/types/card_payment_instrument.json"
                ],
                "config": {},
            }
        )
    return described


def handler_map(org, version: str) -> dict:
    """2026-04-08: `ucp.payment_handlers`, name → entries."""
    described: dict[str, list[dict]] = {}
    for kind in org_handler_kinds(org):
        handler_id, name = handler_identity(kind)
        described.setdefault(name, []).append(
            {"id": handler_id, "version": version, "spec": SPEC_BASE, "config": {}}
        )
    return described


def payment_handlers_for(org, version: str):
    return legacy_handlers(org) if is_legacy(version) else handler_map(org, version)
