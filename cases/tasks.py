"""Background jobs of the cases app (Celery). Task names are stable: beat schedules and other tools use them."""

import logging
from datetime import datetime

from celery import shared_task
from django.db import DatabaseError, transaction

from . import followup

log = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs):
    """Send `task` once the current transaction commits; a broker that is down never fails the caller.

    The desk's entry is already saved when this runs. If the broker cannot be reached (settings keep that wait
    short) the failure is logged and the work is left to the next scheduled run: every job sent this way is
    idempotent and also on the beat schedule.
    """

    def send():
        try:
            task.apply_async(args, kwargs, ignore_result=True)
        except Exception:  # kombu OperationalError, redis ConnectionError, timeouts…: never the desk's problem
            log.exception(
                "Không gửi được việc %s tới hàng đợi (broker không phản hồi); việc sẽ chạy ở lượt định kỳ sau.",
                getattr(task, "name", task),
            )

    transaction.on_commit(send)


@shared_task(name="cases.ping")
def ping():
    """A no-op the health check and the tests use to see that a worker answers."""
    return "pong"


@shared_task(
    name="cases.flag_overdue",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def flag_overdue(as_of=None):
    """Gắn cờ quá hạn (every 15 minutes and after midnight). `as_of`: an ISO moment, for tests and catch-ups."""
    moment = datetime.fromisoformat(as_of) if as_of else None
    result = followup.flag_overdue(moment)
    return {"overdue": result.total, "new": result.new}


@shared_task(
    name="cases.send_digests",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def send_digests():
    """Thư nhắc việc at the start of the working day; nothing on a day off."""
    return followup.send_digests()
