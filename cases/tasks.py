"""Background jobs of the cases app (Celery). Task names are stable: the beat schedule, senders naming tasks by
string (cases.core.queue) and other tools use them. Each task is thin: the work is in the layers below."""

import logging
from datetime import datetime

from celery import shared_task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.http import QueryDict

from cases.core import health, jobs
from cases.exchange import export_jobs, uploads
from cases.filters import filtered_dossiers
from cases.followup import digests, messages, overdue

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
    alone (the rows and the job's "done" are committed together), and a message superseded by a retry is refused."""
    job = jobs.claim(job_id, self.request.id)
    if job is None:
        return "đã xử lý"
    try:
        with jobs.heartbeat(job):
            uploads.work(job)
    except jobs.Superseded:
        log.warning("Việc %s đã được chạy lại hoặc đánh dấu mất tiến trình; lần chạy này không ghi gì.", job_id)
        return "bỏ qua"
    except SoftTimeLimitExceeded:
        _fail(job_id, jobs.TIMED_OUT_MESSAGE.format(minutes=round(settings.JOB_SOFT_TIME_LIMIT / 60)))
        log.warning("Việc %s quá thời gian cho phép.", job_id)
        return "quá thời gian"
    except DatabaseError as exc:
        if self.request.retries < self.max_retries:
            jobs.release(job_id)
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        _fail(job_id, "Cơ sở dữ liệu không phản hồi; chưa ghi gì. Bấm «Thử lại» sau ít phút.", retryable=True)
        raise
    except Exception:
        _fail(job_id, "Lỗi hệ thống khi xử lý tệp; chưa ghi gì. Đã ghi nhật ký để quản trị viên kiểm tra.")
        raise
    return job.state


@shared_task(
    name="cases.send_message",
    bind=True,
    max_retries=None,  # the message counts its own attempts (MESSAGE_MAX_ATTEMPTS)
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=300,
)
def send_message(self, message_id):
    """Send one message to an applicant; after a gateway error or a timeout, again after the message's backoff. A
    retry the broker does not take is left to the beat's sweep (the message stays queued)."""
    delivery = messages.deliver(message_id)
    if delivery.retry_in is not None:
        try:
            raise self.retry(countdown=delivery.retry_in)
        except Retry:
            raise
        except Exception:  # noqa: BLE001 - the broker is down: cases.send_pending_messages sends it later
            log.warning("Không đặt được lần gửi lại tin nhắn %s vào hàng đợi; để việc quét định kỳ gửi.", message_id)
    return delivery.state


@shared_task(name="cases.send_pending_messages", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def send_pending_messages():
    """Every minute (the beat): messages held for the office's hours go at the opening; queued ones no task took
    (a broker down at the desk's step) are sent again."""
    swept = messages.sweep()
    return {"released": swept.released, "sent": swept.sent}


@shared_task(name="cases.export_dossiers", bind=True, acks_late=True)
def export_dossiers(self, job_id):
    """Write a large download of the dossier list: the list's own filters, for the job's owner, in the job's format."""
    job = jobs.claim(job_id, self.request.id)
    if job is None:
        return "đã xử lý"
    try:
        data = QueryDict(mutable=True)
        for name, value in export_jobs.query(job):
            data.appendlist(name, value)
        _, queryset = filtered_dossiers(job.owner, data)
        export_jobs.work(job, queryset)
    except jobs.Superseded:
        log.warning("Việc %s đã được chạy lại hoặc đánh dấu mất tiến trình; lần chạy này không giữ tệp.", job_id)
        return "bỏ qua"
    except SoftTimeLimitExceeded:
        _fail(job_id, jobs.TIMED_OUT_MESSAGE.format(minutes=round(settings.JOB_SOFT_TIME_LIMIT / 60)))
        return "quá thời gian"
    except DatabaseError:
        _fail(job_id, "Cơ sở dữ liệu không phản hồi; chưa lập được tệp. Bấm «Thử lại» sau ít phút.", retryable=True)
        raise
    except Exception:
        _fail(job_id, "Không lập được tệp. Hãy thử lại hoặc báo quản trị hệ thống.")
        raise
    return job.state


@shared_task(name="cases.sweep_exports")
def sweep_exports():
    """Every hour (the beat): delete the large downloads older than EXPORT_KEEP_HOURS."""
    return export_jobs.sweep()


@shared_task(name="cases.reap_lost_jobs", autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def reap_lost_jobs():
    """Every minute (the beat): mark failed the jobs whose worker died, so their pages say so and offer «Thử lại»;
    and note that a worker ran this (the health check's worker heartbeat)."""
    found = jobs.reap_lost()
    health.worker_ran()
    return found


def _fail(job_id, message, retryable=False):
    try:
        jobs.fail(job_id, message, retryable=retryable)
    except DatabaseError:
        log.exception("Không ghi được trạng thái lỗi của việc %s.", job_id)
