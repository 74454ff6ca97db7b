"""Periodic checkout housekeeping (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from checkout.services import checkout_expire_due


@shared_task
def cancel_expired_checkouts() -> int:
    return checkout_expire_due()
