"""Writing the exchange format: dossiers in primary-key order, memory flat at any size; CSV (UTF-8 with a BOM, for
Excel) or XLSX.

On PostgreSQL the database formats the rows itself (`COPY (SELECT … to_char …) TO STDOUT`, with the formula guard
of cases.core.safe in SQL) at several times the speed of Python; the Python writers (`dossier_rows`, `write_csv`,
`write_xlsx`) stay for other databases and are the reference the tests compare the bytes and cells against.
"""

import csv
import io
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F
from openpyxl import Workbook

from cases.catalogue.models import Unit
from cases.core import safe
from cases.desk.models import Dossier
from cases.desk.states import STATED_IN_FILES

from .columns import DOSSIER_KEYS
from .reading import source_name
from .values import format_moment, local_tz

BATCH = 2000
# The export's column widths and letters, for both XLSX writers.
_WIDTHS = (22, 12, 12, 17, 17, 17, 17, 12, 28, 14, 36, 12, 10, 10)
_LETTERS = "ABCDEFGHIJKLMN"


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
    "papers_digitized",
    "result_digitized",
)
# The exchange format's flags: 1 or 0 (EXCHANGE_FORMAT.md, so_hoa_ho_so, so_hoa_ket_qua).
FLAG_CELLS = (13, 14)


