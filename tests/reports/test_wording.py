import json
from datetime import date

from django.core.management import call_command

from cases.core.formats import percent_limit
from reports.figures import periods, wording
from reports.figures.counters import Counters
from reports.figures.tally import tally


def test_numbers_and_rates_are_written_the_vietnamese_way():
    assert wording.number(136583) == "136.583"
    assert wording.percent(97.51) == "97,51%"
    # One rule for every rate (issue 11, item 7): always two decimals, so 96,90% stands beside 96,63%.
    assert wording.percent(96.9) == "96,90%"
    assert wording.percent(94.2) == "94,20%"
    assert wording.percent(100.0) == "100,00%"
    assert wording.percent(None) == "—"
    # Targets are written as they were set, as the letters write them ("chỉ tiêu trên 70%").
    assert percent_limit(70.0) == "70%" and percent_limit(97.5) == "97,5%"
    assert wording.count(1) == "01"
    assert wording.count(1234) == "1.234"


def test_the_summary_reads_like_seed_001(march, units):
    text = wording.summary(tally(march, scope=units["pu_hong"]))
    assert text.startswith("Từ ngày 01/03/2024 đến ngày 31/03/2024, các cơ quan, đơn vị thuộc UBND xã Pú Hồng")
    assert "đã tiếp nhận 11 hồ sơ (có 3 hồ sơ của kỳ trước chuyển qua); đã giải quyết, trả kết quả 3 hồ sơ." in text
    assert "đúng hạn và trước hạn 2 hồ sơ (đạt tỷ lệ 66,67%), trong đó trước hạn 1 hồ sơ" in text
    assert "quá hạn 1 hồ sơ (chiếm tỷ lệ 33,33%)" in text
    assert "đang giải quyết 6 hồ sơ, trong đó trong hạn 3 hồ sơ, quá hạn 3 hồ sơ" in text
    assert "đạt tỷ lệ 25,00% số hồ sơ tiếp nhận trong kỳ (chỉ tiêu trên 70%)" in text


def test_units_are_named_one_by_one_like_seed_000(march, units):
    paragraphs = wording.paragraphs(tally(march, scope=units["district"]))
    named = next(p for p in paragraphs if p.startswith("Các cơ quan, đơn vị có hồ sơ giải quyết quá hạn"))
    assert "UBND xã Pú Hồng (01 hồ sơ TTHC đã giải quyết quá hạn, 03 hồ sơ TTHC đang giải quyết quá hạn)" in named
    assert "Keo Lôm" not in named
    below = next(p for p in paragraphs if "dưới 95%" in p)
    assert "UBND xã Pú Hồng (66,67%)" in below
    online = next(p for p in paragraphs if p.startswith("Số hồ sơ trực tuyến theo đơn vị"))
    assert "UBND xã Pú Hồng 2 hồ sơ; UBND xã Keo Lôm 1 hồ sơ" in online


def test_json_has_the_documented_shape_and_the_same_figures(march, units, capsys):
    call_command("tally", "--from", "01/03/2024", "--to", "2024-03-31", "--unit", "DBD", "--format", "json")
    document = json.loads(capsys.readouterr().out)
    assert document["period"] == {"from": "2024-03-01", "to": "2024-03-31"}
    assert document["scope"] == {"code": "DBD", "name": "UBND huyện Điện Biên Đông"}
    pu_hong = next(unit for unit in document["units"] if unit["code"] == "DBD-PH")
    assert pu_hong["parent"] == "DBD" and pu_hong["level"] == "xa"
    expected = tally(march, scope=units["pu_hong"]).totals
    assert {key: pu_hong[key] for key in Counters().as_dict()} == expected.as_dict()
    assert pu_hong["on_time_rate"] == 66.67
    assert document["totals"]["received_total"] == 12
    assert document["text"] == wording.text(tally(march, scope=units["district"]))


def test_text_format_prints_the_paragraphs(march, units, capsys):
    call_command("tally", "--from", "01/03/2024", "--to", "31/03/2024", "--unit", "DBD-PH")
    out = capsys.readouterr().out
    assert "đã tiếp nhận 11 hồ sơ" in out


