"""Nội vụ's downloads: Biểu II.06a and the appraisal workbook for a scope and a period.

A small scope is built and streamed at once; a large one is built by the Celery task reports.build_workbook while a
page shows its progress, then downloaded by the user who asked for it (and nobody else).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cases.core import jobs
from cases.core.models import Job, JobKind, JobState
from cases.core.routing import reads_from_replica
from cases.desk import access
from cases.followup import appraisal, homeaffairs
from reports.figures import periods
from reports.figures.counters import report_units

from .dashboard import XLSX


def _scope(user, code):
    return access.report_scope(user, code)


def _check_role(user):
    if not access.may_read_homeaffairs(user):
        raise PermissionDenied("Trang này dành cho Phòng/Sở Nội vụ, Văn phòng và quản trị hệ thống.")


@reads_from_replica
def index(request):
    params = request.POST if request.method == "POST" else request.GET
    scope, visible = _scope(request.user, params.get("don_vi"))
    _check_role(request.user)
    # A running period is counted up to today (as the tally counts it); one that has not begun is an error.
    picked = periods.pick(params, timezone.localdate(), clip=True)
    period, error = picked.period, picked.error
    kind = params.get("bieu")
    if request.method == "POST" and error is None:
        if kind not in homeaffairs.KINDS:
            raise Http404
        if report_units(scope, visible).count() > settings.APPRAISAL_ASYNC_UNITS:
            job = homeaffairs.start_job(kind, request.user, scope, period)
            return redirect("reports:homeaffairs_job", job_id=job.uid)
        book = homeaffairs.build_kind(kind, period, scope, visible)
        response = HttpResponse(content_type=XLSX)
        book.save(response)
        response["Content-Disposition"] = f'attachment; filename="{homeaffairs.file_name(kind, scope, period)}"'
        return response
    return render(
        request,
        "reports/homeaffairs.html",
        {
            "scope": scope,
            "scopes": access.unit_choices(request.user),
            "whole_system": access.is_admin(request.user),
            "period": period,
            "period_error": error,
            "default_note": picked.default_note,
            "picker": picked,
            "kinds": homeaffairs.KINDS,
            "rule_lines": appraisal.rule_lines(),
            "async_units": settings.APPRAISAL_ASYNC_UNITS,
        },
        status=400 if error and request.method == "POST" else 200,
    )


def _own_job(request, job_id):
    """The job, only for the user who asked for it: anyone else gets 404."""
    _check_role(request.user)
    job = Job.objects.filter(uid=job_id, kind=JobKind.WORKBOOK, owner=request.user).first()
    if job is None:
        raise Http404("Không có yêu cầu này.")
    return job


def job(request, job_id):
    found = jobs.checked(_own_job(request, job_id))
    # A job nobody has picked up for minutes means no worker is running: say so instead of polling in silence.
    context = {"job": found, "stalled": jobs.is_stalled(found), "may_retry": jobs.may_retry(found)}
    response = render(request, "reports/homeaffairs_job.html", context)
    if not found.finished:
        response["Refresh"] = "3"  # the browser asks again in 3 s; no script needed on offline intranets
    return response


@require_POST
def job_retry(request, job_id):
    """Build again a workbook whose worker died (or whose database did not answer)."""
    found = _own_job(request, job_id)
    homeaffairs.retry(found)
    return redirect("reports:homeaffairs_job", job_id=found.uid)


def job_file(request, job_id):
    found = _own_job(request, job_id)
    if found.state != JobState.DONE:
        raise Http404("Tệp chưa sẵn sàng.")
    try:
        handle = default_storage.open(found.output, "rb")
    except FileNotFoundError:
        raise Http404("Tệp không còn trên máy chủ; hãy tạo lại.") from None
    return FileResponse(handle, as_attachment=True, filename=found.params["filename"], content_type=XLSX)
