"""How every long job records its life, whatever it does: queued → running (with a heartbeat) → done | failed.

job = jobs.create(JobKind.WORKBOOK, owner, title, params={...})
jobs.send(job, "reports.build_workbook")     # after commit; a dead broker leaves it queued, unsent
# in the task:
job = jobs.claim(job_id, self.request.id)    # None when another run finished it already, or a retry superseded it
with jobs.heartbeat(job):                    # a thread beats every JOB_HEARTBEAT_SECONDS, whatever the work does
    report = jobs.Progress(job)              # report(processed, total=None, message=None): the progress bar
                                             # (or heartbeat(job, every, processed=callable), for a COPY)
    jobs.finish(job, result={...}, output=name)  # under the job's row lock: in the transaction that writes the work
# or jobs.fail(job.pk, "Vietnamese message", retryable=...)

A job whose heartbeat stops for JOB_LOST_AFTER seconds lost its worker (killed, out of memory, the machine
restarted): `reap_lost` (the beat's sweep, and each read of the job's page) marks it failed, retryable, and `retry`
sends it again. A retry never writes twice: `finish` checks under the row lock that the run is still the job's current
one, so the work and its "done" are committed together or not at all, and a message delivered again after a retry is
refused by `claim`.
"""

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from . import queue
from .models import UNFINISHED, Job, JobState

log = logging.getLogger(__name__)

# A running job writes its progress at most this often.
REPORT_EVERY_SECONDS = 2.0
STALLED_AFTER = timedelta(minutes=2)
LOST_MESSAGE = (
    "Tiến trình xử lý nền đã dừng đột ngột (máy chủ bị tắt, khởi động lại hoặc hết bộ nhớ) nên việc chưa xong; "
    "chưa có gì được ghi. Bấm «Thử lại» để chạy lại."
)
QUEUE_LOST_MESSAGE = (
    "Việc đã gửi vào hàng đợi nhưng lâu không được xử lý (hàng đợi có thể đã khởi động lại và mất việc này); "
    "chưa có gì được ghi. Bấm «Thử lại» để gửi lại."
)
TIMED_OUT_MESSAGE = (
    "Việc chạy quá thời gian cho phép ({minutes} phút) nên đã dừng; chưa có gì được ghi. "
    "Hãy chia nhỏ tệp hoặc phạm vi rồi thử lại, hoặc báo quản trị hệ thống."
)


class Superseded(Exception):
    """This run is no longer the job's: it was marked lost, or sent again, while this run went on. Nothing is kept."""


def create(kind, owner, title, *, params=None, state=JobState.QUEUED, **fields):
    return Job.objects.create(kind=kind, owner=owner, title=title[:255], params=params or {}, state=state, **fields)


def send(job, task_name, **kwargs):
    """Mark the job queued and send its task once the transaction commits (cases.core.queue).

    The task id is stored once the broker took the message; a broker that is down leaves it empty, so the page can
    say so and offer "Thử lại" (was_sent).
    """
    # While queued, the heartbeat says when the job was sent: a message still untaken long after is lost (reap_lost).
    job.state, job.task_id, job.processed, job.heartbeat_at = JobState.QUEUED, "", 0, timezone.now()
    job.save(update_fields=["state", "task_id", "processed", "heartbeat_at"])
    task_id = str(uuid.uuid4())

    def sent(result):
        # Only the id: an eager run or a fast worker may already have moved the state on.
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=task_id)
        job.task_id = task_id

    queue.send_after_commit(task_name, (job.pk,), kwargs, task_id=task_id, on_sent=sent)


def is_stalled(job, now=None):
    """Queued, and not taken for STALLED_AFTER since it was sent: no worker is running. The job's page says so long
    before its message would be taken for lost (JOB_QUEUED_LOST_AFTER)."""
    sent_at = job.heartbeat_at or job.created_at
    return job.state == JobState.QUEUED and sent_at < (now or timezone.now()) - STALLED_AFTER


def was_sent(job):
    """False while a queued job's task never reached the broker."""
    return job.state != JobState.QUEUED or bool(job.task_id)


