"""Hôm nay and the dossier list on a phone (390 px) and printed on A4: every table stays inside its card."""

import pytest
import time_machine

from tests.conftest import make, vn
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

NOW = vn(2024, 3, 8, 10, 0)
# The longest kind of published name, as the catalogue has them.
LONG_NAME = (
    "Cấp lại Giấy chứng nhận đăng ký tổ hợp tác/ Giấy chứng nhận đăng ký hợp tác xã/ Giấy chứng nhận đăng ký hoạt"
    " động chi nhánh, văn phòng đại diện/ Giấy chứng nhận đăng ký địa điểm kinh doanh của hợp tác xã"
)


@pytest.fixture
def long_lists(units, procedures):
    land = procedures["land"]
    land.name = LONG_NAME
    land.save()
    for number, unit in enumerate([units["pu_hong"], units["keo_lom"]] * 3):
        make(f"DBD-PH-240301-{number:04d}", unit, land, vn(2024, 3, 1, 9), vn(2024, 3, 7 + number % 2, 17))


# How far the widest table reaches past its card (px); 0 when everything fits.
SPILL = """() => Math.max(0, ...[...document.querySelectorAll('table.table')].map(table => {
    const card = table.closest('.table-wrap, .today-section, .panel') || document.body;
    return Math.ceil(table.getBoundingClientRect().right - card.getBoundingClientRect().right);
}))"""


@pytest.mark.parametrize("path", ["/", "/ho-so/"])
def test_the_lists_fit_a_phone_and_an_a4_page(live_server, browser, shot, cast, long_lists, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    with time_machine.travel(NOW, tick=False):
        log_in(page, live_server.url, cast["office"])
        page.goto(f"{live_server.url}{path}")
        assert page.locator("td[data-label='Đơn vị']").first.is_visible()  # the office sees several units
        assert page.evaluate(SPILL) == 0
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
        shot(page, "390px")
        # A4 less the 10 mm margins of portal.css's @page is 190 mm, about 718 px.
        page.set_viewport_size({"width": 718, "height": 1000})
        page.emulate_media(media="print")
        assert page.evaluate(SPILL) == 0
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    context.close()
