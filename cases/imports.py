"""Dossier files uploaded in the browser: an ImportJob checked for a preview, then imported by a Celery task.

The parsing and the checks are those of cases.exchange (the command line's engine); this module only adds the
uploader's scope (a row for a unit outside it is refused on its line), the job's states, and the task.

    uploaded → (large files: queued/running "kiểm tra") → uploaded, checked: the preview
             → confirmed: queued → running → done | failed
"""

import logging
import tempfile
from pathlib import Path
from uuid import uuid4

from celery import shared_task
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from . import access
from .exchange import DossierImporter, FileRefused, as_text, open_sheet, vn_number
from .models import ImportJob, ImportStatus, Membership, Role, Unit

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")
# Below this many rows the check runs inside the upload request; above, as the task, with a progress bar.
SYNC_ROWS = 5000
PREVIEW_ROWS = 20
# The job keeps this many problem lines; the `loi` file and the count carry all of them.
KEPT_PROBLEMS = 1000
KEPT_WARNINGS = 500
# A task id starting with this checks the file only (the preview of a large file); otherwise it imports.
CHECK_PREFIX = "kiem-tra:"
RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


# --- who may upload, and for which units ------------------------------------------------------------------------
def may_upload(user):
    return user.is_authenticated and (access.is_admin(user) or bool(access.roles(user) & {Role.DESK, Role.OFFICE}))


def allowed_unit_ids(user):
    """Units a user may import dossiers for: their desks, and the subtrees of their offices. None = every unit."""
    if access.is_admin(user):
        return None
    condition = Q(pk__in=access.desk_units(user).values("pk"))
    for membership in Membership.objects.filter(user=user, role=Role.OFFICE).select_related("unit"):
        condition |= Q(path__startswith=membership.unit.path)
    return set(Unit.objects.filter(condition).values_list("pk", flat=True))


def jobs_of(user):
    """The jobs a user may see: their own; every job for an administrator."""
    jobs = ImportJob.objects.select_related("user")
    return jobs if access.is_admin(user) else jobs.filter(user=user)


# --- the job's phases -----------------------------------------------------------------------------------------------
def is_checking(job):
    """Queued or running to check a large file, before the preview."""
    return job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and job.task_id.startswith(CHECK_PREFIX)


def is_checked(job):
    return job.status == ImportStatus.UPLOADED


def was_sent(job):
    """False when the broker could not be reached: the job waits for "Thử lại"."""
    return job.status != ImportStatus.QUEUED or bool(job.task_id.removeprefix(CHECK_PREFIX))


def rejected_name(job):
    """Where the refused rows of a job are kept, beside the upload: `<name>.loi.csv` or `.loi.xlsx`."""
    path = Path(job.file.name)
    suffix = ".xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else ".csv"
    return str(path.with_name(f"{path.stem}.loi{suffix}"))


def has_rejected_file(job):
    return job.status == ImportStatus.DONE and job.refused_count > 0 and default_storage.exists(rejected_name(job))


# --- upload and check ------------------------------------------------------------------------------------------------
def estimate_rows(handle, name):
    """Data rows of a file, cheaply: lines of a CSV, the declared size of an XLSX sheet (counted if absent)."""
    if Path(name).suffix.lower() == ".csv":
        count, last = 0, b"\n"
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            count, last = count + chunk.count(b"\n"), chunk[-1:]
        return max(count - (last == b"\n"), 0)  # the header is a line; a last line may lack its newline
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True)
    except Exception:  # a damaged file: the check reports it in its own words
        return 0
    try:
        sheet = workbook.worksheets[0]
        if sheet.max_row:
            return max(sheet.max_row - 1, 0)
        return sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
    finally:
        workbook.close()


def create_job(user, uploaded):
    """Save the upload as a job (the file under MEDIA_ROOT), check it now or send it to be checked."""
    job = ImportJob.objects.create(user=user, file=uploaded, original_name=Path(uploaded.name).name[:255])
    with job.file.open("rb") as handle:
        job.total_rows = estimate_rows(handle, job.original_name)
    job.save(update_fields=["total_rows"])
    if job.total_rows < SYNC_ROWS:
        check(job)
    else:
        enqueue(job, check_only=True)
    return job


def _importer(job, handle, progress=None):
    return DossierImporter(
        handle,
        job.original_name,
        user=job.user,
        keep_rejected=job.skip_invalid,
        progress=progress,
        allowed_units=allowed_unit_ids(job.user),
    )


def _progress(job):
    def report(rows):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=rows)

    return report


