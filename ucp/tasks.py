"""Periodic housekeeping of the API layer."""

import logging

from celery import shared_task

from ucp.idempotency import purge_expired

logger = logging.getLogger(__name__)


@shared_task
def purge_expired_idempotency_records() -> int:
    deleted = purge_expired()
    logger.info("Idempotency records purged", extra={"deleted": deleted})
    return deleted
