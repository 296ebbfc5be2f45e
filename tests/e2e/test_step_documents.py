"""The process control sheet (Mẫu 06) and the register (Mẫu 07) in Chromium: what the screen shows, and that each
prints on A4 (the sheet upright, the register landscape) without spilling past the page."""

import re

import pytest
import time_machine

from tests.e2e.conftest import log_in
from tests.steps.conftest import NOW, officials, stepped  # noqa: F401 — the March step histories

pytestmark = pytest.mark.e2e
SPILL = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def pages_of(pdf):
    """[(width, height)] in points of each page of a PDF Chromium printed."""
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)]


def test_the_control_sheet_prints_on_a4_with_each_hand_over(live_server, page, shot, cast, stepped):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        log_in(page, live_server.url, cast["desk_pu_hong"])
        page.goto(f"{live_server.url}/ho-so/{stepped['B'].code}/")
        page.get_by_role("link", name="In phiếu kiểm soát (Mẫu 06)").click()
        page.wait_for_url(re.compile(r"/phieu-kiem-soat/$"))
        assert page.get_by_role("heading", name="PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ").is_visible()
        rows = page.locator("table.control-table > tbody > tr")
        assert rows.count() == 5
        assert "Trả lại từ bước 2: Thiếu trích lục bản đồ địa chính" in rows.nth(2).inner_text()
        shot(page, "man-hinh")
        page.emulate_media(media="print")
        assert page.evaluate(SPILL) == 0
        shot(page, "ban-in")
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
    sizes = pages_of(pdf)
    assert sizes and all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes), sizes  # A4 upright


def test_the_register_prints_on_a4_landscape(live_server, page, shot, cast, stepped):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        log_in(page, live_server.url, cast["office"])
        page.goto(f"{live_server.url}/bao-cao/so-theo-doi/?ky=thang&nam=2024&thang=3&don_vi=DBD")
        assert page.get_by_role("heading", name="SỔ THEO DÕI HỒ SƠ").is_visible()
        assert page.locator("table.register-table > tbody > tr").count() == 7
        shot(page, "man-hinh")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1060, "height": 750})  # A4 landscape less the page margins, in px
        shot(page, "ban-in")
        pdf = page.pdf(prefer_css_page_size=True)
    sizes = pages_of(pdf)
    assert sizes and all(abs(w - 842) < 2 and abs(h - 595) < 2 for w, h in sizes), sizes  # A4 landscape


def test_the_office_follows_a_late_official_from_the_dashboard_to_the_dossier(
    live_server,
    page,
    shot,
    cast,
    stepped,  # noqa: F811
):
    with time_machine.travel(NOW, tick=False):
        log_in(page, live_server.url, cast["office"])
        page.goto(f"{live_server.url}/bao-cao/?ky=thang&nam=2024&thang=3&don_vi=DBD")
        late = page.locator("table.late-by-person")
        late.scroll_into_view_if_needed()
        shot(page, "bao-cao")
        row = late.locator("tbody tr", has_text="Quàng Văn Chuyên")
        row.locator("td").nth(2).get_by_role("link").click()  # the "Trễ hạn" figure
        page.wait_for_url(re.compile(r"buoc_tt=tre_han"))
        assert "Hồ sơ có bước hoàn thành trễ hạn" in page.locator(".counter-caption").inner_text()
        page.get_by_role("link", name=stepped["A"].code).click()
        page.goto(f"{live_server.url}/ho-so/{stepped['B'].code}/")
        block = page.locator("#buoc-tre")
        assert "161,0" in block.inner_text()
        block.scroll_into_view_if_needed()
        shot(page, "ho-so-cham-o-buoc-nao")
