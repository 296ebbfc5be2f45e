"""A dossier through its unit's internal process in the browser (issue 13): the desk receives it and hands it to a
named specialist; the specialist takes it up and hands it on to Phòng Kinh tế - Hạ tầng (another unit, liên thông),
whose official takes it up and hands it on to Pú Hồng's leader; the leader hands it back to the desk, which returns
the result. The dossier page then shows each step with its outcome."""

import re

import pytest
import time_machine
from playwright.sync_api import expect

from cases.models import Dossier
from tests.conftest import vn
from tests.e2e.conftest import log_in_as, receive_land_dossier

pytestmark = pytest.mark.e2e


def at(moment):
    return time_machine.travel(moment, tick=False)


def open_from_my_list(page, base, code):
    page.get_by_role("link", name=re.compile("Việc của tôi")).click()
    page.wait_for_url(f"{base}/viec-cua-toi/")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"{base}/ho-so/{code}/")


def take_up(page):
    page.get_by_role("button", name="Nhận hồ sơ").click()
    expect(page.locator(".message-success")).to_contain_text("Đã nhận hồ sơ")


def hand_on(page, to=None):
    if to:
        page.get_by_label("Giao cho công chức").select_option(label=to)
    page.get_by_role("button", name="Chuyển bước tiếp theo").click()
    expect(page.locator(".message-success")).to_contain_text("Đã chuyển hồ sơ")


def test_a_dossier_goes_through_the_desk_a_specialist_another_unit_and_the_leader(
    live_server, page, shot, cast, officials, five_steps
):
    """The process (tests/conftest.py `five_steps`) is Pú Hồng's own for the land procedure, made by the test."""
    base = live_server.url
    desk, specialist, economy = cast["desk_pu_hong"], officials["specialist"], officials["economy"]

    # Monday 04/03/2024 08:30: the desk receives the dossier and hands it to the specialist by name.
    with at(vn(2024, 3, 4, 8, 30)):
        log_in_as(page, base, desk)
        receive_land_dossier(page, base, "Giàng A Páo")
        code = Dossier.objects.get(applicant_name="Giàng A Páo").code
        page.goto(f"{base}/ho-so/{code}/")
        expect(page.locator(".move-next")).to_contain_text("Sang bước 2: Thẩm định hồ sơ")
        expect(page.get_by_role("button", name="Phân công xử lý")).to_have_count(0)
        hand_on(page, to="Quàng Văn Chuyên")
        expect(page.locator(".process-now")).to_contain_text("Quàng Văn Chuyên (chưa nhận)")

    # 10:00: the specialist finds it in "Việc của tôi" and takes it up (due Wednesday 10:00).
    with at(vn(2024, 3, 4, 10, 0)):
        log_in_as(page, base, specialist)
        expect(page.get_by_role("link", name=re.compile("Việc của tôi"))).to_contain_text("1")
        open_from_my_list(page, base, code)
        take_up(page)

    # Wednesday 14:00, two working hours past the step's due time: handed on to the other unit.
    with at(vn(2024, 3, 6, 14, 0)):
        log_in_as(page, base, specialist)
        page.get_by_role("link", name=re.compile("Việc của tôi")).click()
        expect(page.locator(".step-list")).to_contain_text("Đang quá hạn")
        shot(page, "1-viec-cua-toi-chuyen-vien")
        page.get_by_role("link", name=code).click()
        expect(page.locator(".move-next")).to_contain_text("Phòng Kinh tế - Hạ tầng")
        page.locator("summary", has_text="Trả lại bước trước").click()
        shot(page, "2-ho-so-chuyen-vien")
        hand_on(page)

    # 15:00: Phòng Kinh tế - Hạ tầng sees the dossier while it holds its step, takes it up and hands it on.
    with at(vn(2024, 3, 6, 15, 0)):
        log_in_as(page, base, economy)
        page.get_by_role("link", name=re.compile("Việc của tôi")).click()
        expect(page.locator(".step-list")).to_contain_text("liên thông từ UBND xã Pú Hồng")
        shot(page, "3-viec-cua-toi-lien-thong")
        page.get_by_role("link", name=code).click()
        take_up(page)
        hand_on(page)
        page.wait_for_url(f"{base}/viec-cua-toi/")
        expect(page.locator(".messages")).to_contain_text("không còn giữ hồ sơ này")
        assert page.goto(f"{base}/ho-so/{code}/").status == 404

    # Thursday 07/03 09:00: the leader signs and hands the dossier back to the desk, by name.
    with at(vn(2024, 3, 7, 9, 0)):
        log_in_as(page, base, officials["leader"])
        open_from_my_list(page, base, code)
        take_up(page)
        hand_on(page, to="Lò Văn A")

    # 10:00: the desk takes it up, records the result and returns it.
    with at(vn(2024, 3, 7, 10, 0)):
        log_in_as(page, base, desk)
        open_from_my_list(page, base, code)
        take_up(page)
        for action, done in (("Ghi nhận có kết quả", "Đã ghi nhận có kết quả"), ("Trả kết quả", "Đã trả kết quả")):
            page.locator("summary", has_text=action).click()
            page.get_by_role("button", name=action).click()
            expect(page.locator(".message-success")).to_contain_text(done)

        expect(page.locator(".process-panel")).to_contain_text("Quy trình đã kết thúc lúc 07/03/2024 10:00")
        rows = page.locator(".process-steps tbody tr")
        expect(rows).to_have_count(5)
        outcomes = [rows.nth(index).locator("td[data-label='Kết quả']").inner_text() for index in range(5)]
        assert outcomes == ["Đúng hạn", "Trễ hạn", "Trước hạn", "Đúng hạn", "Đúng hạn"]
        people = [rows.nth(index).locator("td[data-label='Người xử lý']").inner_text() for index in range(5)]
        assert people == ["Lò Văn A", "Quàng Văn Chuyên", "Cà Văn Hạ", "Lò Thị Lãnh", "Lò Văn A"]
        expect(rows.nth(1).locator("td[data-label='Trễ']")).to_have_text("2 giờ")
        shot(page, "4-ho-so-da-tra")
