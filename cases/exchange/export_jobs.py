"""The dossier list's large downloads, as a background job (task `cases.export_dossiers`, cases/tasks.py).

A download of more than EXPORT_INLINE_MAX_ROWS dossiers would hold a web worker for minutes (10M rows of CSV: about
two) and meet the proxy's time-out. It becomes a Job instead: the job keeps the list's query and the format; the
worker rebuilds the list's queryset for the job's owner with the list's own filter code (cases.filters), writes the
bytes the inline download would (export.export_dossiers) to MEDIA_ROOT/xuat-ho-so/, reporting rows written of the
total, and only its owner downloads the file. A worker that dies leaves the job "lost" (jobs.reap_lost), with
«Thử lại»; a file is kept EXPORT_KEEP_HOURS, then swept.
"""

import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from cases.core import jobs
from cases.core.formats import number
from cases.core.models import UNFINISHED, Job, JobKind, JobState
from cases.core.pager import capped_count

from .export import export_dossiers

TASK = "cases.export_dossiers"
FOLDER = "xuat-ho-so"
FORMATS = ("csv", "xlsx")
# A worksheet holds 1.048.576 rows, the header being one of them.
XLSX_MAX_ROWS = 1_048_575
TOO_LARGE_FOR_XLSX = (
    "Danh sách có {count} hồ sơ, quá số dòng một trang tính Excel chứa được ({limit}). "
    "Hãy tải dạng CSV, hoặc lọc bớt (theo đơn vị, ngày tiếp nhận) rồi tải XLSX."
)


def jobs_of(user):
    """A user's own exports: nobody else may follow or download them, an administrator neither (the file holds what
    its owner may see)."""
    if not user.is_authenticated:
        return Job.objects.none()
    return Job.objects.filter(kind=JobKind.EXPORT_DOSSIERS, owner=user)


def recent(user, shown=3):
    """The user's latest exports whose file may still be there (the list page links them)."""
    since = timezone.now() - timedelta(hours=settings.EXPORT_KEEP_HOURS)
    return list(jobs_of(user).filter(created_at__gte=since)[:shown])


def inline(queryset):
    """Whether the download is small enough to be written in the request. The count stops one row past the limit
    (cases.core.pager.capped_count): it reads at most that many index entries, whatever the list's size."""
    limit = settings.EXPORT_INLINE_MAX_ROWS
    return capped_count(queryset, limit) <= limit


def start(user, fmt, query, filename):
    """Queue an export of the list `query` ([(name, value)] of the list's parameters) for `user`; returns the job.

    The same unfinished export asked again (a second click, a reload) is the same job, not a second one.
    """
    params = {"format": fmt, "query": sorted([name, value] for name, value in query), "filename": filename}
    with transaction.atomic():
        for job in jobs_of(user).filter(state__in=UNFINISHED, params=params):
            if not jobs.checked(job).finished:
                return job
        job = jobs.create(
            JobKind.EXPORT_DOSSIERS, user, f"Danh sách hồ sơ — {filename}", params=params,
            message="Đang chờ xử lý",
        )  # fmt: skip
        jobs.send(job, TASK)
    return job


def retry(job):
    """Send again an export the broker never took, or whose worker died; False when there is nothing to retry."""
    return jobs.resend(job, TASK)


def query(job):
    """The list's parameters the job was asked with, as [(name, value)] (a QueryDict takes them back)."""
    return [(name, value) for name, value in job.params["query"]]


def work(job, queryset):
    """Write the job's file from `queryset` (the list as its owner sees it), its progress beating with the heart.

    The rows are counted first (exact, so that the bar ends at 100%: a second or two at 10M, against minutes of
    writing); then one COPY streams them to a `.part` file beside the final name, renamed once complete, and the
    job ends "done" with its name under the job's row lock (jobs.finish). A run superseded meanwhile (marked lost,
    sent again) deletes its file and keeps nothing.
    """
    fmt = job.params["format"]
    name = f"{FOLDER}/{job.uid.hex}-{job.attempts}.{fmt}"
    path = Path(default_storage.path(name))
    part = path.with_name(path.name + ".part")
    written = 0

    def progress(rows):
        nonlocal written
        written = rows

    # The COPY holds this thread's connection until its last row: the heartbeat's thread writes the progress.
    with jobs.heartbeat(job, every=jobs.REPORT_EVERY_SECONDS, processed=lambda: written):
        total = queryset.count()
        if fmt == "xlsx" and total > XLSX_MAX_ROWS:
            message = TOO_LARGE_FOR_XLSX.format(count=number(total), limit=number(XLSX_MAX_ROWS))
            jobs.finish(job, JobState.FAILED, total=total, message=message, result={"retryable": False})
            return None
        jobs.Progress(job)(0, total=total, message="Đang ghi tệp", force=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            count = export_dossiers(str(part), queryset, filename=name, progress=progress)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, path)
    try:
        jobs.finish(
            job, processed=count, total=count, output=name, message="Đã xong",
            result={"rows": count, "bytes": path.stat().st_size},
        )  # fmt: skip
    except jobs.Superseded:
        path.unlink(missing_ok=True)
        raise
    return name


def file_of(job):
    """The finished job's file, or None (not done, or already swept)."""
    if job.state != JobState.DONE or not job.output or not default_storage.exists(job.output):
        return None
    return job.output


def sweep(now=None):
    """Delete export files older than EXPORT_KEEP_HOURS (and parts a killed worker left); returns how many."""
    folder = Path(default_storage.path(FOLDER))
    if not folder.is_dir():
        return 0
    before = (now or time.time()) - settings.EXPORT_KEEP_HOURS * 3600
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < before:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
