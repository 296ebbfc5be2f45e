"""Dossier files uploaded in the browser: a Job checked for a preview, then imported by the task
`cases.import_dossiers` (cases/tasks.py).

The parsing and the checks are the command line's (cases.exchange); this module adds the uploader's scope (a row
for a unit outside it is refused on its line) and the job's stages:

    uploaded → (large files: queued/running, stage "check") → uploaded, checked: the preview
             → confirmed: queued → running (stage "import") → done | failed
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from cases.core import jobs
from cases.core.formats import number
from cases.core.models import Job, JobKind, JobState
from cases.desk import access

from . import guard
from .dossiers import DossierImporter
from .reading import FileRefused, as_text, open_sheet

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")
# Below this many rows the check runs inside the upload request; above, as the task, with a progress bar.
SYNC_ROWS = 5000
PREVIEW_ROWS = 20
# The job keeps this many problem lines; the `loi` file and the count carry all of them.
KEPT_PROBLEMS = 1000
KEPT_WARNINGS = 500
TASK = "cases.import_dossiers"
CHECK, IMPORT = "check", "import"


def jobs_of(user):
    """The upload jobs a user may see: their own; every one for an administrator."""
    return Job.objects.filter(access.jobs_q(user), kind=JobKind.IMPORT_DOSSIERS).select_related("owner")


# --- the job's stages -----------------------------------------------------------------------------------------------
def is_checking(job):
    """Queued or running to check a large file, before the preview."""
    return job.state in (JobState.QUEUED, JobState.RUNNING) and job.params.get("stage") == CHECK


def skip_invalid(job):
    return bool(job.params.get("skip_invalid"))


def rejected_name(job):
    """Where the refused rows of a job are kept, beside the upload: `<name>.loi.csv` or `.loi.xlsx`."""
    path = Path(job.file.name)
    suffix = ".xlsx" if path.suffix.lower() in (".xlsx", ".xlsm") else ".csv"
    return str(path.with_name(f"{path.stem}.loi{suffix}"))


def has_rejected_file(job):
    return (
        job.state == JobState.DONE and job.result.get("refused", 0) > 0 and default_storage.exists(rejected_name(job))
    )


# --- upload and check ------------------------------------------------------------------------------------------------
def estimate_rows(handle, name):
    """Data rows of a file without parsing it: lines of a CSV; for an XLSX, the rows its first sheet declares,
    after its sizes were checked from the zip's directory (cases.exchange.guard; raises FileRefused)."""
    if Path(name).suffix.lower() == ".csv":
        count, last = 0, b"\n"
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            count, last = count + chunk.count(b"\n"), chunk[-1:]
        return max(count - (last == b"\n"), 0)  # the header is a line; a last line may lack its newline
    return guard.inspect_xlsx(handle) or 0


def create_job(user, uploaded):
    """Save the upload as a job (the file under MEDIA_ROOT), check it now or send it to be checked.

    Only a small CSV is checked inside the request (read as a stream, its memory is its size); an XLSX is always
    unpacked by a worker, under the worker's memory and time ceilings, after its sizes passed the guard here."""
    job = jobs.create(
        JobKind.IMPORT_DOSSIERS, user, Path(uploaded.name).name, file=uploaded, state=JobState.UPLOADED,
        params={"stage": CHECK, "skip_invalid": False},
    )  # fmt: skip
    try:
        with job.file.open("rb") as handle:
            job.total = estimate_rows(handle, job.title)
    except FileRefused as refused:
        _refuse(job, refused)
        return job
    job.save(update_fields=["total"])
    if Path(job.title).suffix.lower() == ".csv" and job.total < SYNC_ROWS:
        check(job)
    else:
        jobs.send(job, TASK)
    return job


def _refuse(job, refused):
    """A file refused as a whole (too large unpacked, damaged, not UTF-8 …): the job ends, failed, saying why."""
    job.result = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0, "problems": [str(refused)], "warnings": []}
    jobs.finish(job, JobState.FAILED, message=str(refused)[:255])


def _importer(job, handle, progress=None):
    return DossierImporter(
        handle,
        job.title,
        user=job.owner,
        keep_rejected=skip_invalid(job),
        progress=progress,
        allowed_units=access.upload_unit_ids(job.owner),
    )


