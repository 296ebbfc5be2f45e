"""`service_index --format json|xlsx` (EXCHANGE_FORMAT.md) from a ServiceIndex (reports.figures.service_index)."""

import json

from openpyxl import Workbook
from openpyxl.styles import Alignment

from cases.core import safe
from cases.core.formats import day
from reports.documents.styles import BODY, BOLD, HEAD_FILL, ITALIC, TITLE

POINT_KEYS = ("timeliness", "online", "digitisation", "satisfaction")


def counts(row):
    """The counts the points came from, by machine key."""
    c, d, s = row.counters, row.digitisation, row.satisfaction
    return {
        "resolved_total": c.resolved_total,
        "resolved_early": c.resolved_early,
        "resolved_on_time": c.resolved_on_time,
        "resolved_late": c.resolved_late,
        "in_progress_total": c.in_progress_total,
        "in_progress_within_deadline": c.in_progress_within_deadline,
        "in_progress_overdue": c.in_progress_overdue,
        "received_in_period": c.received_in_period,
        "received_online": c.received_online,
        "papers_digitized": d.papers,
        "results_digitized": d.results,
        "digitisation_received": d.received,
        "digitisation_resolved": d.resolved,
        "rated": s.rated,
        "rated_satisfied": s.satisfied,
    }


def _points(row):
    return {
        **{f"{key}_points": row.group(key).points for key in POINT_KEYS},
        "measured_points": row.measured_points,
        "measured_max": row.measured_max,
        "counts": counts(row),
    }


def as_json(index):
    return json.dumps(document(index), ensure_ascii=False, indent=2) + "\n"


def document(index):
    """`service_index --format json` as a dict (the API answers it as it is)."""
    scope = index.scope
    return {
        "period": {"from": index.period.start.isoformat(), "to": index.period.end.isoformat()},
        "scope": {"code": scope.code, "name": scope.name} if scope else {"code": None, "name": "Toàn hệ thống"},
        "units": [{"code": row.unit.code, "name": row.unit.name, **_points(row)} for row in index.units],
        "totals": _points(index.totals),
    }


HEADERS = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Nhóm chỉ số",
    "Điểm tối đa",
    "Điểm đạt",
    "Cách tính",
    "Số liệu",
    "Cần để đạt đủ điểm",
]
WIDTHS = [11, 32, 24, 9, 9, 60, 50, 40]
NOT_SCORED = "Không tính"
SUM_LABEL = "Cộng các nhóm đo được"


def workbook(index):
    """One row per unit and group, the scope's totals last; text cells safe (cases.core.safe)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Chỉ số phục vụ"
    scope_name = index.scope.name if index.scope else "Toàn hệ thống"
    sheet.append([f"Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg) — {scope_name}"])
    sheet["A1"].font = TITLE
    sheet.append([f"Từ ngày {day(index.period.start)} đến ngày {day(index.period.end)}"])
    sheet["A2"].font = ITALIC
    sheet.append(HEADERS)
    for column, width in enumerate(WIDTHS, start=1):
        cell = sheet.cell(row=3, column=column)
        cell.font, cell.fill = BOLD, HEAD_FILL
        sheet.column_dimensions[cell.column_letter].width = width
    for row in [*index.units, index.totals]:
        code, name = (row.unit.code, row.unit.name) if row.unit is not None else ("Tổng cộng", scope_name)
        for group in row.groups:
            sheet.append(
                [
                    code,
                    name,
                    group.label,
                    group.weight,
                    group.points if group.points is not None else NOT_SCORED,
                    group.rule,
                    "; ".join(f"{label}: {value}" for label, value in group.counts),
                    "; ".join(group.needs),
                ]
            )
        sheet.append([code, name, SUM_LABEL, row.measured_max, row.measured_points, "", "", ""])
    for line in sheet.iter_rows(min_row=4):
        for cell in line:
            cell.font = BOLD if line[2].value == SUM_LABEL else BODY
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if cell.column in (4, 5) and isinstance(cell.value, float | int):
                cell.number_format = "0.00"
    return safe.harden(book)


def write(index, path):
    workbook(index).save(path)