def dossier_rows(queryset, chunk_size=5000):
    """The dossiers as exchange rows (the import columns, in order), streamed in primary-key order."""
    tz = local_tz()
    explicit = set(STATED_IN_FILES)
    for code, procedure, unit, received, due, resolved, returned, channel, name, phone, address, state, *flags in (
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
            *("1" if flag else "0" for flag in flags),
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


def export_dossiers(target, queryset, filename=None, progress=None):
    """Write the dossiers to `target` (a path or a binary file) as CSV or XLSX by extension; returns the row count.

    `progress(rows written so far)` is called every few thousand rows (a background export's progress bar).
    """
    name = source_name(target, filename)
    streamed = formatted_by_database(queryset)
    rows = None if streamed else _counted(dossier_rows(queryset), progress)
    if Path(name).suffix.lower() == ".xlsx":
        if streamed:
            return xlsx_from_copy(target, queryset, progress=progress)
        return write_xlsx(target, list(DOSSIER_KEYS), rows, title="Hồ sơ")
    if streamed:
        return csv_from_copy(target, queryset, progress=progress)
    return write_csv(target, list(DOSSIER_KEYS), rows)


def _counted(rows, progress):
    for count, row in enumerate(rows, start=1):
        if progress is not None and count % BATCH == 0:
            progress(count)
        yield row


def formatted_by_database(queryset):
    return connections[queryset.db].vendor == "postgresql"


# --- PostgreSQL: the database formats the rows -------------------------------------------------------------------
# format_moment: 05/01/2023 08:30 in Vietnam's time.
_MOMENT = "to_char({} AT TIME ZONE %s, 'DD/MM/FMYYYY HH24:MI')"
# cases.core.safe.to_csv's test, as a PostgreSQL regular expression.
_FORMULA = "^'*[=+@\t\r-]"


def _cells(queryset):
    """(kind of each of the export's cells, "moment" or "text"; a FROM clause `d` whose columns c1…c14 are
    those cells as text, c0 the primary key; its parameters), or None for a queryset that cannot match anything."""
    inner = queryset.order_by().values(
        c0=F("pk"),
        **{f"c{position}": F(name) for position, name in enumerate(EXPORT_VALUES, start=1)},
    )
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:
        return None
    states = ", ".join(f"'{state}'" for state in STATED_IN_FILES)
    kinds, columns, values = [], ["i.c0"], []
    for position in range(1, len(EXPORT_VALUES) + 1):
        column = f"i.c{position}"
        if position in (4, 5, 6, 7):
            kinds.append("moment")
            columns.append(f"{_MOMENT.format(column)} AS c{position}")
            values.append(settings.TIME_ZONE)
        elif position == 12:
            kinds.append("text")
            columns.append(f"CASE WHEN {column} IN ({states}) THEN {column} END AS c{position}")
        elif position in FLAG_CELLS:
            kinds.append("text")
            columns.append(f"CASE WHEN {column} THEN '1' ELSE '0' END AS c{position}")
        else:
            kinds.append("text")
            columns.append(column)
    return kinds, f"(SELECT {', '.join(columns)} FROM ({sql}) AS i) AS d", [*values, *params]


def _copy(queryset, select, params, sink, options="FORMAT text"):
    """COPY (select) TO STDOUT into `sink.write` (one call per row); COPY takes no parameters, so they are bound
    by the driver first."""
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        statement = cursor.mogrify(select, params).decode()
        cursor.cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH ({options})", sink)


class _Blocks:
    """Collects COPY's rows (one per write) and writes them in large blocks. With `crlf`, each row's LF becomes the
    CRLF with which Python's csv writer ends its rows. `progress(rows so far)` after each block."""

    def __init__(self, handle, size=1 << 18, crlf=False, progress=None):
        self.handle, self.size, self.crlf, self.parts, self.held, self.count = handle, size, crlf, [], 0, 0
        self.progress = progress

    def write(self, data):
        self.parts.append(data[:-1] + b"\r\n" if self.crlf else data)
        self.held += len(data)
        self.count += 1
        if self.held >= self.size:
            self.flush()

    def flush(self):
        if self.parts:
            self.handle.write(b"".join(self.parts))
            self.parts, self.held = [], 0
            if self.progress is not None:
                self.progress(self.count)


def csv_from_copy(target, queryset, progress=None):
    """`write_csv(target, DOSSIER_KEYS, dossier_rows(queryset))`, byte for byte, formatted by PostgreSQL.

    COPY's CSV quotes a field as Python's csv writer does (a comma, a quote, CR or LF inside), but an empty
    string too, to tell it from NULL: blanks go out as NULL. The formula guard is to_csv's, in SQL.
    """
    owned = isinstance(target, (str, Path))
    handle = open(target, "wb") if owned else target  # noqa: SIM115 — closed below
    try:
        header = io.StringIO()
        csv.writer(header).writerow(DOSSIER_KEYS)
        handle.write(("\ufeff" + header.getvalue()).encode())
        planned = _cells(queryset)
        if planned is None:
            return 0
        kinds, source, params = planned
        columns, values = [], []
        for position, kind in enumerate(kinds, start=1):
            cell = f"d.c{position}"
            if kind == "moment":
                columns.append(cell)
            else:
                columns.append(f"CASE WHEN {cell} ~ %s THEN '''' || {cell} ELSE NULLIF({cell}, '') END")
                values.append(_FORMULA)
        lines = _Blocks(handle, crlf=True, progress=progress)
        # The cells' parameters come before the FROM clause's.
        _copy(
            queryset,
            f"SELECT {', '.join(columns)} FROM {source} ORDER BY d.c0",
            [*values, *params],
            lines,
            "FORMAT csv",
        )
        lines.flush()
        return lines.count
    finally:
        if owned:
            handle.close()
        else:
            handle.flush()


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


def write_table(target, headers, rows, title, filename=None, widths=None):
    """Rows to `target` as CSV or XLSX by its extension; returns the row count."""
    if Path(source_name(target, filename)).suffix.lower() == ".xlsx":
        return write_xlsx(target, headers, rows, title=title, widths=widths)
    return write_csv(target, headers, rows)


def write_xlsx(target, headers, rows, title="Dữ liệu", widths=None):
    """openpyxl in write-only mode (rows go straight to the file; strings inline): memory stays flat. Text is
    written as string cells, never as formulas (cases.core.safe)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for letter, width in zip(_LETTERS, widths or _WIDTHS, strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.append(safe.row(sheet, headers))
    count = 0
    for row in rows:
        # Empty cells are left out of the file altogether (smaller and faster).
        sheet.append(safe.row(sheet, row))
        count += 1
    workbook.save(target)
    return count


# --- XLSX by PostgreSQL: the sheet's rows come out of COPY as XML ---------------------------------------------------
# openpyxl's write-only mode does ~3.900 rows/s and xlsxwriter's constant_memory mode ~14.000 before reading a
# single row (Python per cell); here the database writes each row's XML and Python only zips it. The parts below
# are the least a workbook needs (Excel, LibreOffice and openpyxl open it); every cell is an inline string
# (t="inlineStr"), which no spreadsheet evaluates, as the openpyxl writer did (cases.core.safe).
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PARTS = {
    "[Content_Types].xml": (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_HEAD}<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font>'
        '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
        '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def _workbook(title):
    return (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{xml_escape(title)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _sheet_head(headers):
    columns = "".join(
        f'<col min="{number}" max="{number}" width="{width}" customWidth="1"/>'
        for number, width in enumerate(_WIDTHS, start=1)
    )
    header = "".join(
        f'<c r="{letter}1" t="inlineStr"><is><t xml:space="preserve">{xml_escape(safe.xml_text(text))}</t></is></c>'
        for letter, text in zip(_LETTERS, headers, strict=True)
    )
    return (
        f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<cols>{columns}</cols><sheetData><row r="1">{header}</row>\n'
    )


def _xml_cell(letter, text):
    """SQL: the cell's XML, NULL when blank. Characters XML cannot hold are dropped (safe.xml_text); a
    backslash, tab, LF and CR become character references, so that COPY's text format has nothing to escape."""
    escaped = f"regexp_replace({text}, '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f]', '', 'g')"
    for character, reference in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\\", "&#92;")):
        escaped = f"replace({escaped}, '{character}', '{reference}')"
    for code in (9, 10, 13):
        escaped = f"replace({escaped}, chr({code}), '&#{code};')"
    return (
        f"CASE WHEN {text} <> '' THEN concat('<c r=\"{letter}', d.n, '\" t=\"inlineStr\"><is>"
        f"<t xml:space=\"preserve\">', {escaped}, '</t></is></c>') END"
    )


def xlsx_from_copy(target, queryset, title="Hồ sơ", progress=None):
    """The workbook of `write_xlsx(…, dossier_rows(queryset))` (same cells, widths, frozen header), its rows
    written by PostgreSQL and streamed into the zip: memory stays flat at any size."""
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, text in _PARTS.items():
            book.writestr(name, text)
        book.writestr("xl/workbook.xml", _workbook(title))
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(DOSSIER_KEYS).encode())
            planned = _cells(queryset)
            if planned is not None:
                kinds, source, params = planned
                columns = [_xml_cell(letter, f"d.c{position}") for position, letter in enumerate(_LETTERS, start=1)]
                values = []
                numbered = f"(SELECT d.*, row_number() OVER (ORDER BY d.c0) + 1 AS n FROM {source}) AS d"
                rows = _Blocks(sheet, progress=progress)
                select = f"SELECT concat('<row r=\"', d.n, '\">', {', '.join(columns)}, '</row>') FROM {numbered}"
                _copy(queryset, f"{select} ORDER BY d.c0", [*values, *params], rows)
                rows.flush()
                count = rows.count
            sheet.write(b"</sheetData></worksheet>")
    return count
