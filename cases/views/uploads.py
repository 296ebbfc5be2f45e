"""Nhập hồ sơ từ tệp: upload, preview, confirm, follow the job, download the refused rows."""

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from cases.core import jobs
from cases.core.models import JobState
from cases.desk import access
from cases.exchange import uploads
from cases.forms import ImportConfirmForm, ImportUploadForm

JOB_HISTORY = 20


def _require_uploader(user):
    if not access.may_upload(user):
        raise PermissionDenied("Chỉ cán bộ Một cửa và Văn phòng được nhập hồ sơ từ tệp.")


def _job_or_404(request, pk):
    _require_uploader(request.user)
    return jobs.checked(get_object_or_404(uploads.jobs_of(request.user), pk=pk))


def import_upload(request):
    _require_uploader(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = uploads.create_job(request.user, form.cleaned_data["file"])
        return redirect("cases:import_job", pk=job.pk)
    history = list(uploads.jobs_of(request.user).filter(owner=request.user)[:JOB_HISTORY])
    for job in history:
        job.checking = uploads.is_checking(job)
    return render(request, "cases/import_upload.html", {"form": form, "jobs": history, "max_mb": 50})


def import_job(request, pk):
    """One job: checking (progress), the preview and confirmation, importing (progress), the summary."""
    job = _job_or_404(request, pk)
    context = {
        "job": job,
        "checking": uploads.is_checking(job),
        "sent": jobs.was_sent(job),
        "has_rejected": uploads.has_rejected_file(job),
        "offer": uploads.offer(job),
        "problems": [_split_problem(problem) for problem in job.result.get("problems", [])],
        "may_retry": jobs.may_retry(job),
    }
    job.checking = context["checking"]
    if job.state == JobState.UPLOADED:
        context["headers"], context["rows"] = uploads.preview_rows(job)
        context["problem_lines"] = {line for line, _ in context["problems"]}
    return render(request, "cases/import_job.html", context)


def _split_problem(problem):
    """'dòng 17: ngày có kết quả: …' → (17, 'ngày có kết quả: …'); a problem of the whole file has no line."""
    head, _, rest = problem.partition(": ")
    if head.startswith("dòng ") and head[5:].isdigit() and rest:
        return int(head[5:]), rest
    return "", problem


@require_GET
def import_job_status(request, pk):
    job = _job_or_404(request, pk)
    return JsonResponse(
        {
            "status": job.state,
            "status_label": job.get_state_display(),
            "checking": uploads.is_checking(job),
            "sent": jobs.was_sent(job),
            "processed_rows": job.processed,
            "total_rows": job.total,
            "progress": job.progress,
            # The page reloads to show the preview or the summary once there is nothing left to wait for.
            "finished": job.state in (JobState.UPLOADED, JobState.DONE, JobState.FAILED),
        }
    )


@require_POST
def import_confirm(request, pk):
    job = _job_or_404(request, pk)
    if job.state != JobState.UPLOADED:
        messages.info(request, "Tệp này đã được xác nhận.")
        return redirect("cases:import_job", pk=job.pk)
    offer = uploads.offer(job)
    if not offer.importable:
        messages.error(request, "Tệp không có dòng hợp lệ nào nên không có gì để nhập. Sửa tệp rồi tải lên lại.")
        return redirect("cases:import_job", pk=job.pk)
    # The page offers one button, which says what it does: with refused rows, that is to import the others.
    form = ImportConfirmForm(request.POST)
    if offer.skips and not (form.is_valid() and form.cleaned_data["skip_invalid"]):
        messages.error(request, "Tệp có dòng lỗi: hãy bấm nút «Nhập … dòng hợp lệ» hoặc sửa tệp rồi tải lên lại.")
        return redirect("cases:import_job", pk=job.pk)
    uploads.confirm(job, offer.skips)
    return redirect("cases:import_job", pk=job.pk)


@require_POST
def import_retry(request, pk):
    """Send a job again: the queue could not be reached, or the worker died while it ran."""
    job = _job_or_404(request, pk)
    if not uploads.retry(job):
        messages.info(request, "Việc này không cần chạy lại.")
    return redirect("cases:import_job", pk=job.pk)


@require_GET
def import_rejected(request, pk):
    """The refused rows with their `loi` column, as the uploaded file's kind."""
    job = _job_or_404(request, pk)
    if not uploads.has_rejected_file(job):
        raise Http404("Không có tệp dòng bị từ chối")
    name = uploads.rejected_name(job)
    download = f"{Path(job.title).stem}.loi{Path(name).suffix}"
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=download)
