"""Nội vụ's workbooks (Biểu II.06a and the appraisal): built at once for a small scope, or as a background job
(task `reports.build_workbook`) whose file only the user who asked for it may download."""

import tempfile
from datetime import date
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

from cases.core import jobs
from cases.core.models import JobKind
from cases.desk import access
from reports.documents import appraisal as appraisal_workbook
from reports.documents import official
from reports.figures.periods import Period
from reports.figures.tally import tally

from . import appraisal

OFFICIAL, APPRAISAL = "bieu-ii06a", "danh-gia"
KINDS = {OFFICIAL: "Biểu II.06a", APPRAISAL: "Bảng đánh giá, xếp loại"}
FOLDER = "bao-cao"
TASK = "reports.build_workbook"


def _noop(percent_done, message):
    pass


def _scope_name(scope):
    return scope.name if scope is not None else "Toàn hệ thống"


def file_name(kind, scope, period):
    code = scope.code if scope is not None else "toan-he-thong"
    return f"{kind}-{code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"


def build_kind(kind, period, scope=None, allowed_units=None, progress=_noop):
    """The workbook of one kind (OFFICIAL or APPRAISAL)."""
    if kind == OFFICIAL:
        progress(10, "Đang tính số liệu")
        result = tally(period, scope=scope, allowed_units=allowed_units)
        progress(60, "Đang ghi bảng")
        return official.workbook(result)
    if kind == APPRAISAL:
        result = appraisal.appraise(period, scope=scope, allowed_units=allowed_units, progress=progress)
        return appraisal_workbook.workbook(result, progress)
    raise ValueError(f"unknown workbook kind {kind!r}")


def start_job(kind, user, scope, period):
    """Queue a background build for `user`; returns the job (its page is at its uid)."""
    job = jobs.create(
        JobKind.WORKBOOK, user, f"{KINDS[kind]} — {_scope_name(scope)} — {period.range_text}", total=100,
        message="Đang chờ xử lý",
        params={
            "kind": kind, "scope_id": scope.pk if scope is not None else None, "start": period.start.isoformat(),
            "end": period.end.isoformat(), "label": period.label, "filename": file_name(kind, scope, period),
        },
    )  # fmt: skip
    jobs.send(job, TASK)
    return job


def retry(job):
    """Send again a job whose run was cut off (jobs.may_retry); False when there is nothing to retry."""
    return jobs.retry(job, TASK)


def work(job, scope):
    """Build the job's workbook within what its owner may see, reporting progress, and store it under MEDIA_ROOT."""
    report = jobs.Progress(job)

    def progress(percent_done, message):
        report(percent_done, message=message)

    params = job.params
    period = Period(date.fromisoformat(params["start"]), date.fromisoformat(params["end"]), params.get("label", ""))
    book = build_kind(params["kind"], period, scope, access.visible_units(job.owner), progress)
    report(95, message="Đang lưu tệp", force=True)
    name = str(Path(FOLDER) / f"{job.uid.hex}.xlsx")
    if default_storage.exists(name):  # a re-run writes the same file again
        default_storage.delete(name)
    with tempfile.TemporaryFile() as target:
        book.save(target)
        target.seek(0)
        name = default_storage.save(name, File(target, name=Path(name).name))
    jobs.finish(job, processed=100, message="Đã xong", output=name)
    return name
