"""A desk officer receives a dossier in the browser; an officer of another commune cannot open it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.catalogue.calendar import calendar
from cases.core.formats import long_date, long_datetime
from cases.models import Dossier
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_a_desk_officer_receives_a_dossier_and_prints_the_receipt(live_server, page, shot, cast, procedures):
    base = live_server.url
    page.goto(f"{base}/ho-so/")
    # Anonymous visitors land on the Vietnamese login page.
    assert "/dang-nhap/" in page.url
    assert page.get_by_role("heading", name=re.compile("Cổng Một cửa")).is_visible()
    assert page.get_by_role("button", name="Đăng nhập").is_visible()
    shot(page, "1-dang-nhap")

    log_in(page, base, cast["desk_pu_hong"])
    page.get_by_role("link", name="Tiếp nhận hồ sơ").click()
    # Keyboard first: the procedure box has the focus; type without diacritics, pick with ↓ and Enter.
    page.keyboard.type("hoa giai tranh chap")
    page.get_by_role("option", name=re.compile("hòa giải tranh chấp đất đai")).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    due_preview = page.locator("[data-due-value]")
    # Polled by Playwright, not evaluated in the page: the Content-Security-Policy forbids eval there.
    expect(page.locator("[data-due-value]")).to_contain_text(" giờ ")
    shown_before_saving = due_preview.text_content()
    page.get_by_label("Họ và tên người nộp").fill("Giàng A Páo")
    page.get_by_label("Số điện thoại").fill("0912345678")
    shot(page, "2-tiep-nhan")
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.wait_for_url(re.compile(r"/ho-so/.+/bien-nhan/$"))

    dossier = Dossier.objects.get(applicant_name="Giàng A Páo")
    assert dossier.unit.code == "DBD-PH" and dossier.received_by == cast["desk_pu_hong"]
    expected_due = calendar().due_at(dossier.received_at, 5)
    assert dossier.due_at == expected_due
    receipt = page.content()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt
    assert dossier.code in receipt
    # The receipt prints the due time the calendar gives; the form showed the same day before saving.
    assert long_datetime(expected_due) in receipt
    assert long_date(timezone.localtime(expected_due)) in shown_before_saving
    assert page.locator("svg").count() >= 1  # the QR code of the dossier code
    shot(page, "3-bien-nhan")

    # Another commune's officer asks for the same receipt by URL: it does not exist for them.
    page.context.clear_cookies()
    log_in(page, base, cast["desk_keo_lom"])
    response = page.goto(f"{base}/ho-so/{dossier.code}/bien-nhan/")
    assert response.status == 404
    assert "Giàng A Páo" not in page.content()
    shot(page, "4-xa-khac-khong-xem-duoc")
