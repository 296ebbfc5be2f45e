"""Browser tests: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server."""

import os
import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it are plain
# synchronous calls, so Django's async-safety guard has nothing to protect here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is missing at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """Save a screenshot under test-artifacts/ (kept by CI as the test's artifacts)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name):
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, base, user):
    """Log in through the login page, as a user would (the browser tests import this helper)."""
    page.goto(f"{base}/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def log_in_as(page, base, user):
    """Another officer at the same browser: the previous one's session is dropped first."""
    page.context.clear_cookies()
    log_in(page, base, user)


def receive_land_dossier(page, base, applicant):
    """Receive a dossier of the land procedure at the logged-in desk, keyboard first, and wait for its receipt."""
    page.goto(f"{base}/tiep-nhan/")
    page.keyboard.type("hoa giai tranh chap")
    page.get_by_role("option", name=re.compile("hòa giải tranh chấp đất đai")).wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.get_by_label("Họ và tên người nộp").fill(applicant)
    page.get_by_role("button", name="Tiếp nhận và in giấy hẹn").click()
    page.wait_for_url(re.compile(r"/bien-nhan/$"))
