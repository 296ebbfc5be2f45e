"""A download of the dossier list above EXPORT_INLINE_MAX_ROWS: a background job with progress, the same bytes as the
download written in the request, the list's filters, only its owner downloads it, «Thử lại» when its worker died.

The limit is lowered to a few rows so that a handful of dossiers is "large". The worker is real where it matters
(an embedded Celery worker on Redis; a `celery -A portal worker` process killed with SIGKILL), eager elsewhere.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.core import jobs
from cases.core.models import Job, JobKind, JobState
from cases.desk.models import Membership
from cases.desk.states import Role
from cases.exchange import export_jobs
from tests.conftest import receive as received
from tests.conftest import vn
from tests.workers import BASE_DIR, database_url, raw_connection, unavailable, wait_until

NOW = vn(2024, 3, 8, 10, 0)
LIMIT = 1


@pytest.fixture(autouse=True)
def _small_limit(settings, tmp_path):
    settings.EXPORT_INLINE_MAX_ROWS = LIMIT
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen():
    # The XLSX zip stamps its parts with the time: both downloads are made at the same frozen moment.
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dossiers(units, procedures, cast):
    officer = cast["desk_pu_hong"]
    receive = partial(received, officer)
    made = [
        receive(units["pu_hong"], procedures["land"], "Giàng A Páo", vn(2024, 3, 4, 8), applicant_phone="0912345678"),
        receive(units["pu_hong"], procedures["marriage"], "Lò Thị Mai", vn(2024, 3, 5, 9), channel="truc_tuyen"),
        receive(units["pu_hong"], procedures["guardian"], '=1+1, "Mùa" A Chu', vn(2024, 3, 6, 9)),
        receive(units["pu_hong"], procedures["land"], "Vàng A Dế\nbản Kéo", vn(2024, 3, 6, 10), channel="buu_chinh"),
        receive(units["keo_lom"], procedures["guardian"], "Lò Văn Pó", vn(2024, 3, 6, 9)),
    ]
    made[1].resolve(by=officer, at=vn(2024, 3, 5, 15))
    return made


def export_url(fmt):
    return reverse("cases:dossier_export", args=[fmt])


def inline_bytes(client, settings, fmt, params):
    """The download written in the request, as a list under the limit gets it."""
    limit, settings.EXPORT_INLINE_MAX_ROWS = settings.EXPORT_INLINE_MAX_ROWS, 10**9
    try:
        response = client.get(export_url(fmt), params)
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
        return b"".join(response.streaming_content)
    finally:
        settings.EXPORT_INLINE_MAX_ROWS = limit


def start_export(client, fmt, params, commits=None):
    """What the user does: «Tải CSV» answers with a page; its button starts the job; the answer is the job's page.
    `commits`: django_capture_on_commit_callbacks, in a test inside a transaction (the task is sent on commit)."""
    return press_start(client, fmt, offered(client, fmt, params), commits)


def offered(client, fmt, params):
    offer = client.get(export_url(fmt), params)
    assert offer.status_code == 200 and "Content-Disposition" not in offer
    assert f"Lập tệp {fmt.upper()}" in offer.content.decode()
    return offer.context["query"]


def press_start(client, fmt, query, commits=None):
    with commits(execute=True) if commits else nullcontext():
        response = client.post(f"{export_url(fmt)}?{query}")
    assert response.status_code == 302
    return Job.objects.get(uid=response["Location"].rstrip("/").split("/")[-1])


def job_page(client, job):
    return client.get(reverse("cases:export_job", args=[job.uid]))


def job_file(client, job):
    response = client.get(reverse("cases:export_job_file", args=[job.uid]))
    assert response.status_code == 200
    return b"".join(response.streaming_content), response


# --- the job gives the download's bytes ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "params",
    [{}, {"unit": "pu_hong", "channel": "truc_tiep"}, {"open": "on", "sort": "-applicant"}],
    ids=["all", "unit-and-channel", "open-sorted"],
)
def test_a_large_download_is_a_job_whose_file_is_the_downloads_bytes(
    client, cast, units, dossiers, eager, settings, frozen, fmt, params, django_capture_on_commit_callbacks
):
    client.force_login(cast["office"])
    params = {key: units[value].pk if key == "unit" else value for key, value in params.items()}
    expected = inline_bytes(client, settings, fmt, params)

    job = start_export(client, fmt, params, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert (job.kind, job.state, job.owner) == (JobKind.EXPORT_DOSSIERS, JobState.DONE, cast["office"])
    page = job_page(client, job).content.decode()
    assert "Đã lập xong tệp «ho-so-20240308." in page and "Tải tệp" in page
    assert job.processed == job.total == job.result["rows"]
    body, response = job_file(client, job)
    assert body == expected
    assert f'filename="ho-so-20240308.{fmt}"' in response["Content-Disposition"]
    # The file is kept outside the web root, under a name nobody can guess.
    assert (settings.MEDIA_ROOT / job.output).read_bytes() == expected
    assert job.uid.hex in job.output


def test_a_list_under_the_limit_is_downloaded_at_once(client, cast, units, dossiers):
    client.force_login(cast["desk_pu_hong"])
    response = client.get(export_url("csv"), {"unit": units["pu_hong"].pk, "channel": "truc_tuyen"})
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert not Job.objects.exists()


def test_the_offer_links_the_users_earlier_exports(client, cast, dossiers, eager, django_capture_on_commit_callbacks):
    client.force_login(cast["office"])
    job = start_export(client, "csv", {}, django_capture_on_commit_callbacks)
    link = reverse("cases:export_job", args=[job.uid])
    assert link in client.get(export_url("xlsx")).content.decode()
    client.force_login(cast["desk_pu_hong"])
    assert link not in client.get(export_url("xlsx")).content.decode()


def test_a_second_click_follows_the_same_unfinished_job(
    client, cast, dossiers, broker_at, django_capture_on_commit_callbacks
):
    broker_at("redis://127.0.0.1:6399/0")  # nothing listens: the jobs stay queued, unsent
    client.force_login(cast["office"])
    first = start_export(client, "csv", {"channel": "truc_tiep"}, django_capture_on_commit_callbacks)
    again = start_export(client, "csv", {"channel": "truc_tiep"}, django_capture_on_commit_callbacks)
    other = start_export(client, "xlsx", {"channel": "truc_tiep"}, django_capture_on_commit_callbacks)
    assert first == again != other
    page = job_page(client, first).content.decode()
    assert "Chưa gửi được việc tới hàng đợi xử lý" in page and "Thử lại" in page


# --- progress, failure, retry -------------------------------------------------------------------------------------
def test_the_page_shows_rows_written_of_the_total(client, cast, dossiers):
    client.force_login(cast["office"])
    job = jobs.create(
        JobKind.EXPORT_DOSSIERS, cast["office"], "Danh sách hồ sơ", state=JobState.RUNNING, total=2_500_000,
        processed=625_000, task_id="t", heartbeat_at=timezone.now(), params={"format": "csv", "query": [],
        "filename": "ho-so.csv"},
    )  # fmt: skip
    response = job_page(client, job)
    page = response.content.decode()
    assert "Đã ghi 625.000 / 2.500.000 hồ sơ (25%)" in page
    assert response["Refresh"] == "3"
    assert export_jobs.file_of(job) is None
    assert client.get(reverse("cases:export_job_file", args=[job.uid])).status_code == 404


def test_a_job_no_worker_takes_says_so(client, cast, dossiers):
    client.force_login(cast["office"])
    job = jobs.create(
        JobKind.EXPORT_DOSSIERS, cast["office"], "Danh sách hồ sơ", task_id="t", params={"format": "csv",
        "query": [], "filename": "ho-so.csv"}, heartbeat_at=timezone.now() - timedelta(minutes=1),
    )  # fmt: skip
    assert "chưa được tiến trình nền nhận" not in job_page(client, job).content.decode()
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=3))
    assert "chưa được tiến trình nền nhận xử lý sau hơn 2 phút" in job_page(client, job).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_writes_the_rows_written_while_the_copy_holds_the_connection(cast):
    job = jobs.create(JobKind.EXPORT_DOSSIERS, cast["office"], "Danh sách", state=JobState.RUNNING)
    written = {"rows": 0}
    with jobs.heartbeat(job, every=0.05, processed=lambda: written["rows"]):
        written["rows"] = 4321
        wait_until(lambda: Job.objects.get(pk=job.pk).processed == 4321, "the beat to write the progress", 10)


def test_a_job_whose_worker_died_says_so_and_its_retry_writes_the_file(
    client, cast, dossiers, eager, settings, frozen, django_capture_on_commit_callbacks
):
    client.force_login(cast["office"])
    expected = inline_bytes(client, settings, "csv", {"open": "on"})
    long_ago = timezone.now() - timedelta(seconds=settings.JOB_LOST_AFTER + 60)
    job = jobs.create(
        JobKind.EXPORT_DOSSIERS, cast["office"], "Danh sách hồ sơ", state=JobState.RUNNING, task_id="chet",
        heartbeat_at=long_ago, params={"format": "csv", "query": [["open", "on"]], "filename": "ho-so.csv"},
    )  # fmt: skip

    page = job_page(client, job).content.decode()
    assert "Tiến trình xử lý nền đã dừng đột ngột" in page and "Thử lại" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:export_job_retry", args=[job.uid]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job_file(client, job)[0] == expected


def test_an_xlsx_past_a_sheets_rows_is_refused_with_the_way_out(
    client, cast, dossiers, eager, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_jobs, "XLSX_MAX_ROWS", 3)
    client.force_login(cast["office"])
    job = start_export(client, "xlsx", {}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and not job.output
    page = job_page(client, job).content.decode()
    assert "Danh sách có 5 hồ sơ, quá số dòng một trang tính Excel chứa được (3)" in page
    assert "Hãy tải dạng CSV" in page and "Thử lại" not in page


def test_an_old_file_is_swept_and_the_page_says_so(
    client, cast, dossiers, eager, settings, django_capture_on_commit_callbacks
):
    client.force_login(cast["office"])
    job = start_export(client, "csv", {}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    path = settings.MEDIA_ROOT / job.output
    assert export_jobs.sweep() == 0 and path.exists()
    assert export_jobs.sweep(now=time.time() + settings.EXPORT_KEEP_HOURS * 3600 + 60) == 1
    assert not path.exists()
    assert "Tệp đã bị xoá khỏi máy chủ" in job_page(client, job).content.decode()
    assert client.get(reverse("cases:export_job_file", args=[job.uid])).status_code == 404


# --- only the owner -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("intruder", ["desk_pu_hong", "admin", "outsider", "office_colleague"])
def test_nobody_but_the_owner_follows_or_downloads_an_export(
    client, cast, units, dossiers, eager, django_user_model, intruder, django_capture_on_commit_callbacks
):
    client.force_login(cast["office"])
    job = start_export(client, "csv", {}, django_capture_on_commit_callbacks)
    urls = [reverse(name, args=[job.uid]) for name in ("cases:export_job", "cases:export_job_file")]
    assert all(client.get(url).status_code == 200 for url in urls)

    if intruder == "office_colleague":
        user = django_user_model.objects.create_user(username="vanphong.khac", password="x")
        Membership.objects.create(user=user, unit=units["district"], role=Role.OFFICE)
    else:
        user = cast[intruder]
    client.force_login(user)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    assert client.post(reverse("cases:export_job_retry", args=[job.uid])).status_code == 404
    client.logout()
    assert client.get(urls[1]).status_code == 302  # to the login page


# --- a real worker ------------------------------------------------------------------------------------------------
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_the_file_with_the_lists_filters(
    client, cast, units, dossiers, worker_app, close_worker_connections, settings
):
    worker_app.set_current()
    client.force_login(cast["office"])
    params = {"unit": units["pu_hong"].pk, "sort": "applicant"}
    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        job = start_export(client, "csv", params)
        wait_until(lambda: Job.objects.get(pk=job.pk).finished, "the worker to finish the export")
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    body, _ = job_file(client, job)
    assert body == inline_bytes(client, settings, "csv", params)
    assert body.count(b"\r\n") == 1 + 4  # the header and Pú Hồng's four (a name's own line break is a LF)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_leaves_a_job_the_user_retries(
    client, cast, dossiers, redis_url, broker_at, worker_app, close_worker_connections, settings, tmp_path
):
    if connection.vendor != "postgresql":
        unavailable("a worker in another process needs the test database on PostgreSQL (DATABASE_URL)")
    settings.JOB_LOST_AFTER = 3
    broker_at(redis_url)
    client.force_login(cast["office"])
    query = offered(client, "csv", {})
    # The worker's count waits behind this lock, its heartbeat beating, until it is killed.
    blocker = raw_connection()
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE cases_dossier IN ACCESS EXCLUSIVE MODE")
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "JOB_HEARTBEAT_SECONDS": "1"}  # fmt: skip
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle",
             "--without-gossip", "--hostname=killed@%h", "--loglevel=INFO"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        job = press_start(client, "csv", query)
        running = wait_until(
            lambda: Job.objects.filter(pk=job.pk, state=JobState.RUNNING).first(), "the worker to take the job", 120
        )
        wait_until(lambda: Job.objects.get(pk=job.pk).heartbeat_at > running.heartbeat_at, "a heartbeat", 30)
        # (The page itself waits for the lock too: its header counts the user's deadlines.)
        assert Job.objects.get(pk=job.pk).total == 0  # still counting
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        blocker.rollback()
        blocker.close()

    def retry_offered():
        text = job_page(client, job).content.decode()
        return text if "Thử lại" in text else None

    page = wait_until(retry_offered, "the page to say the worker died", 30)
    assert "Tiến trình xử lý nền đã dừng đột ngột" in page
    assert not any((settings.MEDIA_ROOT / export_jobs.FOLDER).glob("*.csv"))

    worker_app.set_current()
    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        client.post(reverse("cases:export_job_retry", args=[job.uid]))
        wait_until(lambda: Job.objects.get(pk=job.pk).finished, "the retry to finish")
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert job_file(client, job)[0] == inline_bytes(client, settings, "csv", {})


def test_behind_nginx_the_owners_file_is_sent_by_nginx(
    client, cast, dossiers, eager, settings, frozen, django_capture_on_commit_callbacks
):
    client.force_login(cast["office"])
    job = start_export(client, "csv", {}, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    settings.MEDIA_ACCEL_REDIRECT = "/_media/"
    response = client.get(reverse("cases:export_job_file", args=[job.uid]))
    assert response["X-Accel-Redirect"] == f"/_media/{job.output}" and response.content == b""
    assert response["Content-Disposition"] == 'attachment; filename="ho-so-20240308.csv"'
    client.force_login(cast["desk_pu_hong"])
    assert client.get(reverse("cases:export_job_file", args=[job.uid])).status_code == 404
