"""A large download of the dossier list, written by the worker: its page (progress), its file, «Thử lại».

Only the user who asked for it sees any of these; anyone else gets 404 (cases.exchange.export_jobs.jobs_of).
"""

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_POST

from cases.core import jobs
from cases.exchange import export_jobs

from .desk import XLSX

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def _own_job(request, job_id):
    job = export_jobs.jobs_of(request.user).filter(uid=job_id).first()
    if job is None:
        raise Http404("Không có yêu cầu này.")
    return job


def export_job(request, job_id):
    job = jobs.checked(_own_job(request, job_id))
    context = {
        "job": job,
        "sent": jobs.was_sent(job),
        "stalled": jobs.is_stalled(job),
        "may_retry": jobs.may_retry(job),
        "file": export_jobs.file_of(job),
        "keep_hours": settings.EXPORT_KEEP_HOURS,
        "list_query": urlencode(export_jobs.query(job)),
    }
    response = render(request, "cases/export_job.html", context)
    if not job.finished:
        response["Refresh"] = "3"  # the browser asks again in 3 s; no script needed on offline intranets
    return response


@require_POST
def export_job_retry(request, job_id):
    job = _own_job(request, job_id)
    export_jobs.retry(job)
    return redirect("cases:export_job", job_id=job.uid)


def export_job_file(request, job_id):
    job = _own_job(request, job_id)
    name = export_jobs.file_of(job)
    if name is None:
        raise Http404("Tệp chưa sẵn sàng hoặc đã bị xoá; hãy tải lại từ danh sách.")
    content_type = CONTENT_TYPES[job.params["format"]]
    if settings.MEDIA_ACCEL_REDIRECT:
        # nginx sends the file (gigabytes at 10M rows) from its internal location; the access check was ours.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{settings.MEDIA_ACCEL_REDIRECT.rstrip('/')}/{quote(name)}"
        response["Content-Disposition"] = content_disposition_header(True, job.params["filename"])
        return response
    return FileResponse(
        default_storage.open(name, "rb"), as_attachment=True, filename=job.params["filename"], content_type=content_type
    )