def claim(job_id, task_id=None):
    """Mark a queued (or re-delivered running) job as running, under a lock on its row.

    None when the job is finished or gone, or when `task_id` (the delivering message's) is not the job's: a retry sent
    the job again under another id, and only that message runs it.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=job_id).first()
        if job is None or job.state not in UNFINISHED:
            return None
        if task_id and job.task_id and job.task_id != task_id:
            return None
        if job.state == JobState.RUNNING and not _heart_stopped(job):
            return None  # another run of it is alive: never two at once
        now = timezone.now()
        job.state, job.started_at, job.heartbeat_at, job.attempts = JobState.RUNNING, now, now, job.attempts + 1
        job.task_id = task_id or job.task_id  # taken before `send` stored it: the sender's late write is skipped
        job.save(update_fields=["state", "started_at", "heartbeat_at", "attempts", "task_id"])
    return job


def _heart_stopped(job):
    """No heartbeat for three beats: no run of the job is alive (a re-delivered message may take it over)."""
    quiet = timedelta(seconds=3 * settings.JOB_HEARTBEAT_SECONDS)
    return job.heartbeat_at is None or job.heartbeat_at < timezone.now() - quiet


def release(job_id):
    """Put a running job back in the queue before its task retries (the database did not answer). Best effort: if the
    database is still away, the retry finds the job "running" and leaves it to be marked lost and retried by hand."""
    try:
        Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(state=JobState.QUEUED)
    except DatabaseError:
        log.warning("Không trả được việc %s về hàng đợi trước khi thử lại.", job_id)


@contextmanager
def heartbeat(job, every=None, processed=None):
    """While the block runs, a thread writes the job's heartbeat every JOB_HEARTBEAT_SECONDS, however long one step
    of the work takes (a large import writes in one transaction). The heartbeat stops when the process dies.

    `processed`: a callable giving how far the work got, written with each beat. For work that holds its database
    connection the whole time (a COPY streaming out), whose thread cannot write its progress itself.
    """
    every = every or settings.JOB_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(every):
                changes = {"heartbeat_at": timezone.now()}
                if processed is not None:
                    changes["processed"] = processed()
                try:
                    Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(**changes)
                except DatabaseError:
                    log.warning("Không ghi được nhịp của việc %s; sẽ thử lại.", job.pk, exc_info=True)
                    connections["default"].close()
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"job-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield job
    finally:
        stop.set()
        thread.join(timeout=every + 30)


class Progress:
    """Called as the work goes: moves the bar and beats the heart, at most every REPORT_EVERY_SECONDS."""

    def __init__(self, job):
        self.job = job
        self.last = 0.0

    def __call__(self, processed, total=None, message=None, force=False):
        now = time.monotonic()
        if not force and now - self.last < REPORT_EVERY_SECONDS:
            return
        self.last = now
        changes = {"processed": processed, "heartbeat_at": timezone.now()}
        if total is not None:
            changes["total"] = total
        if message is not None:
            changes["message"] = message[:255]
        Job.objects.filter(pk=self.job.pk).update(**changes)
        for name, value in changes.items():
            setattr(self.job, name, value)


def finish(job, state=JobState.DONE, **fields):
    """Record how the job ended (its result, output, counts) in one write, under the job's row lock.

    Call it inside the transaction that writes the job's work: it raises Superseded, and so rolls that work back, when
    the job was marked lost or sent again meanwhile.
    A job the web request handles itself (a small file checked at once, a file refused on sight) was never claimed
    by a worker: it needs only not to be finished already.
    """
    in_request = job.state != JobState.RUNNING
    with transaction.atomic():
        current = Job.objects.select_for_update().filter(pk=job.pk).values_list("state", "task_id").first()
        if in_request:
            if current is None or current[0] in (JobState.DONE, JobState.FAILED):
                raise Superseded(f"job {job.pk} is {current and current[0]}, already ended")
        elif current is None or current[0] != JobState.RUNNING or (job.task_id and current[1] != job.task_id):
            raise Superseded(f"job {job.pk} is {current and current[0]}, no longer this run's")
        job.state, job.finished_at = state, timezone.now()
        for name, value in fields.items():
            setattr(job, name, value)
        job.save()
    return job


def fail(job_id, message, *, retryable=False):
    """A job that could not be done: its state and the reason, in Vietnamese, for the page. A job already done stays
    done. `retryable`: the page offers «Thử lại» (the worker died, the database did not answer)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).exclude(state=JobState.DONE).first()
        if job is None:
            return
        _mark_failed(job, message, retryable)


