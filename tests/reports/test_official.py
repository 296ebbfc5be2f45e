"""Biểu II.06a: the official form, read back cell by cell and compared with reports.tally; opened by LibreOffice."""

import os
import re
import shutil
import subprocess

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from reports.documents import official
from reports.figures.tally import tally

# Columns C…M of the form, in the order of reports.official.FIGURES.
FIGURE_COLUMNS = "CDEFGHIJKLM"


def figures_of(counters):
    return [getattr(counters, name) for name in official.FIGURES]


def cell_value(sheet, ref):
    """A cell's value, its formula computed the way office software does (openpyxl keeps formulas as text)."""
    value = sheet[ref].value
    if isinstance(value, str) and value.startswith("="):
        return evaluate(sheet, value[1:])
    return value


def evaluate(sheet, expression):
    total = 0
    for term in expression.split("+"):
        summed = re.fullmatch(r"SUM\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)", term)
        if summed:
            column, first, last = summed[1], int(summed[2]), int(summed[4])
            assert summed[3] == column
            total += sum(cell_value(sheet, f"{column}{row}") for row in range(first, last + 1))
        elif re.fullmatch(r"[A-Z]+\d+", term):
            total += cell_value(sheet, term)
        elif term.isdigit():
            total += int(term)
        else:
            raise AssertionError(f"unexpected formula ={expression}")
    return total


def row_figures(sheet, row):
    return [cell_value(sheet, f"{column}{row}") for column in FIGURE_COLUMNS]


def rows_by_name(sheet):
    """{name in column B: row number} for the rows under the numbered header."""
    return {
        sheet.cell(row=row, column=2).value: row
        for row in range(official.TOTAL_ROW, sheet.max_row + 1)
        if sheet.cell(row=row, column=2).value
    }


@pytest.fixture
def district_report(march, units, tmp_path):
    path = tmp_path / "bieu.xlsx"
    official.write(march, path, scope=units["district"])
    return load_workbook(path), tally(march, scope=units["district"])


def test_the_form_carries_the_official_header(district_report):
    book, _ = district_report
    assert book.sheetnames == ["Theo lĩnh vực", "Theo đơn vị"]
    for sheet in book.worksheets:
        texts = [cell.value for row in sheet.iter_rows(max_row=official.NUMBERS_ROW) for cell in row if cell.value]
        assert "Biểu số II.06a/VPCP/KSTT" in texts
        assert "Đơn vị báo cáo: UBND huyện Điện Biên Đông" in texts
        assert "Đơn vị nhận báo cáo: Văn phòng UBND tỉnh Điện Biên" in texts
        assert "Kỳ báo cáo: từ ngày 01/03/2024 đến ngày 31/03/2024" in texts
        assert "Đơn vị tính: Số hồ sơ TTHC" in texts
        assert any(text.startswith("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH") for text in texts)
        for group in ("Số hồ sơ nhận giải quyết", "Số hồ sơ đang giải quyết", "Trực tuyến", "Kỳ trước chuyển qua"):
            assert group in texts
        numbers = [sheet.cell(row=official.NUMBERS_ROW, column=col).value for col in range(1, 14)]
        assert numbers == [f"({n})" for n in range(1, 14)]
    assert book["Theo lĩnh vực"]["B7"].value == "Lĩnh vực giải quyết"


def test_the_form_prints_on_a4_landscape_with_its_header_on_every_page(district_report):
    book, _ = district_report
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$7:$10"
        assert sheet.page_margins.left > sheet.page_margins.right > 0
        assert sheet["B11"].font.name == "Times New Roman"
        assert sheet.freeze_panes == "C11"


def test_the_report_by_field_gives_the_tallys_figures(district_report):
    book, result = district_report
    sheet = book["Theo lĩnh vực"]
    rows = rows_by_name(sheet)
    assert [name for name in rows if name != "Tổng số" and not name.startswith("Ghi chú")] == [
        row.field.name for row in result.fields
    ]
    for field_row in result.fields:
        assert row_figures(sheet, rows[field_row.field.name]) == figures_of(field_row.counters), field_row.field.name
    assert row_figures(sheet, official.TOTAL_ROW) == figures_of(result.totals)
    # Hand-counted March at Pú Hồng and Keo Lôm (tests/conftest.py).
    assert row_figures(sheet, official.TOTAL_ROW) == [12, 3, 6, 3, 4, 2, 1, 1, 6, 3, 3]


def test_totals_are_formulas_not_constants(district_report):
    book, _ = district_report
    sheet = book["Theo lĩnh vực"]
    first = official.TOTAL_ROW + 1
    assert sheet[f"C{first}"].value == f"=D{first}+E{first}+F{first}"
    assert sheet[f"G{first}"].value == f"=H{first}+I{first}+J{first}"
    assert sheet[f"K{first}"].value == f"=L{first}+M{first}"
    last = first + 1  # two fields: Hộ tịch, Đất đai
    assert sheet[f"D{official.TOTAL_ROW}"].value == f"=SUM(D{first}:D{last})"
    assert isinstance(sheet[f"D{first}"].value, int)


