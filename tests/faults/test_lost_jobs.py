"""Issue 10, item 2: a worker killed mid-job. The import is one transaction, so nothing is half-written; the job's
heartbeat stops, its page says in Vietnamese that the worker died and offers «Thử lại»; the retry imports once, and
the killed worker's message, delivered again, imports nothing.

Real parts: PostgreSQL (the test database, committed: the worker is another process), Redis (database 5, flushed),
`celery -A portal worker` processes, the first killed with SIGKILL while its import transaction is open.
"""

import io
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from celery.result import AsyncResult
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cases import tasks
from cases.core import jobs
from cases.exchange.columns import DOSSIER_KEYS
from cases.models import Dossier, DossierEvent, Job, JobState
from tests.workers import BASE_DIR, database_url, query, raw_connection, wait_until

HEADER = ",".join(DOSSIER_KEYS)
EXISTING = "PH-001,1.004837,DBD-PH,04/03/2024 08:00,,,,truc_tiep,Giàng A Páo,0912345678,Bản Pú Hồng,"
CHANGED = "PH-001,1.004837,DBD-PH,04/03/2024 08:00,,,,truc_tiep,Giàng A Páo,0987654321,Bản Pú Hồng,"
NEW_CODES = [f"PH-1{n:02d}" for n in range(40)]
NEW_ROWS = [f"{code},1.003003,DBD-PH,05/03/2024 09:30,,,,truc_tiep,Lò Thị Mai,,," for code in NEW_CODES]


def csv_file(*rows):
    return SimpleUploadedFile("ho-so.csv", "\n".join([HEADER, *rows]).encode(), content_type="text/csv")


class Workers:
    """`celery -A portal worker` processes on the test database and Redis database 5, stopped at the end."""

    def __init__(self, redis_url, tmp_path, media_root):
        self.env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url,
                    "MEDIA_ROOT": str(media_root), "JOB_HEARTBEAT_SECONDS": "1"}  # fmt: skip
        self.tmp_path = tmp_path
        self.started = []

    def start(self, name, **env):
        log_path = self.tmp_path / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency=1", "--without-mingle",
                 "--without-gossip", f"--hostname={name}@%h", "--loglevel=INFO"],
                cwd=BASE_DIR, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        process.log_path = log_path
        self.started.append(process)
        return process

    @staticmethod
    def kill(process):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.kill(process)


