"""The audit trail: services call `audit_record` for every change an admin makes."""

import logging

from orgconfig.models import AuditEntry, Org

logger = logging.getLogger(__name__)


def audit_record(
    *,
    org: Org | None,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """Records one change. `before`/`after` must never contain secrets or their hashes."""
    entry = AuditEntry.objects.create(
        org=org,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    logger.info(
        "Audit: %s %s %s",
        actor,
        action,
        target_type,
        extra={"org": org.orgcode if org else None, "target_id": str(target_id)},
    )
    return entry
