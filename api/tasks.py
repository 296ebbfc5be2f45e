"""The API's housekeeping, run by Celery beat (portal/settings.py, CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import idempotency


@shared_task(name="api.purge_idempotency_keys")
def purge_idempotency_keys():
    return idempotency.purge_expired()
