"""The service index page (Decision 766) for the office and the unit, and its downloads."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cases.core.routing import reads_from_replica
from cases.desk import access
from reports.documents import service_index as documents
from reports.figures import periods
from reports.figures.counters import report_units
from reports.figures.satisfaction import unsatisfied
from reports.figures.service_index import service_index

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _index(request):
    scope, visible = access.report_scope(request.user, request.GET.get("don_vi"))
    picked = periods.pick(request.GET, timezone.localdate(), clip=True)
    return service_index(picked.period, scope=scope, allowed_units=visible), picked


@reads_from_replica
def index(request):
    result, picked = _index(request)
    return render(
        request,
        "reports/service_index.html",
        {
            "result": result,
            "period": result.period,
            "picker": picked,
            "period_error": picked.error,
            "default_note": picked.default_note,
            "scopes": access.unit_choices(request.user),
            "whole_system": access.is_admin(request.user),
            "query": request.GET.urlencode(),
        },
    )


@reads_from_replica
def download(request, fmt):
    result, _ = _index(request)
    scope_code = result.scope.code if result.scope else "toan-he-thong"
    name = f"chi-so-phuc-vu-{scope_code}-{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(content_type=XLSX)
        documents.workbook(result).save(response)
    elif fmt == "json":
        response = HttpResponse(documents.as_json(result), content_type="application/json; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@reads_from_replica
def unsatisfied_list(request):
    """The «không hài lòng» ratings of the scope and period, each linking to its dossier."""
    scope, visible = access.report_scope(request.user, request.GET.get("don_vi"))
    picked = periods.pick(request.GET, timezone.localdate(), clip=True)
    ratings = unsatisfied(picked.period, report_units(scope, visible))
    page = Paginator(ratings, 100).get_page(request.GET.get("trang"))
    return render(
        request,
        "reports/unsatisfied.html",
        {
            "scope": scope,
            "period": picked.period,
            "picker": picked,
            "period_error": picked.error,
            "page": page,
            "scopes": access.unit_choices(request.user),
            "whole_system": access.is_admin(request.user),
            "query": request.GET.urlencode(),
        },
    )
