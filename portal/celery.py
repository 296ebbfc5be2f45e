import os
import resource

from billiard import current_process
from celery import Celery
from celery.signals import worker_process_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _memory_ceiling(**kwargs):
    """Each worker child gets a hard address-space ceiling: a task that would grow past it gets a MemoryError (its
    job is marked failed) instead of taking the machine's memory (WORKER_MEMORY_LIMIT_MB; 0 = none).

    Only in the children of the prefork pool (the default): the solo pool sends this signal in the worker's own
    process, which may be a test run or anything else that embeds a worker (give such a process a ceiling from
    outside, e.g. systemd's MemoryMax)."""
    limit = settings.WORKER_MEMORY_LIMIT_MB
    if limit and current_process().name != "MainProcess":
        resource.setrlimit(resource.RLIMIT_AS, (limit * 1024 * 1024, limit * 1024 * 1024))
