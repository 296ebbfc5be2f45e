"""The process control sheet (Mẫu 06 of 2025, Mẫu 05 of 2018) printed from a dossier's page."""

from django.urls import reverse

from tests.conftest import PASSWORD
from tests.steps.conftest import seen, table_rows


def sheet(client, user, dossier):
    client.login(username=user.username, password=PASSWORD)
    return client.get(reverse("cases:control_sheet", args=[dossier.code]))


def test_the_sheet_lists_every_hand_over_with_its_due_time_and_outcome(client, stepped, cast, now):
    response = sheet(client, cast["desk_pu_hong"], stepped["B"])
    assert response.status_code == 200
    words = seen(response)
    assert "Mẫu số 06 (Mẫu số 05 theo Thông tư 01/2018/TT-VPCP)" in words
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in words
    assert f"Mã hồ sơ: {stepped['B'].code}" in words and "(Kèm theo hồ sơ của: Ông/Bà Lò Văn Hai)" in words
    cells = [" ".join(cell for cell in row if cell) for row in table_rows(response, "control-table")]
    assert cells == [
        # The receipt: the applicant hands the papers to the desk; the desk's step was handed on in time.
        "Bước 1: Tiếp nhận, chuyển hồ sơ 1. Giao: Tổ chức, cá nhân 2. Nhận: Bộ phận Tiếp nhận và Trả kết quả"
        " 09 giờ 00 phút, ngày 04/03/2024 Hoàn thành: 04/03/2024 09:30 Người giao Người nhận Lò Văn Hai Lò Văn A"
        " 04/03/2024 15:00 Đúng hạn",
        "Bước 2: Thẩm định, giải quyết hồ sơ 1. Giao: Bộ phận Tiếp nhận và Trả kết quả 2. Nhận: Bộ phận chuyên môn"
        " 09 giờ 30 phút, ngày 04/03/2024 Hoàn thành: 06/03/2024 10:00 Người giao Người nhận Lò Văn A"
        " Quàng Văn Chuyên 08/03/2024 09:30 Trước hạn",
        "Bước 1: Tiếp nhận, chuyển hồ sơ 1. Giao: Bộ phận chuyên môn 2. Nhận: Bộ phận Tiếp nhận và Trả kết quả"
        " 10 giờ 00 phút, ngày 06/03/2024 Nhận xử lý: 06/03/2024 10:30 Hoàn thành: 07/03/2024 08:00 Người giao"
        " Người nhận Quàng Văn Chuyên Lò Văn A 06/03/2024 16:30 Trễ hạn"
        " Trả lại từ bước 2: Thiếu trích lục bản đồ địa chính; Trễ 1,5 giờ làm việc",
        "Bước 2: Thẩm định, giải quyết hồ sơ 1. Giao: Bộ phận Tiếp nhận và Trả kết quả 2. Nhận: Bộ phận chuyên môn"
        " 08 giờ 00 phút, ngày 07/03/2024 Người giao Người nhận Lò Văn A Quàng Văn Chuyên 13/03/2024 08:00"
        " Đang quá hạn Đang quá hạn 161,0 giờ làm việc",
        # The step still to come, blank for the pen.
        "Bước 3: Trả kết quả 1. Giao: …………………… 2. Nhận: Bộ phận Tiếp nhận và Trả kết quả"
        " …… giờ …… phút, ngày ……/……/……… Người giao Người nhận",
    ]


def test_a_returned_dossier_ends_with_the_result_handed_to_the_applicant(client, stepped, cast, now):
    words = seen(sheet(client, cast["desk_pu_hong"], stepped["A"]))
    assert (
        "Trả kết quả 1. Giao: Bộ phận Tiếp nhận và Trả kết quả 2. Nhận: Tổ chức, cá nhân 14 giờ 00 phút, ngày"
        " 11/03/2024" in words
    )
    assert "Có kết quả lúc 13:00 11/03/2024" in words


def test_another_commune_and_the_outsider_get_nothing(client, stepped, cast, now):
    assert sheet(client, cast["desk_keo_lom"], stepped["B"]).status_code == 404
    client.logout()
    assert sheet(client, cast["outsider"], stepped["B"]).status_code == 404