def _store_result(job, result):
    job.total_rows = result.rows_read
    job.processed_rows = result.rows_read
    job.created_count, job.updated_count = result.created, result.updated
    job.unchanged_count, job.refused_count = result.unchanged, result.refused
    job.problems = _kept(result.errors, KEPT_PROBLEMS, "lỗi")
    job.warnings = _kept(result.warnings, KEPT_WARNINGS, "cảnh báo")


def _kept(messages, limit, what):
    """The first messages, and how many more there were (the page shows the first; the loi file has every row)."""
    if len(messages) <= limit:
        return list(messages)
    return [*messages[:limit], f"… và {vn_number(len(messages) - limit)} {what} khác."]


def check(job):
    """Validate without writing: the preview's problems, warnings and planned counts. The job stays "uploaded"."""
    with job.file.open("rb") as handle:
        result = _importer(job, handle, _progress(job)).validate()
    _store_result(job, result)
    job.status = ImportStatus.UPLOADED
    job.save()
    return result


def preview_rows(job, limit=PREVIEW_ROWS):
    """The header and the first rows as read (line number, cells), for the preview table."""
    with job.file.open("rb") as handle:
        try:
            sheet = open_sheet(handle, job.original_name)
        except FileRefused:
            return [], []
        rows = []
        for line, values in sheet.rows:
            rows.append((line, [as_text(value) for value in values]))
            if len(rows) == limit:
                break
        sheet.rows.close()  # releases the file
    return sheet.headers, rows


# --- sending to the queue ---------------------------------------------------------------------------------------------
def enqueue(job, check_only=False):
    """Mark the job queued and send the task once the transaction commits; a broker that is down is noted on the job
    (its task id stays empty) so the page can say so and offer "Thử lại"."""
    prefix = CHECK_PREFIX if check_only else ""
    job.status, job.task_id, job.processed_rows = ImportStatus.QUEUED, prefix, 0
    job.save(update_fields=["status", "task_id", "processed_rows"])

    def send():
        task_id = prefix + str(uuid4())
        try:
            import_dossiers.apply_async(
                (job.pk,), {"check_only": check_only}, task_id=task_id, retry_policy=RETRY_POLICY
            )
        except Exception:  # kombu OperationalError, redis ConnectionError, timeouts: the job waits for a retry
            log.exception("Không gửi được việc nhập tệp %s tới hàng đợi.", job.pk)
            return
        # Only the id: an eager run or a fast worker may already have moved the status on.
        ImportJob.objects.filter(pk=job.pk, task_id=prefix).update(task_id=task_id)
        job.task_id = task_id

    transaction.on_commit(send)


def confirm(job, skip_invalid):
    job.skip_invalid = skip_invalid
    job.save(update_fields=["skip_invalid"])
    enqueue(job)


# --- the task ---------------------------------------------------------------------------------------------------------
@shared_task(name="cases.import_dossiers", bind=True, max_retries=3, acks_late=True)
def import_dossiers(self, job_id, check_only=False):
    """Check or import one ImportJob. Re-running it is harmless: a finished job is left alone, and importing the
    same rows again changes nothing (the exchange format's upsert)."""
    claimed = ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        status=ImportStatus.RUNNING
    )
    if not claimed:
        return "đã xử lý"
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    try:
        if check_only:
            check(job)
        else:
            run(job)
    except DatabaseError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        _fail(job_id, "Cơ sở dữ liệu không phản hồi; chưa ghi gì. Hãy tải tệp lên lại sau ít phút.")
        raise
    except Exception:
        _fail(job_id, "Lỗi hệ thống khi xử lý tệp; chưa ghi gì. Đã ghi nhật ký để quản trị viên kiểm tra.")
        raise
    return job.status


def _fail(job_id, message):
    try:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, problems=[message], finished_at=timezone.now()
        )
    except DatabaseError:
        log.exception("Không ghi được trạng thái lỗi của việc nhập tệp %s.", job_id)


def run(job):
    """Validate and write. Invalid rows without "skip" write nothing; with it, the refused rows go to the loi file."""
    with job.file.open("rb") as handle:
        importer = _importer(job, handle, _progress(job))
        result = importer.validate()
        if result.errors and not (job.skip_invalid and importer._validated):
            result.created = result.updated = result.unchanged = 0
            _store_result(job, result)
            job.status = ImportStatus.FAILED
        else:
            if result.errors:
                _save_rejected(job, importer)
            importer.write()
            _store_result(job, result)
            job.status = ImportStatus.DONE if result.written else ImportStatus.FAILED
    job.finished_at = timezone.now()
    job.save()
    return result


def _save_rejected(job, importer):
    name = rejected_name(job)
    with tempfile.TemporaryFile() as target:
        importer.write_rejected(target)
        target.seek(0)
        if default_storage.exists(name):  # a re-run writes the same rows again
            default_storage.delete(name)
        default_storage.save(name, File(target, name=Path(name).name))
