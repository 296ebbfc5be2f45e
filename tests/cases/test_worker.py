"""The jobs against a real Celery worker and a real Redis (never skipped in CI).

The embedded worker (celery.contrib.testing) runs in a thread of this process and reads the test database; the
"killed" worker is a separate `celery -A portal worker` process pointed at the same test database, killed with
SIGKILL while its transaction is open. Redis database 5 is used and flushed, so a developer's queue is untouched.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the worker's start check)
import pytest
from celery import Celery, signals
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from cases.models import Dossier, DossierEvent
from portal.celery import app as portal_app
from tests.cases.test_followup import FRIDAY_MORNING, friday_dossiers, make
from tests.conftest import vn

BASE_DIR = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI") == "true"
# Another Redis database when several checkouts run their suites on one Redis at once (each flushes its own).
TEST_REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "5"))
CLOSED_PORT_BROKER = "redis://127.0.0.1:6399/0"
AS_OF = FRIDAY_MORNING.isoformat()


def _unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} — in CI the worker tests must run, never skip")
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    """REDIS_URL with database 5, flushed; skipped without Redis on a laptop, a failure in CI."""
    import redis

    configured = os.environ.get("REDIS_URL")
    if not configured:
        _unavailable("REDIS_URL is not set: these tests need a real Redis")
    parts = urlsplit(configured)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{TEST_REDIS_DB}", "", ""))
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {configured} is unreachable: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def make_app(url, name):
    """An app configured exactly like portal.celery's (Django settings), on another broker."""
    app = Celery(name, set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=url,
        result_backend=url,
        task_always_eager=False,
        imports=("cases.tasks", "reports.tasks"),
        worker_hijack_root_logger=False,
    )
    return app


@pytest.fixture
def worker_app(redis_url):
    app = make_app(redis_url, "portal-test")
    yield app
    portal_app.set_current()
    portal_app.set_default()
    app.close()


@pytest.fixture
def close_worker_connections():
    """The embedded worker's thread opens its own database connection: close it after each task, or the test
    database could not be flushed and dropped."""

    def close(**kwargs):
        connections.close_all()

    signals.task_postrun.connect(close, weak=False)
    yield
    signals.task_postrun.disconnect(close)


def run_embedded(app, *, kwargs):
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        return app.tasks["cases.flag_overdue"].apply_async(kwargs=kwargs).get(timeout=60)


def flagged_state():
    return (
        sorted(Dossier.objects.filter(overdue_since__isnull=False).values_list("code", "overdue_since")),
        sorted(DossierEvent.objects.filter(kind="overdue").values_list("dossier__code", "at")),
    )


CLEAN_RUN = (
    [("KL-OVERDUE", FRIDAY_MORNING), ("PH-OVERDUE", FRIDAY_MORNING)],
    [("KL-OVERDUE", FRIDAY_MORNING), ("PH-OVERDUE", FRIDAY_MORNING)],
)


# --- the job on a real worker -------------------------------------------------------------------------------------
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_worker_flags_the_overdue_dossiers_once(worker_app, close_worker_connections, units, procedures):
    friday_dossiers(units, procedures)

    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        task = worker_app.tasks["cases.flag_overdue"]
        first = task.apply_async(kwargs={"as_of": AS_OF}).get(timeout=60)
        second = task.apply_async(kwargs={"as_of": AS_OF}).get(timeout=60)

    assert first == {"overdue": 2, "new": 2}
    assert second == {"overdue": 2, "new": 0}
    assert flagged_state() == CLEAN_RUN


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_leaves_nothing_half_done(
    worker_app, redis_url, close_worker_connections, units, procedures, tmp_path
):
    if connection.vendor != "postgresql":
        _unavailable("a worker in another process needs the test database on PostgreSQL (DATABASE_URL)")
    friday_dossiers(units, procedures)
    # Hold Keo Lôm's row so the worker's flagging transaction stops halfway: Pú Hồng's row already updated in it.
    blocker = _raw_connection()
    with blocker.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_dossier WHERE code = 'KL-OVERDUE' FOR UPDATE")
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle",
             "--without-gossip", "--without-heartbeat", "--hostname=killed@%h", "--loglevel=INFO"],
            cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": redis_url},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        worker_app.tasks["cases.flag_overdue"].apply_async(kwargs={"as_of": AS_OF})
        backend = _wait_for_backend_waiting_on_lock(worker, log_path)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        blocker.rollback()
        blocker.close()
    _wait_until(lambda: not _backend_alive(backend), "the killed worker's database session to end")

    assert flagged_state() == ([], [])  # its transaction never committed

    # The task stayed unacknowledged (acks_late); start clean so the re-run below is the only run.
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    assert run_embedded(worker_app, kwargs={"as_of": AS_OF}) == {"overdue": 2, "new": 2}
    assert flagged_state() == CLEAN_RUN


