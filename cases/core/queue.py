"""Sending work to the job queue (Celery): by task name, after the transaction commits, never failing the caller.

Every sender in the portal goes through `send_after_commit`. Code below the faces names its task by string (the
task modules are faces and import the layers, not the other way round).
"""

import logging

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)


def task(name):
    """The registered task called `name` (the task modules are imported on first use, as a worker does)."""
    app = current_app._get_current_object()
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def send_after_commit(name, args=(), kwargs=None, *, on_sent=None, on_failure=None, **options):
    """Send task `name` once the current transaction commits (at once outside one).

    The caller's work is already saved when this runs. A broker that cannot be reached (settings keep that wait
    short) is logged and reported to `on_failure()`; the caller never sees the exception. `on_sent(result)` is
    called once the broker took the message.
    """

    def send():
        try:
            result = task(name).apply_async(args, kwargs or {}, **options)
        except Exception:  # kombu OperationalError, redis ConnectionError, timeouts…: never the caller's problem
            log.exception("Không gửi được việc %s tới hàng đợi (broker không phản hồi).", name)
            if on_failure is not None:
                on_failure()
            return
        if on_sent is not None:
            on_sent(result)

    transaction.on_commit(send)
