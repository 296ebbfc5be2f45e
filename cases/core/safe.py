"""Every file the portal writes is safe to open: text never becomes a formula, and never breaks the file.

OWASP's rule for CSV injection: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is read by a
spreadsheet as a formula (`=HYPERLINK(…)`, `@SUM(…)`, `+cmd|…`). So
- CSV: such a cell is written with a single quote in front (`'=1+1`), which a spreadsheet shows as text. A
  cell that already starts with quotes before such a character gets one more, so that `from_csv` (used by the
  importer) removes exactly the one quote `to_csv` added, and an import of an export gives the same text back;
- XLSX: every text cell is written as a string cell (data type "s", inline), which no spreadsheet evaluates;
  only the portal's own formulas (the totals of Biểu II.06a, marked with `formula`) stay formulas;
- XLSX and DOCX: characters XML cannot carry (NUL and the other C0 controls but tab and newlines) are dropped
  rather than letting the writer fail half-way.
"""

import re

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = re.compile(r"'*[=+\-@\t\r]")
# The C0 controls XML 1.0 forbids (tab, LF, CR are allowed).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULAS = "_portal_formulas"


def is_formula_like(value):
    return isinstance(value, str) and value.startswith(FORMULA_START)


# --- CSV ------------------------------------------------------------------------------------------------------------
def to_csv(value):
    """A cell for a CSV file: `=HYPERLINK(…)` → `'=HYPERLINK(…)`; other values unchanged."""
    if isinstance(value, str) and _GUARDED.match(value):
        return "'" + value
    return value


def csv_row(values):
    return [to_csv(value) for value in values]


def from_csv(text):
    """The inverse of `to_csv` for a cell read from a CSV file: `'=1+1` → `=1+1`; `'abc` stays `'abc`."""
    if text.startswith("'") and _GUARDED.match(text, 1):
        return text[1:]
    return text


# --- XLSX and DOCX -------------------------------------------------------------------------------------------------
def xml_text(value):
    """Text without the control characters XML cannot hold (a NUL pasted into a name must not break a file)."""
    return _NOT_XML.sub("", value) if isinstance(value, str) else value


def as_text_cell(cell):
    """Make an openpyxl cell holding text a string cell, whatever its first character (`=`, `#N/A` …)."""
    if isinstance(cell.value, str):
        cell.value = xml_text(cell.value)
        cell.data_type = "s"
    return cell


def cell(sheet, value):
    """A write-only cell: text as a string cell, numbers and dates as they are."""
    return as_text_cell(WriteOnlyCell(sheet, xml_text(value)))


def row(sheet, values):
    """A row for a write-only sheet's append; blanks stay empty cells."""
    return [None if value is None or value == "" else cell(sheet, value) for value in values]


def formula(target, text):
    """Put one of the portal's own formulas (text starting with '=') in a cell; `harden` leaves it a formula."""
    if not text.startswith("="):
        raise ValueError("a formula starts with '='")
    target.value = text
    book = target.parent.parent
    kept = getattr(book, _FORMULAS, None)
    if kept is None:
        kept = set()
        setattr(book, _FORMULAS, kept)
    kept.add((target.parent.title, target.coordinate))
    return target


def harden(book):
    """Before saving a (not write-only) workbook: every text cell is a string cell but the marked formulas."""
    kept = getattr(book, _FORMULAS, set())
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for item in line:
                if isinstance(item.value, str) and (sheet.title, item.coordinate) not in kept:
                    as_text_cell(item)
    return book
