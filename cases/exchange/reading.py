"""Reading an exchange file: CSV (UTF-8 with or without BOM; comma, semicolon or tab) or XLSX (first sheet).

Rows come as (line number, cells) where lines are numbered as a spreadsheet numbers its rows (the header is 1).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path

from openpyxl import load_workbook

from cases.core import safe

from . import guard
from .refusal import FileRefused

__all__ = ["FileRefused", "Sheet", "as_text", "open_sheet", "read_rows", "source_name"]


@dataclass
class Sheet:
    headers: list
    rows: object  # iterator of (line number, list of cell values as long as headers)
    kind: str  # "csv" or "xlsx"
    delimiter: str = ","


def source_name(source, filename):
    return str(filename or getattr(source, "name", None) or source)


def open_sheet(source, filename=None):
    """A CSV or XLSX file (a path or a file object; `filename` decides the kind) as headers and rows."""
    name = source_name(source, filename)
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(source)
    if suffix in (".csv", ".txt", ""):
        return _open_csv(source)
    if suffix == ".xls":
        raise FileRefused("Tệp .xls (Excel 97-2003) không đọc được: hãy lưu lại dạng .xlsx hoặc CSV UTF-8.")
    raise FileRefused(f"Không đọc được tệp {Path(name).name}: chỉ nhận CSV hoặc XLSX.")


def read_rows(source, filename=None):
    """(line number, {header: value}) for every non-blank row; the header is line 1."""
    sheet = open_sheet(source, filename)
    for line, values in sheet.rows:
        yield line, dict(zip(sheet.headers, values, strict=False))


def _open_csv(source):
    """Decoded line by line, so that a line that is not UTF-8 is refused with its number."""
    owned = isinstance(source, (str, Path))
    if owned:
        handle = open(source, "rb")  # noqa: SIM115 — closed by the row generator
        lines = _decoded(handle)
    elif isinstance(source, io.TextIOBase):
        handle = lines = source
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        handle = source
        lines = _decoded(source)
    try:
        first = next(lines, "").lstrip("\ufeff")
    except _NotUtf8:
        _release(handle, source, owned)
        raise FileRefused(_not_utf8(1), line=1) from None
    if not first.strip():
        _release(handle, source, owned)
        raise FileRefused("Tệp trống: dòng 1 phải là tiêu đề cột.")
    # Spreadsheet programs in a Vietnamese locale save with ';' because ',' is the decimal mark.
    delimiter = max((";", ",", "\t"), key=first.count) if any(d in first for d in ";,\t") else ","
    reader = csv.reader(chain([first], lines), delimiter=delimiter)
    headers = [cell.strip() for cell in next(reader)]
    width = len(headers)

    limit = guard.max_rows() + 1

    def rows():
        line = 1
        try:
            for line, cells in enumerate(reader, start=2):  # noqa: B007 — `line` says where reading stopped
                if line > limit:
                    raise guard.too_many_rows(line)
                # The quote an export put before a formula-like cell is not part of the value (cases.core.safe).
                values = [cell.strip() for cell in cells[:width]]
                if not any(values):
                    continue
                if "'" in "".join(values):  # rare: only then look for the cells that begin with it
                    values = [safe.from_csv(cell) if cell[:1] == "'" else cell for cell in values]
                if len(values) < width:
                    values += [""] * (width - len(values))
                yield line, values
        except _NotUtf8:
            raise FileRefused(_not_utf8(line + 1), line=line + 1) from None
        except csv.Error as exc:
            raise FileRefused(f"dòng {line + 1}: không đọc được dòng CSV ({exc}).", line=line + 1) from None
        finally:
            _release(handle, source, owned)

    return Sheet(headers, rows(), "csv", delimiter)


class _NotUtf8(Exception):
    pass


def _decoded(binary):
    """The lines of a binary file as text; a line that is not UTF-8 stops the reading."""
    for raw in binary:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8 from None


def _not_utf8(line):
    return (
        f"dòng {line}: không phải mã UTF-8 (có thể tệp được lưu bằng bảng mã khác như Windows-1258 hoặc TCVN3). "
        "Trong Excel hãy chọn Lưu thành «CSV UTF-8 (Comma delimited)» rồi tải lên lại."
    )


def _release(handle, source, owned):
    if owned:
        handle.close()
    # A caller's file stays open: the caller closes it.


def _open_xlsx(source):
    guard.inspect_xlsx(source)  # sizes first, from the zip's directory: a bomb is never unpacked
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise FileRefused(f"Không mở được tệp XLSX ({exc.__class__.__name__}).") from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    headers = [_xlsx_value(cell) for cell in header or ()]
    while headers and headers[-1] == "":
        headers.pop()
    if not headers:
        workbook.close()
        raise FileRefused("Tệp trống: dòng 1 phải là tiêu đề cột.")
    headers = [str(cell) for cell in headers]
    width = len(headers)

    limit = guard.max_rows() + 1

    def rows():
        try:
            for line, cells in enumerate(values, start=2):
                if line > limit:
                    raise guard.too_many_rows(line)
                row = [_xlsx_value(cell) for cell in cells[:width]]
                if not any(value != "" for value in row):
                    continue
                if len(row) < width:
                    row += [""] * (width - len(row))
                yield line, row
        finally:
            workbook.close()

    return Sheet(headers, rows(), "xlsx")


def _xlsx_value(cell):
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        # A number Excel stored as a float: 912345678.0 → 912345678 (no ".0").
        return int(cell) if cell.is_integer() else cell
    if isinstance(cell, datetime):
        # Excel keeps times as fractions of a day: round away the float noise (08:29:59.9999 → 08:30:00).
        return (cell + timedelta(microseconds=500_000)).replace(microsecond=0)
    return cell


def as_text(value):
    if isinstance(value, str):  # nearly every cell: first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value).strip()
