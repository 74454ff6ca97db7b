from celery import shared_task

from identity import maintenance


@shared_task(name="identity.tasks.purge_expired")
def purge_expired() -> dict:
    return maintenance.purge_expired()