def test_the_report_by_unit_groups_offices_and_communes_with_subtotals(district_report):
    book, result = district_report
    sheet = book["Theo đơn vị"]
    rows = rows_by_name(sheet)
    by_name = {row.unit.name: row.counters for row in result.units}
    for name, counters in by_name.items():
        assert row_figures(sheet, rows[name]) == figures_of(counters), name
    offices, communes = rows["Cơ quan, đơn vị cấp huyện"], rows["UBND cấp xã"]
    assert sheet[f"A{offices}"].value == "I" and sheet[f"A{communes}"].value == "II"
    office_names = ["UBND huyện Điện Biên Đông", "Phòng Kinh tế - Hạ tầng"]
    commune_names = ["UBND xã Pú Hồng", "UBND xã Keo Lôm", "UBND xã Phình Giàng"]
    assert [rows[name] for name in office_names] == [offices + 1, offices + 2]
    assert [rows[name] for name in commune_names] == [communes + 1, communes + 2, communes + 3]
    expected_communes = [sum(col) for col in zip(*(figures_of(by_name[n]) for n in commune_names), strict=True)]
    assert row_figures(sheet, communes) == expected_communes
    assert row_figures(sheet, offices) == [0] * 11
    assert sheet[f"C{official.TOTAL_ROW}"].value == f"=C{offices}+C{communes}"
    assert row_figures(sheet, official.TOTAL_ROW) == figures_of(result.totals)


def test_a_commune_reports_to_its_districts_office_without_groups(march, units, tmp_path):
    path = tmp_path / "xa.xlsx"
    official.write(march, path, scope=units["pu_hong"])
    sheet = load_workbook(path)["Theo đơn vị"]
    texts = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "Đơn vị nhận báo cáo: Văn phòng UBND huyện Điện Biên Đông" in texts
    assert "UBND cấp xã" not in texts
    assert sheet.cell(row=official.TOTAL_ROW + 1, column=2).value == "UBND xã Pú Hồng"
    expected = figures_of(tally(march, scope=units["pu_hong"]).totals)
    assert row_figures(sheet, official.TOTAL_ROW) == expected == row_figures(sheet, official.TOTAL_ROW + 1)


def test_the_command_writes_the_form(march, units, tmp_path):
    path = tmp_path / "lenh.xlsx"
    call_command(
        "official_report", "--from", "01/03/2024", "--to", "2024-03-31", "--unit", "DBD", "--output", str(path)
    )
    sheet = load_workbook(path)["Theo đơn vị"]
    assert row_figures(sheet, official.TOTAL_ROW) == figures_of(tally(march, scope=units["district"]).totals)
    with pytest.raises(CommandError, match="Không có đơn vị mã «XYZ»"):
        call_command("official_report", "--from", "01/03/2024", "--to", "31/03/2024", "--unit", "XYZ", "--output", "x")
    with pytest.raises(CommandError, match="không đọc được"):
        call_command("official_report", "--from", "31/02/2024", "--to", "31/03/2024", "--output", "x")


# --- real office software ----------------------------------------------------------------------------------
def soffice():
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing in CI: .ci/run installs libreoffice-calc")
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(binary, files, target, outdir, profile):
    subprocess.run(
        [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target, "--outdir", outdir]
        + [str(f) for f in files],
        check=True,
        capture_output=True,
        timeout=240,
    )


def test_libreoffice_opens_prints_and_recalculates_both_workbooks(march, units, tmp_path):
    from cases.followup import homeaffairs

    binary = soffice()
    form, book = tmp_path / "bieu-ii06a.xlsx", tmp_path / "danh-gia.xlsx"
    official.write(march, form, scope=units["district"])
    homeaffairs.build_kind(homeaffairs.APPRAISAL, march, units["district"]).save(book)
    profile = tmp_path / "lo-profile"
    convert(binary, [form, book], "pdf", tmp_path / "pdf", profile)
    for name in ("bieu-ii06a.pdf", "danh-gia.pdf"):
        pdf = (tmp_path / "pdf" / name).read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 5000
        # A4 landscape: 842 × 595 points.
        assert re.search(rb"/MediaBox\s*\[\s*0 0 84[12](\.\d+)? 595(\.\d+)?\s*\]", pdf), name
    # Saved again by LibreOffice, the form carries the values its formulas compute: the tally's.
    convert(binary, [form], "xlsx", tmp_path / "resaved", profile)
    resaved = load_workbook(tmp_path / "resaved" / "bieu-ii06a.xlsx", data_only=True)
    result = tally(march, scope=units["district"])
    for sheet in resaved.worksheets:
        computed = [sheet[f"{column}{official.TOTAL_ROW}"].value for column in FIGURE_COLUMNS]
        assert computed == figures_of(result.totals), sheet.title
    by_unit = resaved["Theo đơn vị"]
    rows = rows_by_name(by_unit)
    for row in result.units:
        computed = [by_unit[f"{column}{rows[row.unit.name]}"].value for column in FIGURE_COLUMNS]
        assert computed == figures_of(row.counters), row.unit.name
