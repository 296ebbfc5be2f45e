"""Background jobs of the cases app (Celery). Task names are stable: beat schedules and other tools use them."""

from celery import shared_task


@shared_task(name="cases.ping")
def ping():
    """A no-op the health check and the tests use to see that a worker answers."""
    return "pong"
