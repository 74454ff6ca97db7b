"""Celery tasks: thin wrappers over webhooks.services (acks_late is on in settings, so a task
whose worker dies is run again; the services make a second run harmless)."""

from celery import shared_task

from webhooks import services


@shared_task(ignore_result=True)
def webhooks_fan_out(event_id: int) -> None:
    services.event_fan_out(event_id=event_id)


@shared_task(ignore_result=True)
def webhooks_deliver(delivery_id: int, attempt_count: int | None = None) -> None:
    services.delivery_attempt(delivery_id=delivery_id, expected_attempts=attempt_count)


@shared_task(ignore_result=True)
def webhooks_sweep() -> None:
    services.webhooks_sweep()
