"""How every long job records its life, whatever it does: queued → running (with a heartbeat) → done | failed.

job = jobs.create(JobKind.WORKBOOK, owner, title, params={...})
jobs.send(job, "reports.build_workbook")     # after commit; a dead broker leaves it queued, unsent
# in the task:
job = jobs.claim(job_id)                     # None when another run finished it already
report = jobs.Progress(job)                  # report(processed, total=None, message=None): bar + heartbeat
jobs.finish(job, result={...}, output=name)  # or jobs.fail(job.pk, "Vietnamese message")
"""

import time
import uuid

from django.db.models import F
from django.utils import timezone

from . import queue
from .models import UNFINISHED, Job, JobState

# A running job writes its progress (and so its heartbeat) at most this often.
REPORT_EVERY_SECONDS = 2.0


def create(kind, owner, title, *, params=None, state=JobState.QUEUED, **fields):
    return Job.objects.create(kind=kind, owner=owner, title=title[:255], params=params or {}, state=state, **fields)


def send(job, task_name, **kwargs):
    """Mark the job queued and send its task once the transaction commits (cases.core.queue).

    The task id is stored once the broker took the message; a broker that is down leaves it empty, so the page can
    say so and offer "Thử lại" (was_sent).
    """
    job.state, job.task_id, job.processed = JobState.QUEUED, "", 0
    job.save(update_fields=["state", "task_id", "processed"])
    task_id = str(uuid.uuid4())

    def sent(result):
        # Only the id: an eager run or a fast worker may already have moved the state on.
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=task_id)
        job.task_id = task_id

    queue.send_after_commit(task_name, (job.pk,), kwargs, task_id=task_id, on_sent=sent)


def was_sent(job):
    """False while a queued job's task never reached the broker."""
    return job.state != JobState.QUEUED or bool(job.task_id)


def claim(job_id):
    """Mark a queued (or re-delivered running) job as running; None when it is finished or gone."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state__in=UNFINISHED).update(
        state=JobState.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return Job.objects.select_related("owner").get(pk=job_id)


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
    """Record how the job ended (its result, output, counts) in one write."""
    job.state, job.finished_at = state, timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def fail(job_id, message):
    """A job that could not be done: its state and the reason, in Vietnamese, for the page."""
    Job.objects.filter(pk=job_id).update(state=JobState.FAILED, message=message[:255], finished_at=timezone.now())
