"""The desk ticks the procedure's required papers at receipt; the receipt lists what was ticked."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Dossier, RequiredPaper
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_the_required_papers_are_ticked_into_the_receipt(live_server, page, cast, procedures, shot):
    land = procedures["land"]
    for number, name in enumerate(("Đơn đề nghị hòa giải", "Giấy tờ về quyền sử dụng đất", "Bản đồ thửa đất"), 1):
        RequiredPaper.objects.create(procedure=land, number=number, name=name)
    RequiredPaper.objects.create(procedure=land, number=9, name="Giấy tờ bỏ từ năm trước", active=False)
    base = live_server.url
    log_in(page, base, cast["desk_pu_hong"])
    page.goto(f"{base}/tiep-nhan/")
    page.keyboard.type("hoa giai tranh chap")
    page.get_by_role("option", name=re.compile("hòa giải tranh chấp đất đai")).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    checklist = page.locator("[data-papers-checklist]")
    expect(checklist.get_by_role("checkbox")).to_have_count(3)
    checklist.get_by_label("Đơn đề nghị hòa giải").check()
    checklist.get_by_label("Bản đồ thửa đất").check()
    checklist.get_by_label("Đơn đề nghị hòa giải").uncheck()
    checklist.get_by_label("Đơn đề nghị hòa giải").check()
    page.get_by_label("Họ và tên người nộp").fill("Lò Văn Páo")
    shot(page, "tiep-nhan")
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.wait_for_url(re.compile(r"/bien-nhan/$"))
    assert Dossier.objects.get().papers == "Bản đồ thửa đất\nĐơn đề nghị hòa giải"
    expect(page.locator(".doc-papers li")).to_have_text(["Bản đồ thửa đất", "Đơn đề nghị hòa giải"])