def _store_result(job, result):
    job.total = job.processed = result.rows_read
    job.result = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "refused": result.refused,
        "problems": _kept(result.errors, KEPT_PROBLEMS, "lỗi"),
        "warnings": _kept(result.warnings, KEPT_WARNINGS, "cảnh báo"),
    }


def _kept(messages, limit, what):
    """The first messages, and how many more there were (the page shows the first; the loi file has every row)."""
    if len(messages) <= limit:
        return list(messages)
    return [*messages[:limit], f"… và {number(len(messages) - limit)} {what} khác."]


def check(job, progress=None):
    """Validate without writing: the preview's problems, warnings and planned counts. The job waits, "uploaded"."""
    with job.file.open("rb") as handle:
        importer = _importer(job, handle, progress)
        result = importer.validate()
    _store_result(job, result)
    if importer.file_refusal is not None:
        jobs.finish(job, JobState.FAILED, message=str(importer.file_refusal)[:255])
        return result
    job.state = JobState.UPLOADED
    job.save()
    return result


def preview_rows(job, limit=PREVIEW_ROWS):
    """The header and the first rows as read (line number, cells), for the preview table."""
    with job.file.open("rb") as handle:
        try:
            sheet = open_sheet(handle, job.title)
        except FileRefused:
            return [], []
        rows = []
        for line, values in sheet.rows:
            rows.append((line, [as_text(value) for value in values]))
            if len(rows) == limit:
                break
        sheet.rows.close()  # releases the file
    return sheet.headers, rows


@dataclass(frozen=True)
class Offer:
    """What the preview offers, said before the click: how many rows a confirmation writes and what it leaves out."""

    valid: int  # rows that passed every check (to create, update, or unchanged)
    refused: int  # rows with a problem: never written; with skip_invalid, listed in the loi file
    created: int
    updated: int

    @property
    def importable(self):
        """Something to import: at least one valid row (a file whose columns or reading failed has none)."""
        return self.valid > 0

    @property
    def skips(self):
        """Confirming imports the valid rows and leaves the refused ones out."""
        return self.importable and self.refused > 0


def offer(job):
    """The preview's offer, from the check's counts."""
    result = job.result or {}
    created, updated = result.get("created", 0), result.get("updated", 0)
    return Offer(created + updated + result.get("unchanged", 0), result.get("refused", 0), created, updated)


def confirm(job, skip_invalid):
    job.params = {**job.params, "stage": IMPORT, "skip_invalid": skip_invalid}
    job.save(update_fields=["params"])
    jobs.send(job, TASK)


def retry(job):
    """Send a job again: a queued one the broker never took, or one whose run was cut off (jobs.may_retry)."""
    return jobs.resend(job, TASK)


# --- what the task does --------------------------------------------------------------------------------------------
def work(job):
    """Check or import, as the job's stage says (the task `cases.import_dossiers` calls this)."""
    report = jobs.Progress(job)
    progress = lambda rows: report(rows)  # noqa: E731 — the importer reports rows read
    if job.params.get("stage") == CHECK:
        return check(job, progress)
    return run(job, progress)


def run(job, progress=None):
    """Validate and write. Invalid rows without "skip" write nothing; with it, the refused rows go to the loi file.

    The rows and the job's "done" are committed in one transaction: a worker killed before the commit wrote nothing
    and its job can be run again; one killed after it left the job done, and a retry or a redelivered message then
    finds it done and imports nothing twice (jobs.claim, jobs.finish).
    """
    with job.file.open("rb") as handle:
        importer = _importer(job, handle, progress)
        result = importer.validate()
        if result.errors and not (skip_invalid(job) and importer.validated):
            result.created = result.updated = result.unchanged = 0
            _store_result(job, result)
            jobs.finish(job, JobState.FAILED)
            return result
        if result.errors:
            _save_rejected(job, importer)
        with transaction.atomic():
            importer.write()
            _store_result(job, result)
            jobs.finish(job, JobState.DONE if result.written else JobState.FAILED)
    return result


def _save_rejected(job, importer):
    name = rejected_name(job)
    with tempfile.TemporaryFile() as target:
        importer.write_rejected(target)
        target.seek(0)
        if default_storage.exists(name):  # a re-run writes the same rows again
            default_storage.delete(name)
        default_storage.save(name, File(target, name=Path(name).name))
