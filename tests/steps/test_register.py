"""The register (Sổ theo dõi hồ sơ, Mẫu 07 of 2025 / Mẫu 06 of 2018): the page and the XLSX, read back."""

from io import BytesIO

from django.urls import reverse
from openpyxl import load_workbook

from cases.models import Dossier
from tests.conftest import PASSWORD, vn
from tests.steps.conftest import seen, table_rows

MARCH = {"ky": "thang", "nam": "2024", "thang": "3"}


def login(client, user):
    client.login(username=user.username, password=PASSWORD)


def test_the_register_lists_what_the_desk_received_in_the_period(client, stepped, cast, now):
    Dossier.objects.filter(pk=stepped["A"].pk).update(applicant_address="Bản Pú Hồng", applicant_phone="0912345678")
    login(client, cast["desk_pu_hong"])
    response = client.get(reverse("reports:register"), MARCH)
    assert response.status_code == 200
    words = seen(response)
    assert "Mẫu số 07 (Mẫu số 06 theo Thông tư 01/2018/TT-VPCP)" in words and "SỔ THEO DÕI HỒ SƠ" in words
    assert "Từ ngày 01/03/2024 đến ngày 31/03/2024 — 6 hồ sơ" in words
    rows = table_rows(response, "register-table")
    a, b = stepped["A"], stepped["B"]
    assert [row[1] for row in rows] == [a.code, b.code, stepped["D"].code, "PH-NHAP-1", "PH-NHAP-2", stepped["G"].code]
    assert rows[0] == [
        "1", a.code, "Thủ tục hòa giải tranh chấp đất đai", "01", "Lò Văn Một", "Bản Pú Hồng, 0912345678",
        "UBND xã Pú Hồng", "04/03/2024 09:00", "11/03/2024 09:00", "04/03/2024 10:00", "11/03/2024 13:00",
        "11/03/2024 14:00", "", "Đúng hạn",
    ]  # fmt: skip
    # B: handed to the specialist at 09:30, still being processed, overdue; D refused; G same-day, overdue.
    assert rows[1][9:] == ["04/03/2024 09:30", "", "", "", "Đang giải quyết quá hạn"]
    assert rows[2][13] == "Từ chối"
    assert rows[5][7:10] == ["29/03/2024 08:00", "29/03/2024 17:00", "29/03/2024 08:30"]


def test_the_office_sees_its_communes_and_the_xlsx_says_the_same(client, stepped, cast, now):
    login(client, cast["office"])
    page = table_rows(client.get(reverse("reports:register"), {**MARCH, "don_vi": "DBD"}), "register-table")
    # Pú Hồng's six, then Keo Lôm's one: the units in tree order.
    assert [row[6] for row in page] == ["UBND xã Pú Hồng"] * 6 + ["UBND xã Keo Lôm"]
    response = client.get(reverse("reports:register_download"), {**MARCH, "don_vi": "DBD"})
    assert response.status_code == 200
    assert 'filename="so-theo-doi-DBD-20240301-20240331.xlsx"' in response["Content-Disposition"]
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    sheet = book["Sổ theo dõi hồ sơ"]
    assert [sheet.cell(row=row, column=1).value for row in (1, 2, 3)] == [
        "UBND HUYỆN ĐIỆN BIÊN ĐÔNG", "SỔ THEO DÕI HỒ SƠ", "Mẫu số 07 (Mẫu số 06 theo Thông tư 01/2018/TT-VPCP)"
    ]  # fmt: skip
    rows = list(sheet.iter_rows(min_row=6, values_only=True))
    assert len(rows) == 7
    first = rows[0]
    assert first[:7] == (1, stepped["A"].code, "Thủ tục hòa giải tranh chấp đất đai", 1, "Lò Văn Một", None,
                         "UBND xã Pú Hồng")  # fmt: skip
    # Dates are dates (sortable), written as on the page.
    assert first[7:12] == (
        vn(2024, 3, 4, 9).replace(tzinfo=None), vn(2024, 3, 11, 9).replace(tzinfo=None),
        vn(2024, 3, 4, 10).replace(tzinfo=None), vn(2024, 3, 11, 13).replace(tzinfo=None),
        vn(2024, 3, 11, 14).replace(tzinfo=None),
    )  # fmt: skip
    assert sheet["H6"].number_format == "dd/mm/yyyy hh:mm"
    assert [row[13] for row in rows] == [cells[13] for cells in page]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.freeze_panes == "C6" and sheet.print_title_rows == "$5:$5"


def test_a_name_that_looks_like_a_formula_stays_text(client, stepped, cast, now):
    Dossier.objects.filter(pk=stepped["A"].pk).update(applicant_name='=HYPERLINK("http://x","bấm")')
    login(client, cast["desk_pu_hong"])
    response = client.get(reverse("reports:register_download"), MARCH)
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    cell = book.active["E6"]
    assert cell.value == '=HYPERLINK("http://x","bấm")' and cell.data_type == "s"


def test_another_commune_and_the_outsider_cannot_read_the_register(client, stepped, cast, now):
    login(client, cast["desk_keo_lom"])
    assert client.get(reverse("reports:register"), {**MARCH, "don_vi": "DBD-PH"}).status_code == 404
    assert client.get(reverse("reports:register_download"), {**MARCH, "don_vi": "DBD-PH"}).status_code == 404
    own = table_rows(client.get(reverse("reports:register"), MARCH), "register-table")
    assert [row[1] for row in own] == [stepped["F"].code]
    client.logout()
    login(client, cast["outsider"])
    assert client.get(reverse("reports:register"), {**MARCH, "don_vi": "DBD"}).status_code == 404
