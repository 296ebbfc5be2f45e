"""Writing the exchange format: dossiers streamed from `.iterator()` in primary-key order, so memory stays flat at
any size; CSV (UTF-8 with a BOM, for Excel) or XLSX (openpyxl write-only)."""

import csv
import io
from datetime import datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook

from cases.catalogue.models import Unit
from cases.core import safe
from cases.desk.models import Dossier
from cases.desk.states import STATED_IN_FILES

from .columns import DOSSIER_KEYS
from .reading import source_name
from .values import format_moment, local_tz

BATCH = 2000


EXPORT_VALUES = (
    "code",
    "procedure__code",
    "unit__code",
    "received_at",
    "due_at",
    "resolved_at",
    "returned_at",
    "channel",
    "applicant_name",
    "applicant_phone",
    "applicant_address",
    "state",
)


def dossier_rows(queryset, chunk_size=5000):
    """The dossiers as exchange rows (the import columns, in order), streamed in primary-key order."""
    tz = local_tz()
    explicit = set(STATED_IN_FILES)
    for code, procedure, unit, received, due, resolved, returned, channel, name, phone, address, state in (
        queryset.order_by("pk").values_list(*EXPORT_VALUES).iterator(chunk_size=chunk_size)
    ):
        yield [
            code,
            procedure,
            unit,
            format_moment(received, tz),
            format_moment(due, tz),
            format_moment(resolved, tz) if resolved else "",
            format_moment(returned, tz) if returned else "",
            channel,
            name,
            phone,
            address,
            state if state in explicit else "",
        ]


def export_queryset(unit=None, date_from=None, date_to=None, queryset=None):
    """Dossiers of a unit and every unit below it, received between two days (both included)."""

    queryset = Dossier.objects.all() if queryset is None else queryset
    if unit is not None:
        queryset = queryset.filter(unit__in=Unit.objects.subtree(unit).values("pk"))
    tz = local_tz()
    if date_from:
        queryset = queryset.filter(received_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        queryset = queryset.filter(received_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tz))
    return queryset


def export_dossiers(target, queryset, filename=None):
    """Write the dossiers to `target` (a path or a binary file) as CSV or XLSX by extension; returns the row count."""
    name = source_name(target, filename)
    rows = dossier_rows(queryset)
    if Path(name).suffix.lower() == ".xlsx":
        return write_xlsx(target, list(DOSSIER_KEYS), rows, title="Hồ sơ")
    return write_csv(target, list(DOSSIER_KEYS), rows)


def write_csv(target, headers, rows, delimiter=","):
    """UTF-8 with a BOM, so that Excel shows the Vietnamese letters; returns the row count. A cell that a
    spreadsheet would take for a formula gets a quote in front (cases.core.safe; the importer removes it)."""
    owned = isinstance(target, (str, Path))
    handle = (
        open(target, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 — closed below
        if owned
        else io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    )
    count = 0
    try:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        batch = []
        for row in rows:
            batch.append(safe.csv_row(row))
            if len(batch) == BATCH:
                writer.writerows(batch)
                count += len(batch)
                batch = []
        writer.writerows(batch)
        count += len(batch)
    finally:
        if owned:
            handle.close()
        else:
            handle.flush()
            handle.detach()
    return count


def write_xlsx(target, headers, rows, title="Dữ liệu"):
    """openpyxl in write-only mode (rows go straight to the file; strings inline): memory stays flat. Text is
    written as string cells, never as formulas (cases.core.safe)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMN", (22, 12, 12, 17, 17, 17, 17, 12, 28, 14, 36, 12), strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.append(safe.row(sheet, headers))
    count = 0
    for row in rows:
        # Empty cells are left out of the file altogether (smaller and faster).
        sheet.append(safe.row(sheet, row))
        count += 1
    workbook.save(target)
    return count
