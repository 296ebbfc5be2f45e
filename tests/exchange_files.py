"""Exchange files for the tests: write a CSV, read one back (as Excel would, BOM and all), run a command and keep
what it printed, and the refusal of a file (the command's message)."""

import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook


def write_csv(path, header, rows, delimiter=","):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def read_xlsx(path):
    """Every cell as text, rows as wide as the header (a sheet leaves blank cells at the end of a row out)."""
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = [["" if value is None else str(value) for value in values] for values in sheet.iter_rows(values_only=True)]
    return [values + [""] * (len(rows[0]) - len(values)) for values in rows]


def run(command, *args, **options):
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def refusal(command, path, **options):
    with pytest.raises(CommandError) as refused:
        run(command, path, **options)
    return str(refused.value)