def test_xlsx_and_docx_carry_the_same_figures_as_the_text(march, units, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    result = tally(march, scope=units["district"])
    call_command(
        "tally",
        "--from",
        "01/03/2024",
        "--to",
        "31/03/2024",
        "--unit",
        "DBD",
        "--format",
        "xlsx",
        "--output",
        str(tmp_path / "t.xlsx"),
    )
    sheet = load_workbook(tmp_path / "t.xlsx").active
    header = [cell.value for cell in sheet[4]]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows["DBD-PH"]["Tổng số hồ sơ tiếp nhận"] == 11
    assert rows["DBD-PH"]["Tỷ lệ đúng hạn"] == 0.6667  # shown 66,67% by its 0.00% format
    total = next(row for row in sheet.iter_rows(min_row=5, values_only=True) if row[1] == "Tổng cộng")
    assert total[3] == result.totals.received_total == 12

    call_command(
        "tally",
        "--from",
        "01/03/2024",
        "--to",
        "31/03/2024",
        "--unit",
        "DBD",
        "--format",
        "docx",
        "--output",
        str(tmp_path / "t.docx"),
    )
    document = Document(tmp_path / "t.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    for paragraph in wording.paragraphs(result):
        assert paragraph in text
    header_cells = [cell.text for cell in document.tables[0].rows[0].cells]
    assert "ỦY BAN NHÂN DÂN\nHUYỆN ĐIỆN BIÊN ĐÔNG\n\nSố:       /UBND-VP" in header_cells[0]  # a line under the body
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\nĐiện Biên Đông, ngày" in header_cells[1]
    footer = [cell.text for cell in document.tables[1].rows[0].cells]
    assert footer[0].startswith("Nơi nhận:\n- Như trên;") and "Lưu: VT." in footer[0]
    assert footer[1].startswith("TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH")
    assert round(document.sections[0].left_margin.mm) == 30


def test_the_weekly_command_prints_the_week_and_the_year_to_date(march, units, capsys):
    call_command("weekly_report", "--unit", "DBD", "--date", "08/03/2024")
    out = capsys.readouterr().out
    assert "TRONG TUẦN (từ ngày 02/03/2024 đến ngày 08/03/2024)" in out
    assert "LŨY KẾ (từ ngày 01/01/2024 đến ngày 08/03/2024)" in out
    week = tally(periods.week_ending(date(2024, 3, 8)), scope=units["district"])
    assert wording.summary(week) in out


# --- the office's workbook and letter print as they should (issue 11, item 7) ------------------------------------
def test_the_workbook_gives_every_row_its_height_every_code_its_width_every_figure_its_border(march, units):
    from openpyxl.utils import get_column_letter

    from cases.core.formats import RATE_FORMAT
    from reports.documents import xlsx

    result = tally(march, scope=units["district"])
    book = xlsx.workbook(result)
    sheet = book["Tổng hợp"]
    header = xlsx.HEADER_ROW
    headers = [cell.value for cell in sheet[header]]
    widths = [sheet.column_dimensions[get_column_letter(i)].width for i in range(1, len(headers) + 1)]
    # The header row is as tall as its longest wrapped title: it cannot spill over the first unit.
    needed = max(xlsx.lines(text, width) for text, width in zip(headers, widths, strict=True))
    assert needed >= 2 and sheet.row_dimensions[header].height >= xlsx.LINE_HEIGHT * needed
    # Every code fits its column; every cell of the table, header to total, has a border.
    codes = [row.unit.code for row in result.units]
    assert widths[0] >= max(len(code) for code in codes)
    last = header + len(result.units) + 1
    assert sheet.cell(last, 2).value == "Tổng cộng"
    for row in sheet.iter_rows(min_row=header, max_row=last):
        for cell in row:
            assert cell.border.left.style == cell.border.bottom.style == "thin", cell.coordinate
    # Rates: the fraction under the one percentage format; counts as counts.
    rate_column = headers.index("Tỷ lệ đúng hạn") + 1
    assert {sheet.cell(r, rate_column).number_format for r in range(header + 1, last + 1)} == {RATE_FORMAT}
    # The letter's text: one paragraph a row, each row high enough for its wrapped lines, on A4 portrait.
    text = book["Nội dung"]
    assert text.page_setup.orientation == "portrait"
    paragraphs = wording.paragraphs(result)
    for row, paragraph in enumerate(paragraphs, start=1):
        assert text.cell(row, 1).value == paragraph and text.cell(row, 1).alignment.wrap_text
        needed = xlsx.lines(paragraph, xlsx.TEXT_WIDTH, xlsx.TEXT_CHARS_PER_WIDTH)
        assert text.row_dimensions[row].height >= xlsx.TEXT_LINE_HEIGHT * needed, row
    assert max(xlsx.lines(p, xlsx.TEXT_WIDTH, xlsx.TEXT_CHARS_PER_WIDTH) for p in paragraphs) > 1


def test_the_letter_is_dated_this_year_with_the_lines_under_the_body_and_the_motto(march, units):
    import time_machine
    from docx.oxml.ns import qn

    from reports.documents import docx
    from tests.conftest import vn

    with time_machine.travel(vn(2025, 1, 3, 9), tick=False):
        document = docx.letter(tally(march, scope=units["district"]))
    left, right = document.tables[0].rows[0].cells
    assert "Điện Biên Đông, ngày     tháng     năm 2025" in right.text and "20…" not in right.text

    def ruled(cell):
        """The texts of the paragraphs, with "—" for a paragraph drawn as a line (a bottom border)."""
        return [
            "—" if p._p.pPr is not None and p._p.pPr.find(qn("w:pBdr")) is not None else p.text for p in cell.paragraphs
        ]

    assert ruled(left)[:4] == ["ỦY BAN NHÂN DÂN", "HUYỆN ĐIỆN BIÊN ĐÔNG", "—", "Số:       /UBND-VP"]
    assert ruled(right)[:3] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "—"]
