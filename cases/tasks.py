"""Background jobs of the cases app (Celery). Task names are stable: the beat schedule, senders naming tasks by
string (cases.core.queue) and other tools use them. Each task is thin: the work is in the layers below."""

import logging
from datetime import datetime

from celery import shared_task
from django.db import DatabaseError

from cases.core import jobs
from cases.exchange import uploads
from cases.followup import digests, overdue

log = logging.getLogger(__name__)


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
    result = overdue.flag_overdue(moment)
    return {"overdue": result.total, "new": result.new}


@shared_task(
    name="cases.send_digests",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def send_digests():
    """Thư nhắc việc at the start of the working day; nothing on a day off."""
    return digests.send_digests()


@shared_task(name="cases.import_dossiers", bind=True, max_retries=3, acks_late=True)
def import_dossiers(self, job_id):
    """Check or import one uploaded file (its Job says which). Re-running it is harmless: a finished job is left
    alone, and importing the same rows again changes nothing (the exchange format's upsert)."""
    job = jobs.claim(job_id)
    if job is None:
        return "đã xử lý"
    try:
        uploads.work(job)
    except DatabaseError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        _fail(job_id, "Cơ sở dữ liệu không phản hồi; chưa ghi gì. Hãy tải tệp lên lại sau ít phút.")
        raise
    except Exception:
        _fail(job_id, "Lỗi hệ thống khi xử lý tệp; chưa ghi gì. Đã ghi nhật ký để quản trị viên kiểm tra.")
        raise
    return job.state


def _fail(job_id, message):
    try:
        jobs.fail(job_id, message)
    except DatabaseError:
        log.exception("Không ghi được trạng thái lỗi của việc %s.", job_id)
