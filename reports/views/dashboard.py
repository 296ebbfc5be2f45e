"""The office's dashboard, its downloads and the weekly report. Figures come from reports.figures only."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cases.catalogue.models import Level
from cases.core.routing import reads_from_replica
from cases.desk import access
from cases.followup.apologies import apology_counts
from reports.documents import docx, xlsx
from reports.documents.tally_json import as_json
from reports.figures import periods, wording
from reports.figures import steps as step_kinds
from reports.figures.counters import COUNTER_NAMES
from reports.figures.officials import (
    by_department,
    by_official,
    late_most,
    rated_officials,
    step_figures,
    waiting,
    waiting_by_person,
    waiting_by_step,
)
from reports.figures.satisfaction import satisfaction_rows
from reports.figures.tally import online_groups, tally
from reports.figures.trend import trend

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _scope(request):
    return access.report_scope(request.user, request.GET.get("don_vi"))


def _scoped_tally(request):
    """(tally, visible units, periods.Picked): the period asked for, or the default one."""
    scope, visible = _scope(request)
    picked = periods.pick(request.GET, timezone.localdate(), clip=True)
    return tally(picked.period, scope=scope, allowed_units=visible), visible, picked


def _list_links(period, unit, subtree=False):
    """{counter: the dossier list behind that number, its filters preset} for one unit (or the scope's total)."""
    params = {"ky_tu": f"{period.start:%d/%m/%Y}", "ky_den": f"{period.end:%d/%m/%Y}"}
    if unit is not None:
        params["trong_don_vi" if subtree else "unit"] = unit.pk
    base = f"{reverse('cases:dossier_list')}?{urlencode(params)}"
    return {name: f"{base}&so_lieu={name}" for name in COUNTER_NAMES}


def _rows(result, rows):
    return [{"unit": row.unit, "counters": row.counters, "links": _list_links(result.period, row.unit)} for row in rows]


def _apology_rows(result, apologies):
    """Per unit with late or overdue dossiers: how many got an apology letter (seed 004), in the tally's order."""
    rows = []
    for row in result.units:
        late, with_apology = apologies.get(row.unit.pk, (0, 0))
        if late:
            rows.append({"unit": row.unit, "late": late, "apologised": with_apology, "missing": late - with_apology})
    return rows


# How many rows each step table shows (the most overdue or late first); the rest are counted below it.
STEP_ROWS = 15


def _step_link(period=None, **params):
    """The dossier list behind a step figure (cases.filters: buoc_tt and the step's unit, kind, name, official)."""
    query = {key: value for key, value in params.items() if value not in (None, "")}
    if period is not None:
        query |= {"ky_tu": f"{period.start:%d/%m/%Y}", "ky_den": f"{period.end:%d/%m/%Y}"}
    return f"{reverse('cases:dossier_list')}?{urlencode(query)}"


WAITING_LINKS = {"open": step_kinds.OPEN, "not_taken": step_kinds.WAITING, "overdue": step_kinds.OVERDUE}
LATE_LINKS = {"handled": step_kinds.HANDLED, "late": step_kinds.LATE, "sent_back": step_kinds.SENT_BACK}


def _where_step(row):
    return {"buoc_don_vi": row.unit.pk, "bo_phan": row.performer, "buoc_ten": getattr(row, "name", "")}


def _where_person(row):
    return {"buoc_don_vi": row.unit.pk, "nguoi_xu_ly": row.person.param}


def _first(found):
    return {"rows": found[:STEP_ROWS], "more": max(0, len(found) - STEP_ROWS)}


def _linked(found, kinds, where, period=None):
    """The first STEP_ROWS rows, each with the dossier list behind each of its figures, and how many were left out."""
    rows = [
        {"row": row, **{name: _step_link(period, buoc_tt=kind, **where(row)) for name, kind in kinds.items()}}
        for row in found[:STEP_ROWS]
    ]
    return {"rows": rows, "more": max(0, len(found) - STEP_ROWS)}


def _step_sections(result):
    """ "Where dossiers wait" now and "which steps are late most" in the period, for the units of the tally."""
    units = [row.unit for row in result.units]
    figures = step_figures(result.period, units)
    open_steps = waiting(units)
    period = result.period
    return {
        "waiting_steps": _linked(waiting_by_step(open_steps), WAITING_LINKS, _where_step),
        "waiting_people": _linked(waiting_by_person(open_steps), WAITING_LINKS, _where_person),
        "late_departments": _linked(late_most(by_department(figures, units)), LATE_LINKS, _where_step, period),
        "late_people": _linked(late_most(by_official(figures, units)), LATE_LINKS, _where_person, period),
        "stock_now": result.period.end >= timezone.localdate(),
    }


@reads_from_replica
def dashboard(request):
    result, visible, picked = _scoped_tally(request)
    period = result.period
    offices = [row for row in result.units if row.unit.level != Level.COMMUNE]
    communes = [row for row in result.units if row.unit.level == Level.COMMUNE]
    points = trend(
        periods.month(period.end.year, period.end.month),
        scope=result.scope,
        units=[row.unit.pk for row in result.units],
        known=result.live_totals,
    )
    chart = {
        "labels": [f"{p.month:%m/%Y}" for p in points],
        "received": [p.received for p in points],
        "resolved": [p.resolved for p in points],
        "on_time_rate": [p.on_time_rate for p in points],
        "online_rate": [p.online_rate for p in points],
    }
    query = request.GET.urlencode()
    scopes = access.unit_choices(request.user)
    if result.scope is not None:
        result.scope.label = next((unit.label for unit in scopes if unit.pk == result.scope.pk), result.scope.name)
    apologies = apology_counts(
        period,
        [row.unit.pk for row in result.units],
        owed={row.unit.pk: row.counters.resolved_late + row.counters.in_progress_overdue for row in result.units},
    )
    satisfied_units, satisfied_total = satisfaction_rows(result)
    return render(
        request,
        "reports/dashboard.html",
        {
            "result": result,
            "period": period,
            "period_error": picked.error,
            "default_note": picked.default_note,
            "picker": picked,
            "offices": _rows(result, offices),
            "communes": _rows(result, communes),
            "fields": result.fields,
            "total_links": _list_links(period, result.scope, subtree=True),
            "chart": chart,
            "late_units": wording.late_units(result),
            "online_groups": online_groups(result),
            "apology_rows": _apology_rows(result, apologies),
            "satisfaction_rows": satisfied_units,
            "satisfaction_total": satisfied_total,
            "satisfaction_people": _first(rated_officials(period, [row.unit for row in result.units])),
            "paragraphs": wording.paragraphs(result),
            "scopes": scopes,
            "whole_system": access.is_admin(request.user),
            "query": query,
            **_step_sections(result),
        },
    )


@reads_from_replica
def download(request, fmt):
    result, _, _ = _scoped_tally(request)
    scope_code = result.scope.code if result.scope else "toan-he-thong"
    name = f"so-lieu-{scope_code}-{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}"
    if fmt == "xlsx":
        response = HttpResponse(content_type=XLSX)
        xlsx.workbook(result).save(response)
    elif fmt == "docx":
        response = HttpResponse(content_type=DOCX)
        docx.letter(result).save(response)
    elif fmt == "json":
        response = HttpResponse(as_json(result), content_type="application/json; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@reads_from_replica
def weekly(request):
    """Seed 002's Friday report: the week just ended and the year to date, side by side."""
    scope, _ = _scope(request)
    try:
        day = periods.parse_day(request.GET["ngay"]) if request.GET.get("ngay") else timezone.localdate()
    except periods.PeriodError:
        day = timezone.localdate()
    visible = access.visible_units(request.user)
    week = tally(periods.week_ending(day), scope=scope, allowed_units=visible, by_field=False)
    to_date = tally(periods.year_to_date(day), scope=scope, allowed_units=visible, by_field=False)
    return render(
        request,
        "reports/weekly.html",
        {
            "scope": scope,
            "day": day,
            "week": week,
            "to_date": to_date,
            "rows": [
                {"unit": w.unit, "week": w.counters, "to_date": y.counters}
                for w, y in zip(week.units, to_date.units, strict=True)
            ],
            "week_text": wording.paragraphs(week),
        },
    )


@reads_from_replica
def trend_json(request):
    """The chart's data on its own, for other tools."""
    result, _, _ = _scoped_tally(request)
    points = trend(
        periods.month(result.period.end.year, result.period.end.month),
        scope=result.scope,
        allowed_units=access.visible_units(request.user),
    )
    data = [
        {
            "month": p.month.isoformat(),
            "received": p.received,
            "resolved": p.resolved,
            "on_time_rate": p.on_time_rate,
            "online_rate": p.online_rate,
        }
        for p in points
    ]
    return HttpResponse(json.dumps(data), content_type="application/json")