@pytest.fixture
def workers(redis_url, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    found = Workers(redis_url, tmp_path, settings.MEDIA_ROOT)
    yield found
    found.stop_all()


def job_page(client, job):
    return client.get(reverse("cases:import_job", args=[job.pk])).content.decode()


def imported_events():
    return DossierEvent.objects.filter(kind="imported").count()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_a_failed_job_that_is_retried_once(
    client, cast, procedures, redis_url, broker_at, workers, settings, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.fail("a worker in another process needs the test database on PostgreSQL (DATABASE_URL)")
    app = broker_at(redis_url)  # the portal sends its jobs to the workers' Redis
    client.force_login(cast["desk_pu_hong"])
    first_file = tmp_path / "co-san.csv"
    first_file.write_text("\n".join([HEADER, EXISTING]), encoding="utf-8")
    call_command("import_dossiers", str(first_file), stdout=io.StringIO())
    existing = Dossier.objects.get(code="PH-001")
    assert (existing.applicant_phone, imported_events()) == ("0912345678", 1)

    client.post(reverse("cases:import_upload"), {"file": csv_file(*NEW_ROWS, CHANGED)})
    job = Job.objects.latest("pk")
    assert (job.state, job.result["created"], job.result["updated"]) == (JobState.UPLOADED, 40, 1)

    # Hold PH-001's row: the worker's import transaction stops at its update, its 40 new dossiers written in it.
    blocker = raw_connection()
    with blocker.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_dossier WHERE code = 'PH-001' FOR UPDATE")
        cursor.execute("SELECT pg_backend_pid()")
        blocker_pid = cursor.fetchone()[0]
    killed = workers.start("killed")
    try:
        client.post(reverse("cases:import_confirm", args=[job.pk]))
        waiting = wait_until(
            lambda: query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
                " AND pid <> %s",
                [blocker_pid],
            ),
            "the worker to be in the middle of its import transaction",
            timeout=120,
        )
        job.refresh_from_db()
        first_message = job.task_id
        assert job.state == JobState.RUNNING and job.attempts == 1
        started = job.started_at
        # The heartbeat goes on while the one long write waits: a live job is never taken for a dead one.
        wait_until(lambda: Job.objects.get(pk=job.pk).heartbeat_at > started, "a heartbeat during the write")
        assert "Đang nhập hồ sơ" in job_page(client, job)

        workers.kill(killed)
    finally:
        if killed.poll() is None:
            workers.kill(killed)
        blocker.rollback()
        blocker.close()
    wait_until(lambda: not query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [waiting[0][0]]), "its session end")

    # Nothing half-written: the transaction died with the worker.
    assert not Dossier.objects.filter(code__in=NEW_CODES).exists()
    assert Dossier.objects.get(code="PH-001").applicant_phone == "0912345678"
    assert imported_events() == 1
    job.refresh_from_db()
    assert job.state == JobState.RUNNING  # nobody has noticed yet

    # Its heartbeat has stopped: once that lasts JOB_LOST_AFTER seconds, reading the page marks the job failed.
    settings.JOB_LOST_AFTER = 3
    wait_until(lambda: jobs.LOST_MESSAGE in job_page(client, job), "the page to say the worker died")
    page = job_page(client, job)
    assert "Không nhập được" in page and "Thử lại" in page and "Đang nhập hồ sơ" not in page
    job.refresh_from_db()
    assert (job.state, jobs.may_retry(job)) == (JobState.FAILED, True)

    # «Thử lại» sends the job again under a new message. The killed worker's message is still unacknowledged: a
    # worker started with a short visibility timeout delivers it again at once, and it is refused.
    client.post(reverse("cases:import_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.task_id not in ("", first_message)
    workers.start("restarted", CELERY_VISIBILITY_TIMEOUT="1")
    assert AsyncResult(first_message, app=app).get(timeout=120) == "đã xử lý"
    wait_until(lambda: Job.objects.get(pk=job.pk).state == JobState.DONE, "the retried import to finish", timeout=120)

    job.refresh_from_db()
    assert (job.result["created"], job.result["updated"], job.attempts) == (40, 1, 2)
    assert Dossier.objects.filter(code__in=NEW_CODES).count() == 40
    assert Dossier.objects.get(code="PH-001").applicant_phone == "0987654321"
    assert imported_events() == 41  # each new dossier once

    # Asked again, nothing is run twice.
    client.post(reverse("cases:import_retry", args=[job.pk]))
    assert tasks.import_dossiers.apply(args=(job.pk,), task_id=first_message).get() == "đã xử lý"
    assert imported_events() == 41
    assert "Đã nhập xong" in job_page(client, job)


# --- the sweep and the rules of a run, without a worker ------------------------------------------------------------
def running_job(owner, heartbeat_ago, task_id="t-1"):
    now = timezone.now()
    return Job.objects.create(
        kind="workbook", owner=owner, title="Biểu II.06a", state=JobState.RUNNING, task_id=task_id,
        started_at=now - timedelta(minutes=30), heartbeat_at=now - heartbeat_ago,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_sweep_fails_only_the_jobs_whose_heartbeat_stopped(cast, settings):
    owner = cast["home_affairs"]
    alive = running_job(owner, timedelta(seconds=5))
    dead = running_job(owner, timedelta(seconds=settings.JOB_LOST_AFTER + 60))
    committing = running_job(owner, timedelta(seconds=settings.JOB_LOST_AFTER + 60))
    locker = raw_connection()
    with locker.cursor() as cursor:  # a live transaction is committing this job's work right now
        cursor.execute("SELECT id FROM cases_job WHERE id = %s FOR UPDATE", [committing.pk])
    try:
        assert tasks.reap_lost_jobs.apply().get() == 1
    finally:
        locker.rollback()
        locker.close()
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {alive.pk: JobState.RUNNING, dead.pk: JobState.FAILED, committing.pk: JobState.RUNNING}
    dead.refresh_from_db()
    assert dead.message == jobs.LOST_MESSAGE and jobs.may_retry(dead)


@pytest.mark.django_db
def test_a_job_whose_queued_message_was_lost_fails_and_a_late_message_runs_nothing(
    cast, settings, django_capture_on_commit_callbacks
):
    owner = cast["home_affairs"]
    with django_capture_on_commit_callbacks(execute=False):  # sent, but the broker lost the message
        job = jobs.create("workbook", owner, "Biểu II.06a")
        jobs.send(job, "reports.build_workbook")
    Job.objects.filter(pk=job.pk).update(task_id="t-lost")
    unsent = jobs.create("workbook", owner, "Bảng đánh giá")  # never reached the broker: was_sent says so instead
    waiting = jobs.create("workbook", owner, "Biểu II.06a (2)", task_id="t-waiting", heartbeat_at=timezone.now())
    later = timezone.now() + timedelta(seconds=settings.JOB_QUEUED_LOST_AFTER + 60)
    Job.objects.filter(pk=unsent.pk).update(created_at=timezone.now() - timedelta(days=1))

    assert jobs.reap_lost(now=later - timedelta(seconds=120)) == 0  # not yet
    assert jobs.reap_lost(now=later) == 2  # the lost one, and the one still waiting by then
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.message == jobs.QUEUE_LOST_MESSAGE and jobs.may_retry(job)
    assert "hàng đợi" in job.message and "Thử lại" in job.message
    assert Job.objects.get(pk=unsent.pk).state == JobState.QUEUED
    assert Job.objects.get(pk=waiting.pk).state == JobState.FAILED
    assert jobs.claim(job.pk, "t-lost") is None  # the message turning up after all runs nothing


@pytest.mark.django_db(transaction=True)
def test_a_run_that_is_no_longer_the_jobs_writes_nothing(cast):
    owner = cast["home_affairs"]
    job = running_job(owner, timedelta(seconds=1))
    assert jobs.claim(job.pk, "t-1") is None  # the same message again while the first run beats: refused
    assert jobs.claim(job.pk, "t-other") is None  # a message a retry superseded: refused

    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)  # marked lost while the run went on
    with pytest.raises(jobs.Superseded), transaction.atomic():
        Dossier.objects.update(applicant_name="x")  # the run's work, in the transaction that finishes it
        jobs.finish(job, result={"created": 1})
    job.refresh_from_db()
    assert (job.state, job.result) == (JobState.FAILED, {})

    Job.objects.filter(pk=job.pk).update(state=JobState.DONE)
    assert jobs.claim(job.pk, "t-1") is None
    jobs.fail(job.pk, "không được ghi đè")
    assert Job.objects.get(pk=job.pk).state == JobState.DONE
