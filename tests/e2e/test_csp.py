"""Under the Content-Security-Policy the pages still work: Chromium reports no violation on any of them."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Dossier, Procedure
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

# Registered before any page script runs (Playwright injects it outside the page's policy).
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def watched(page):
    complaints = []
    page.on("console", lambda m: complaints.append(f"{page.url}: {m.text}") if "Content Security" in m.text else None)
    page.on("pageerror", lambda error: complaints.append(f"script error: {error}"))
    page.add_init_script(WATCH)
    return page, complaints


def visit(page, complaints, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"]
    complaints += [f"{url}: {violation}" for violation in page.evaluate("window.__violations")]
    return response


def log_in(page, base, username):
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def test_desk_office_and_admin_pages_raise_no_csp_violation(live_server, watched, cast, procedures):
    page, complaints = watched
    base = live_server.url
    visit(page, complaints, f"{base}/dang-nhap/")
    log_in(page, base, cast["desk_pu_hong"].username)

    # The desk's scripted page: procedure search, due time shown before saving, then the receipt with its QR code.
    visit(page, complaints, f"{base}/tiep-nhan/")
    page.locator("#id_procedure_search").click()
    page.keyboard.type("hoa giai tranh chap")
    page.get_by_role("option", name=re.compile("hòa giải tranh chấp đất đai")).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    # Polled by Playwright, not evaluated in the page: the Content-Security-Policy forbids eval there.
    expect(page.locator("[data-due-value]")).to_contain_text(" giờ ")
    page.get_by_label("Họ và tên người nộp").fill("Giàng A Páo")
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.wait_for_url(re.compile(r"/bien-nhan/$"))
    assert page.locator("svg").count() >= 1
    code = Dossier.objects.get(applicant_name="Giàng A Páo").code
    for url in ("/", "/ho-so/", f"/ho-so/{code}/", "/nhap-ho-so/", "/giai-trinh/"):
        visit(page, complaints, base + url)

    # The office's dashboard draws its charts with Chart.js.
    page.context.clear_cookies()
    log_in(page, base, cast["office"].username)
    visit(page, complaints, f"{base}/bao-cao/")
    page.locator("canvas").first.wait_for()
    visit(page, complaints, f"{base}/bao-cao/noi-vu/")

    # The admin, with its own scripts, and the change history.
    page.context.clear_cookies()
    log_in(page, base, cast["admin"].username)
    land = procedures["land"]
    for url in (
        reverse("admin:index"),
        reverse("admin:cases_unit_changelist"),
        reverse("admin:cases_procedure_change", args=[land.pk]),
        reverse("admin:auth_user_change", args=[cast["desk_pu_hong"].pk]),
        reverse("admin:cases_holiday_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
    ):
        visit(page, complaints, base + url)
    page.goto(base + reverse("admin:cases_procedure_change", args=[land.pk]))
    page.locator("#id_processing_days").fill("7")
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state("networkidle")
    assert Procedure.objects.get(pk=land.pk).processing_days == 7
    visit(page, complaints, base + reverse("admin:cases_procedure_history", args=[land.pk]))
    assert "→" in page.content()

    assert complaints == []
