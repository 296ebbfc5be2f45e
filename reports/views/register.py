"""The register (Sổ theo dõi hồ sơ, Mẫu 07 of 2025 / Mẫu 06 of 2018) of a unit and a period: a printable page (A4
landscape) and its XLSX. The rows come from reports.figures.register; who sees which unit from access.report_scope."""

import tempfile

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone

from cases.catalogue.units import letter_place
from cases.desk import access
from reports.documents import register as register_workbook
from reports.figures import periods
from reports.figures import register as figures
from reports.figures.counters import report_units

from .dashboard import XLSX

# A page prints what a desk writes in a month or a quarter; a longer register is downloaded.
PAGE_LIMIT = 1000


def _scope(request):
    scope, visible = access.report_scope(request.user, request.GET.get("don_vi"))
    picked = periods.pick(request.GET, timezone.localdate(), clip=True)
    return scope, report_units(scope, visible), picked


def register(request):
    scope, units, picked = _scope(request)
    total = figures.count(picked.period, units)
    context = {
        "scope": scope,
        "scope_name": scope.name if scope else "Toàn hệ thống",
        "scopes": access.unit_choices(request.user),
        "whole_system": access.is_admin(request.user),
        "period": picked.period,
        "picker": picked,
        "period_error": picked.error,
        "default_note": picked.default_note,
        "rows": list(figures.rows(picked.period, units, limit=PAGE_LIMIT)),
        "total": total,
        "limit": PAGE_LIMIT,
        "query": request.GET.urlencode(),
        "place": letter_place(scope) if scope else "",
        "today": timezone.localdate(),
    }
    return render(request, "reports/register.html", context)


def register_download(request):
    scope, units, picked = _scope(request)
    period = picked.period
    name = f"so-theo-doi-{scope.code if scope else 'toan-he-thong'}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    book = register_workbook.workbook(
        scope.name if scope else "Toàn hệ thống", picked.period, figures.rows(picked.period, units)
    )
    # A year of a province is large: through a temp file, never memory.
    target = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it (and the OS deletes it)
    book.save(target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=f"{name}.xlsx", content_type=XLSX)
