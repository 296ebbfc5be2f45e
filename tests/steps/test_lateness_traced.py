"""Lateness traced on the dossier page: the steps of a late or overdue dossier that overran, by working hours."""

from django.urls import reverse

from cases.models import Dossier
from tests.conftest import PASSWORD, make, vn
from tests.steps.conftest import seen, table_rows


def page(client, user, dossier):
    client.login(username=user.username, password=PASSWORD)
    return client.get(reverse("cases:dossier_detail", args=[dossier.code]))


def test_an_overdue_dossier_names_the_steps_that_overran(client, stepped, cast, now):
    response = page(client, cast["desk_pu_hong"], stepped["B"])
    words = seen(response)
    assert "Hồ sơ đang quá hạn: chậm ở bước nào" in words
    assert table_rows(response, "late-steps-table") == [
        ["2. Thẩm định, giải quyết hồ sơ", "UBND xã Pú Hồng — Bộ phận chuyên môn", "Quàng Văn Chuyên",
         "13/03/2024 08:00", "đang giữ", "161,0", "Đang quá hạn"],
        ["1. Tiếp nhận, chuyển hồ sơ", "UBND xã Pú Hồng — Bộ phận Một cửa", "Lò Văn A", "06/03/2024 16:30",
         "07/03/2024 08:00", "1,5", "Trễ hạn"],
    ]  # fmt: skip
    assert "Tổng số giờ làm việc trễ của các bước 162,5" in words
    # Sent back at 10:00 on 06/03, taken up again at 10:30: half an hour belonging to no step.
    assert "chờ được nhận giữa các bước (không thuộc thời hạn của bước nào): 0,5 giờ làm việc" in words


def test_a_dossier_in_time_shows_no_block_and_one_without_steps_says_why(client, stepped, cast, units, procedures, now):
    assert "chậm ở bước nào" not in seen(page(client, cast["desk_pu_hong"], stepped["A"]))
    old = make("PH-CU", units["pu_hong"], procedures["land"], vn(2024, 2, 1, 8), vn(2024, 2, 8, 8))
    words = seen(page(client, cast["desk_pu_hong"], old))
    assert "Hồ sơ đang quá hạn: chậm ở bước nào" in words
    assert "chưa xác định được bước gây chậm" in words


def test_a_step_nobody_took_up_is_time_waited(client, stepped, cast, now):
    response = page(client, cast["desk_pu_hong"], Dossier.objects.get(pk=stepped["G"].pk))
    # G: the specialist's step overran by 1 h. Waited: 08:30 → 09:00 on 29/03 for the specialist; since Mon 01/04
    # 08:00 for the desk (7 h that day, 6 working days, 2 h this morning): 57,5 h in all.
    assert [row[5] for row in table_rows(response, "late-steps-table")] == ["1,0"]
    assert "(không thuộc thời hạn của bước nào): 57,5 giờ làm việc" in seen(response)
