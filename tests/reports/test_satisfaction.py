"""The satisfaction rate per unit in Nội vụ's appraisal workbook and in the letter, read back from the real files and
compared with the dashboard (`scored`: Pú Hồng's March ratings 1 very satisfied, 1 satisfied, 1 not → 66,67%)."""

import io

import lxml.html
import pytest
import time_machine
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from cases.followup import homeaffairs
from reports.documents import appraisal as appraisal_workbook
from reports.documents import docx
from reports.figures.tally import tally
from tests.conftest import PASSWORD, vn

MARCH = {"ky": "thang", "nam": "2024", "thang": "3"}
SATISFACTION_HEADERS = ["Số đánh giá của người dân", "Hài lòng, rất hài lòng", "Tỷ lệ hài lòng"]


@pytest.fixture(autouse=True)
def _april_2024():
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


def unit_sheet(period, scope):
    buffer = io.BytesIO()
    homeaffairs.build_kind(homeaffairs.APPRAISAL, period, scope).save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["Đơn vị"]
    header = [cell.value for cell in sheet[appraisal_workbook.HEADER_ROW]]
    first = header.index(SATISFACTION_HEADERS[0])
    rows = {}
    for cells in sheet.iter_rows(min_row=appraisal_workbook.HEADER_ROW + 1):
        rows[cells[1].value] = cells[first : first + 3]
    return header[first : first + 3], rows


def test_the_unit_sheet_shows_each_units_satisfaction_and_a_dash_without_ratings(scored, units):
    header, rows = unit_sheet(scored, units["district"])
    assert header == SATISFACTION_HEADERS
    rated, satisfied, share = rows["DBD-PH"]
    # 3 ratings in March (13's, given in April, is April's): 2 satisfied or very satisfied.
    assert (rated.value, satisfied.value, share.value) == (3, 2, 0.6667)
    assert share.number_format == "0.00%"  # shown as 66,67%
    # Keo Lôm resolved a dossier but nobody rated it: no rate, not 0%.
    rated, satisfied, share = rows["DBD-KL"]
    assert (rated.value, satisfied.value, share.value) == (0, 0, "—")
    assert share.data_type == "s"
    rule = [row[0] for row in load_rule_sheet(scored, units["district"]) if row[0]]
    assert any(line.startswith("- Tỷ lệ hài lòng = số đánh giá «Hài lòng», «Rất hài lòng»") for line in rule)


def load_rule_sheet(period, scope):
    buffer = io.BytesIO()
    homeaffairs.build_kind(homeaffairs.APPRAISAL, period, scope).save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue()))["Cách xếp loại"].iter_rows(values_only=True)


def letter_table(document):
    (table,) = [table for table in document.tables if table.rows[0].cells[0].text == "TT"]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_the_letter_shows_the_dashboards_satisfaction_per_unit(client, cast, scored):
    client.login(username=cast["office"].username, password=PASSWORD)
    page = lxml.html.fromstring(client.get(reverse("reports:index"), MARCH).content.decode())
    dashboard = [
        [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
        for row in page.xpath("//section[@class='satisfaction']//table/*/tr")
    ]
    response = client.get(reverse("reports:download", args=["docx"]), MARCH)
    document = Document(io.BytesIO(response.content))
    rows = letter_table(document)
    assert rows == [
        ["TT", "Đơn vị", "Số đánh giá", "Hài lòng, rất hài lòng", "Không hài lòng", "Tỷ lệ hài lòng"],
        ["1", "UBND xã Pú Hồng", "3", "2", "1", "66,67%"],
        ["", "Cộng", "3", "2", "1", "66,67%"],
    ]
    # The same figures as the dashboard's table, row by row (its unit label and its "Cộng").
    assert [row[1:] for row in rows[1:]] == [row for row in dashboard[1:]]
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert (
        "Người dân đã gửi 3 đánh giá mức độ hài lòng, trong đó hài lòng và rất hài lòng 2 đánh giá (đạt tỷ lệ"
        " 66,67%), không hài lòng 1 đánh giá. Kết quả theo từng đơn vị (4 đơn vị chưa có đánh giá nào trong kỳ,"
        " không ghi trong bảng):"
    ) in text


def test_a_letter_without_ratings_says_so_and_shows_no_table(march, units):
    document = docx.letter(tally(march, scope=units["district"]))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Trong kỳ, chưa có đánh giá mức độ hài lòng nào của người dân." in text
    assert not [table for table in document.tables if table.rows[0].cells[0].text == "TT"]
