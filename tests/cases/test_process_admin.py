"""An administrator edits a procedure's internal process in the admin: the steps checked together, in Vietnamese.

Land: 5 working days (40 working hours). Marriage: a same-day procedure, its steps share one working day (8 h).
"""

import pytest
from django.urls import reverse

from cases.models import Performer, Process, ProcessStep


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast["admin"])
    return client


def post(admin_client, procedure, steps, unit=None, process=None):
    """The add (or change) form with its steps: (number, name, performer, performer unit or None, hours)."""
    data = {
        "procedure": procedure.pk,
        "unit": unit.pk if unit else "",
        "active": "on",
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": 0,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
        "_save": "Lưu",
    }
    for index, (number, name, performer, other_unit, hours) in enumerate(steps):
        data.update(
            {
                f"steps-{index}-number": number,
                f"steps-{index}-name": name,
                f"steps-{index}-performer": performer,
                f"steps-{index}-performer_unit": other_unit.pk if other_unit else "",
                f"steps-{index}-hours": hours,
            }
        )
    url = reverse("admin:cases_process_add")
    return admin_client.post(url, data)


def land_steps(units, economy_hours="16"):
    return [
        (1, "Tiếp nhận hồ sơ", Performer.DESK, None, "2"),
        (2, "Xác minh thực địa", Performer.SPECIALIST, None, "14"),
        (3, "Thẩm định của Phòng Kinh tế - Hạ tầng", Performer.OTHER_UNIT, units["economy"], economy_hours),
        (4, "Ký duyệt", Performer.LEADER, None, "6"),
        (5, "Trả kết quả", Performer.DESK, None, "2"),
    ]


def test_the_process_pages_open(admin_client, procedures):
    assert admin_client.get(reverse("admin:cases_process_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:cases_process_add")).content.decode()
    assert "Bộ phận thực hiện" in page or "bộ phận thực hiện" in page


def test_a_process_whose_shares_add_up_is_saved_with_its_history(admin_client, units, procedures):
    response = post(admin_client, procedures["land"], land_steps(units), unit=units["pu_hong"])

    assert response.status_code == 302
    process = Process.objects.get(procedure=procedures["land"], unit=units["pu_hong"])
    assert [(s.number, s.performer, s.performer_unit) for s in process.steps.order_by("number")][2] == (
        3, Performer.OTHER_UNIT, units["economy"],
    )  # fmt: skip
    assert ProcessStep.history.filter(process_id=process.pk).count() == 5
    listed = admin_client.get(reverse("admin:cases_process_changelist")).content.decode()
    assert "UBND xã Pú Hồng" in listed and ">40<" in listed


def test_shares_that_do_not_add_up_are_refused_and_nothing_saved(admin_client, units, procedures):
    page = post(admin_client, procedures["land"], land_steps(units, economy_hours="17,5")).content.decode()

    assert "Tổng thời gian các bước 41,5 giờ, khác thời hạn của thủ tục 40 giờ (5 ngày làm việc, 40 giờ)." in page
    assert not Process.objects.exists() and not ProcessStep.objects.exists()


def test_a_same_day_procedures_steps_share_one_working_day(admin_client, procedures):
    steps = [
        (1, "Tiếp nhận", Performer.DESK, None, "0,5"),
        (2, "Ghi sổ hộ tịch", Performer.SPECIALIST, None, "5,5"),
        (3, "Ký", Performer.LEADER, None, "4"),
    ]
    page = post(admin_client, procedures["marriage"], steps).content.decode()
    assert (
        "khác thời hạn của thủ tục 8 giờ (thủ tục giải quyết trong ngày: các bước chia nhau một ngày làm việc" in page
    )

    steps[2] = (3, "Ký", Performer.LEADER, None, "2")
    assert post(admin_client, procedures["marriage"], steps).status_code == 302


def test_steps_are_numbered_one_two_three_in_order(admin_client, units, procedures):
    steps = land_steps(units)
    steps[4] = (6, *steps[4][1:])
    page = post(admin_client, procedures["land"], steps).content.decode()
    assert "Các bước phải đánh số liên tiếp 1, 2, 3… không trùng, không bỏ (đang có: 1, 2, 3, 4, 6)." in page
    assert not Process.objects.exists()


def test_a_lien_thong_step_names_its_unit_and_only_it_does(admin_client, units, procedures):
    steps = land_steps(units)
    steps[2] = (3, "Thẩm định", Performer.OTHER_UNIT, None, "16")
    steps[1] = (2, "Xác minh thực địa", Performer.SPECIALIST, units["keo_lom"], "14")
    page = post(admin_client, procedures["land"], steps).content.decode()

    assert "Bước liên thông cần chọn đơn vị thực hiện." in page
    assert "Chỉ bước liên thông (đơn vị khác) mới chọn đơn vị thực hiện; để trống." in page
    assert "is violated" not in page
    assert not Process.objects.exists()


def test_a_second_default_process_of_a_procedure_is_refused_in_vietnamese(admin_client, units, procedures):
    assert post(admin_client, procedures["land"], land_steps(units)).status_code == 302
    page = post(admin_client, procedures["land"], land_steps(units)).content.decode()
    assert "Thủ tục này đã có quy trình mặc định (đơn vị để trống)." in page
    assert Process.objects.count() == 1
