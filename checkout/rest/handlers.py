"""The org's payment handlers as checkout responses carry them, in each version's shape and
exactly as the org's profile publishes them (orgconfig.profile.offered_handlers)."""

from checkout.rest.versions import is_legacy


def legacy_handlers(org) -> list[dict]:
    """2026-01-11: `payment.handlers[]` with every field that release requires."""
    from orgconfig.profile import offered_handlers

    return [
        {
            "id": descriptor.id,
            "name": descriptor.name,
            "version": descriptor.version,
            "spec": descriptor.spec,
            "config_schema": descriptor.schema,
            "instrument_schemas": list(descriptor.instrument_schemas),
            "config": config,
        }
        for descriptor, config in offered_handlers(org)
    ]


def handler_map(org) -> dict:
    """2026-04-08: `ucp.payment_handlers`, name → entries."""
    from orgconfig.profile import offered_handlers

    described: dict[str, list[dict]] = {}
    for descriptor, config in offered_handlers(org):
        described.setdefault(descriptor.name, []).append(
            {
                "id": descriptor.id,
                "version": descriptor.version,
                "spec": descriptor.spec,
                "schema": descriptor.schema,
                "config": config,
            }
        )
    return described


def payment_handlers_for(org, version: str):
    return legacy_handlers(org) if is_legacy(version) else handler_map(org)
