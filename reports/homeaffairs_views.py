"""Nội vụ's downloads: Biểu II.06a and the appraisal workbook for a scope and a period.

A small scope is built and streamed at once; a large one is built by the Celery task reports.build_workbook while a
page shows its progress, then downloaded by the user who asked for it (and nobody else).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from cases import access
from cases.models import Role
from reports import appraisal, periods
from reports.tally import report_units
from reports.views import XLSX

ROLES = {Role.HOME_AFFAIRS, Role.OFFICE, Role.ADMIN}
# A job nobody has picked up by then means no worker is running: say so instead of polling forever in silence.
STALLED_AFTER = timedelta(minutes=2)


def _scope(user, code):
    return access.report_scope(user, code)


def _check_role(user):
    if not (user.is_superuser or access.roles(user) & ROLES):
        raise PermissionDenied("Trang này dành cho Phòng/Sở Nội vụ, Văn phòng và quản trị hệ thống.")


def index(request):
    params = request.POST if request.method == "POST" else request.GET
    scope, visible = _scope(request.user, params.get("don_vi"))
    _check_role(request.user)
    today = timezone.localdate()
    error = None
    try:
        period = periods.from_params(params, today)
        period.up_to(today)  # a period that has not begun has no figures
    except periods.PeriodError as exc:
        period, error = periods.from_params({}, today), str(exc)
    kind = params.get("bieu")
    if request.method == "POST" and error is None:
        if kind not in appraisal.KINDS:
            raise Http404
        if report_units(scope, visible).count() > settings.APPRAISAL_ASYNC_UNITS:
            job_id = appraisal.start_job(kind, request.user, scope, period)
            return redirect("reports:homeaffairs_job", job_id=job_id)
        book = appraisal.build_kind(kind, period, scope, visible)
        response = HttpResponse(content_type=XLSX)
        book.save(response)
        response["Content-Disposition"] = f'attachment; filename="{appraisal.file_name(kind, scope, period)}"'
        return response
    return render(
        request,
        "reports/homeaffairs.html",
        {
            "scope": scope,
            "scopes": visible.order_by("path"),
            "period": period,
            "period_error": error,
            "kinds": appraisal.KINDS,
            "rule_lines": appraisal.rule_lines(),
            "years": range(today.year, today.year - 6, -1),
            "months": range(1, 13),
            "async_units": settings.APPRAISAL_ASYNC_UNITS,
        },
        status=400 if error and request.method == "POST" else 200,
    )


def _own_job(request, job_id):
    """The job's status, only for the user who asked for it: anyone else gets 404."""
    _check_role(request.user)
    job = appraisal.read_job(job_id)
    if job is None or job.get("user_id") != request.user.pk:
        raise Http404("Không có yêu cầu này.")
    return job


def job(request, job_id):
    status = _own_job(request, job_id)
    waited = timezone.now() - datetime.fromisoformat(status["created_at"])
    stalled = status["state"] == "queued" and waited > STALLED_AFTER
    context = {"job": status, "job_id": str(job_id), "stalled": stalled}
    response = render(request, "reports/homeaffairs_job.html", context)
    if status["state"] in ("queued", "running"):
        response["Refresh"] = "3"  # the browser asks again in 3 s; no script needed on offline intranets
    return response


def job_file(request, job_id):
    status = _own_job(request, job_id)
    if status["state"] != "done":
        raise Http404("Tệp chưa sẵn sàng.")
    try:
        handle = open(appraisal.job_file_path(job_id), "rb")  # noqa: SIM115 — FileResponse closes it
    except FileNotFoundError:
        raise Http404("Tệp không còn trên máy chủ; hãy tạo lại.") from None
    return FileResponse(handle, as_attachment=True, filename=status["filename"], content_type=XLSX)
