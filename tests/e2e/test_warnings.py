"""The warnings an officer needs, seen in the browser: a receipt at 23:54 and an apology after the due time."""

import pytest
import time_machine

from cases.models import Dossier
from tests.conftest import make, vn
from tests.e2e.conftest import log_in, receive_land_dossier

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_is_warned_of_a_late_night_receipt_and_of_a_late_apology(
    live_server, browser, shot, cast, units, procedures, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
    page = context.new_page()
    base = live_server.url
    with time_machine.travel(vn(2024, 3, 5, 23, 54), tick=False):  # a Tuesday night
        log_in(page, base, cast["desk_pu_hong"])
        receive_land_dossier(page, base, "Giàng A Páo")
        warning = page.locator(".message-warning")
        assert "Hồ sơ tiếp nhận lúc 23:54 05/03/2024, ngoài giờ làm việc" in warning.text_content()
        shot(page, f"{width}-1-tiep-nhan-23-54")
        code = Dossier.objects.get(applicant_name="Giàng A Páo").code
        page.goto(f"{base}/ho-so/{code}/")
        assert "23:54 05/03/2024, ngoài giờ làm việc" in page.locator(".event-warning").text_content()
        shot(page, f"{width}-2-dien-bien")

    overdue = make("DBD-PH-240228-0001", units["pu_hong"], procedures["land"], vn(2024, 2, 28, 9), vn(2024, 3, 6, 17))
    with time_machine.travel(vn(2024, 3, 8, 10, 0), tick=False):
        log_in(page, base, cast["desk_pu_hong"])  # two days later: the idle session has ended
        page.goto(f"{base}/ho-so/{overdue.code}/")
        page.get_by_label("Lý do chậm trả kết quả").fill("Chờ ý kiến của Phòng Tài nguyên và Môi trường")
        page.get_by_label("Ngày hẹn trả kết quả mới").fill("12/03/2024 10:00")
        page.get_by_role("button", name="Lập phiếu xin lỗi").click()
        page.wait_for_load_state("networkidle")
        assert "sau thời điểm hẹn trả 17:00 06/03/2024" in page.locator(".message-warning").text_content()
        assert "Điều 18" in page.locator(".event-warning").text_content()
        shot(page, f"{width}-3-xin-loi-sau-han")
    context.close()
