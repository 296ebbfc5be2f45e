"""The list's downloads in a browser: a small list downloads at once, a large one through its job's page."""

import pytest

from tests.conftest import make, vn
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def listed(units, procedures, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the job runs inside the request that starts it
    for number, unit in enumerate([units["pu_hong"], units["keo_lom"]] * 2):
        make(f"DBD-XX-240301-{number:04d}", unit, procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 7, 17))


def test_a_small_list_downloads_at_once_and_a_large_one_through_its_job(live_server, page, cast, listed, settings):
    log_in(page, live_server.url, cast["office"])
    page.goto(f"{live_server.url}/ho-so/")
    with page.expect_download() as at_once:
        page.get_by_role("link", name="Tải CSV").click()
    small = at_once.value.path().read_bytes()
    assert small.count(b"DBD-XX-") == 4 and page.url == f"{live_server.url}/ho-so/"

    settings.EXPORT_INLINE_MAX_ROWS = 3
    page.get_by_role("link", name="Tải CSV").click()
    page.get_by_text("hơn 3 hồ sơ").wait_for()
    page.get_by_role("button", name="Lập tệp CSV").click()
    page.get_by_text("Đã lập xong tệp").wait_for()
    with page.expect_download() as through_job:
        page.get_by_role("link", name="Tải tệp").click()
    assert through_job.value.suggested_filename.startswith("ho-so-")
    assert through_job.value.path().read_bytes() == small

    page.goto(f"{live_server.url}/ho-so/")
    page.get_by_role("link", name="Tải CSV").click()
    assert page.get_by_text("Tệp danh sách bạn đã yêu cầu gần đây").is_visible()