def _database_url():
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{quote(settings['USER'])}{password}@{host}:{port}/{settings['NAME']}"


def _raw_connection():
    import psycopg2

    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings.get("PASSWORD") or None,
        host=settings.get("HOST") or "127.0.0.1", port=settings.get("PORT") or 5432,
    )  # fmt: skip


def _query(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _wait_until(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"Timed out waiting for {what}")


def _wait_for_backend_waiting_on_lock(worker, log_path):
    def waiting():
        if worker.poll() is not None:
            pytest.fail(f"The worker exited early:\n{log_path.read_text(errors='replace')}")
        rows = _query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE %s",
            ["UPDATE%overdue_since%"],
        )
        return rows[0][0] if rows else None

    try:
        return _wait_until(waiting, "the worker to be in the middle of flagging", timeout=90)
    except pytest.fail.Exception:
        print(log_path.read_text(errors="replace"))
        raise


def _backend_alive(pid):
    return bool(_query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]))


# --- a broker that is down never loses a desk entry -----------------------------------------------------------------
@pytest.fixture
def broker_at():
    apps = []

    def point_at(url):
        app = make_app(url, "portal-broker-down")
        app.set_current()
        app.set_default()  # the desk's step runs in its own thread, which sees the default app
        apps.append(app)
        return app

    yield point_at
    portal_app.set_current()
    portal_app.set_default()
    for app in apps:
        app.close()


@pytest.fixture
def late_entry(units, procedures):
    """An open dossier of Pú Hồng, due tomorrow; the officer finds the due date was typed wrong: it was yesterday."""
    now = timezone.now()
    return make("PH-SUA-NGAY", units["pu_hong"], procedures["land"], now - timedelta(days=6), now + timedelta(days=1))


def correct_in_thread(dossier, officer, value):
    """The desk's step, run like a request: returns (finished, error) after waiting a bounded time."""
    outcome = {}

    def run():
        try:
            dossier.correct_date(by=officer, field="due_at", value=value, reason="Nhập nhầm ngày hẹn trả")
        except Exception as exc:  # pragma: no cover - reported below
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=30)  # without the broker timeouts a hung Redis holds the request for good
    return not thread.is_alive(), outcome.get("error")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_desk_entry_is_saved_when_the_broker_is_down(redis_url, broker_at, late_entry, cast, caplog):
    broker_at(CLOSED_PORT_BROKER)
    yesterday = timezone.now() - timedelta(days=1)

    with caplog.at_level(logging.ERROR, logger="cases.tasks"):
        finished, error = correct_in_thread(late_entry, cast["desk_pu_hong"], yesterday)

    assert finished and error is None
    saved = Dossier.objects.get(pk=late_entry.pk)
    assert saved.due_at == yesterday
    assert saved.events.filter(kind="corrected").count() == 1
    assert "Không gửi được việc cases.flag_overdue tới hàng đợi" in caplog.text
    assert "6399" in caplog.text
    # The next scheduled run picks the work up.
    from cases.followup.overdue import flag_overdue

    assert flag_overdue() == (1, 1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_redis_that_accepts_but_never_answers_does_not_hold_the_desk(redis_url, broker_at, late_entry, cast, caplog):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts connections; nobody ever answers
    broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
    yesterday = timezone.now() - timedelta(days=1)
    try:
        with caplog.at_level(logging.ERROR, logger="cases.tasks"):
            finished, error = correct_in_thread(late_entry, cast["desk_pu_hong"], yesterday)
    finally:
        silent.close()

    assert finished and error is None
    assert Dossier.objects.get(pk=late_entry.pk).due_at == yesterday
    assert "Không gửi được việc cases.flag_overdue tới hàng đợi" in caplog.text


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_the_correction_reaches_the_worker(worker_app, close_worker_connections, late_entry, cast):
    worker_app.set_current()
    yesterday = timezone.now() - timedelta(days=1)

    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        late_entry.correct_date(by=cast["desk_pu_hong"], field="due_at", value=yesterday, reason="Nhập nhầm")
        flagged = _wait_until(
            lambda: Dossier.objects.filter(pk=late_entry.pk, overdue_since__isnull=False).exists(),
            "the worker to flag the corrected dossier",
        )

    assert flagged
    assert DossierEvent.objects.filter(dossier=late_entry, kind="overdue").count() == 1
    assert vn(2024, 1, 1) < Dossier.objects.get(pk=late_entry.pk).overdue_since <= timezone.now()