def _mark_failed(job, message, retryable):
    job.state, job.message, job.finished_at = JobState.FAILED, message[:255], timezone.now()
    job.result = {**job.result, "retryable": retryable}
    job.save(update_fields=["state", "message", "finished_at", "result"])


def may_retry(job):
    return job.state == JobState.FAILED and bool(job.result.get("retryable"))


def retry(job, task_name, **kwargs):
    """Send a job whose run was cut off again (the page's «Thử lại»). False when it is not retryable (any more)."""
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if not may_retry(locked):
            return False
        locked.message, locked.finished_at = "", None
        locked.result = {key: value for key, value in locked.result.items() if key != "retryable"}
        locked.save(update_fields=["message", "finished_at", "result"])
        send(locked, task_name, **kwargs)
    job.refresh_from_db()
    return True


def resend(job, task_name, **kwargs):
    """The page's «Thử lại»: a queued job whose message never reached the broker is sent; a failed, retryable one
    is sent again (retry). False when there is nothing to send."""
    if job.state == JobState.QUEUED and not was_sent(job):
        send(job, task_name, **kwargs)
        return True
    return retry(job, task_name, **kwargs)


# --- jobs whose worker died -----------------------------------------------------------------------------------------
def _lost_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.JOB_LOST_AFTER)


def _queue_lost_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=settings.JOB_QUEUED_LOST_AFTER)


def is_lost(job, now=None):
    """Running, but no heartbeat for JOB_LOST_AFTER seconds: its worker is gone. Or sent to the queue and never
    taken for JOB_QUEUED_LOST_AFTER: its message is gone (a broker restarted without its data)."""
    if job.state == JobState.RUNNING:
        return job.heartbeat_at is None or job.heartbeat_at < _lost_before(now)
    return _queue_lost(job, now)


def _queue_lost(job, now=None):
    sent_at = job.heartbeat_at or job.created_at
    return job.state == JobState.QUEUED and bool(job.task_id) and sent_at < _queue_lost_before(now)


def _lost_message(job):
    return QUEUE_LOST_MESSAGE if job.state == JobState.QUEUED else LOST_MESSAGE


def reap_lost(now=None):
    """Mark failed (retryable) every job whose worker died. The beat runs it every minute; returns how many.

    A row locked by a live transaction is skipped: its work is being committed right now.
    """
    queue_lost = Q(state=JobState.QUEUED, heartbeat_at__lt=_queue_lost_before(now)) & ~Q(task_id="")
    with transaction.atomic():
        lost = list(
            Job.objects.select_for_update(skip_locked=True).filter(
                Q(state=JobState.RUNNING, heartbeat_at__lt=_lost_before(now)) | queue_lost
            )
        )
        for job in lost:
            _mark_failed(job, _lost_message(job), retryable=True)
    for job in lost:
        log.warning("Việc %s (%s) mất tiến trình xử lý (nhịp cuối %s): đánh dấu không thực hiện được.",
                    job.pk, job.title, job.heartbeat_at)  # fmt: skip
    return len(lost)


def checked(job, now=None):
    """The job as its page shows it: marked failed first when its worker died (the page need not wait for the sweep)."""
    if not is_lost(job, now):
        return job
    with transaction.atomic():
        locked = Job.objects.select_for_update(skip_locked=True).filter(pk=job.pk).first()
        if locked is not None and is_lost(locked, now):
            _mark_failed(locked, _lost_message(locked), retryable=True)
            log.warning("Việc %s (%s) mất tiến trình xử lý: đánh dấu không thực hiện được.", job.pk, job.title)
    job.refresh_from_db()
    return job
