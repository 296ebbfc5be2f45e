"""An applicant looks a dossier up from the QR code of the printed receipt, on a phone-sized screen."""

import io
import re

import pytest
import zxingcpp
from django.core.cache import cache
from PIL import Image
from playwright.sync_api import expect

from cases.models import Dossier
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_the_receipts_qr_opens_the_look_up_which_asks_for_the_phone_digits(
    live_server, browser, shot, cast, procedures, units
):
    cache.clear()
    dossier = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
        applicant_phone="0912345678", by=cast["desk_pu_hong"],
    )  # fmt: skip
    base = live_server.url
    # The receipt as a printer renders it: print media, at about 300 dpi.
    desk = browser.new_context(viewport={"width": 1000, "height": 1400}, device_scale_factor=3, locale="vi-VN")
    page = desk.new_page()
    log_in(page, base, cast["desk_pu_hong"])
    page.goto(f"{base}/ho-so/{dossier.code}/bien-nhan/")
    page.emulate_media(media="print")
    qr = page.locator(".doc-code .qr svg")
    image = Image.open(io.BytesIO(qr.screenshot()))
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == f"{base}/tra-cuu/{dossier.code}/"
    desk.close()

    # The applicant's phone: no session, a narrow screen, no JavaScript.
    phone = browser.new_context(viewport={"width": 390, "height": 800}, java_script_enabled=False, locale="vi-VN")
    applicant = phone.new_page()
    applicant.goto(found.text)
    expect(applicant.get_by_role("heading", name="Tra cứu hồ sơ thủ tục hành chính")).to_be_visible()
    assert "hòa giải" not in applicant.content()  # nothing shown before the digits
    applicant.get_by_label("4 số cuối điện thoại hoặc mã tra cứu").fill("1111")
    applicant.get_by_role("button", name="Tra cứu").click()
    expect(applicant.get_by_role("alert")).to_contain_text("Không tìm thấy hồ sơ")
    applicant.get_by_label("4 số cuối điện thoại hoặc mã tra cứu").fill("5678")
    applicant.get_by_role("button", name="Tra cứu").click()
    expect(applicant.get_by_role("heading", name=f"Hồ sơ {dossier.code}")).to_be_visible()
    text = applicant.content()
    assert "Đang giải quyết" in text and "Thủ tục hòa giải tranh chấp đất đai" in text
    assert "Giàng A Páo" not in text and "0912345678" not in text
    assert re.search(r"Ngày hẹn trả kết quả", text)
    shot(applicant, "tra-cuu")
    phone.close()
