"""The jobs against a real Celery worker and a real Redis (never skipped in CI).

The embedded worker (celery.contrib.testing) runs in a thread of this process and reads the test database; the
"killed" worker is a separate `celery -A portal worker` process pointed at the same test database, killed with
SIGKILL while its transaction is open. Redis database REDIS_URL + 8 is used and flushed (tests/workers.py), so a
developer's queue is untouched.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the worker's start check)
import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.utils import timezone

from cases.models import Dossier, DossierEvent
from tests.conftest import FRIDAY_MORNING, friday_dossiers, make, vn
from tests.workers import BASE_DIR, database_url, query, raw_connection, unavailable, wait_until

CLOSED_PORT_BROKER = "redis://127.0.0.1:6399/0"
AS_OF = FRIDAY_MORNING.isoformat()


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
        unavailable("a worker in another process needs the test database on PostgreSQL (DATABASE_URL)")
    friday_dossiers(units, procedures)
    # Hold Keo Lôm's row so the worker's flagging transaction stops halfway: Pú Hồng's row already updated in it.
    blocker = raw_connection()
    with blocker.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_dossier WHERE code = 'KL-OVERDUE' FOR UPDATE")
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle",
             "--without-gossip", "--without-heartbeat", "--hostname=killed@%h", "--loglevel=INFO"],
            cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": redis_url},
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
    wait_until(lambda: not _backend_alive(backend), "the killed worker's database session to end")

    assert flagged_state() == ([], [])  # its transaction never committed

    # The task stayed unacknowledged (acks_late); start clean so the re-run below is the only run.
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    assert run_embedded(worker_app, kwargs={"as_of": AS_OF}) == {"overdue": 2, "new": 2}
    assert flagged_state() == CLEAN_RUN


def _wait_for_backend_waiting_on_lock(worker, log_path):
    def waiting():
        if worker.poll() is not None:
            pytest.fail(f"The worker exited early:\n{log_path.read_text(errors='replace')}")
        rows = query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE %s",
            ["%UPDATE%overdue_since%"],  # flag_overdue: WITH flagged AS (UPDATE …) INSERT …
        )
        return rows[0][0] if rows else None

    try:
        return wait_until(waiting, "the worker to be in the middle of flagging", timeout=90)
    except pytest.fail.Exception:
        print(log_path.read_text(errors="replace"))
        raise


def _backend_alive(pid):
    return bool(query("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]))


# --- a broker that is down never loses a desk entry -----------------------------------------------------------------


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
        flagged = wait_until(
            lambda: Dossier.objects.filter(pk=late_entry.pk, overdue_since__isnull=False).exists(),
            "the worker to flag the corrected dossier",
        )

    assert flagged
    assert DossierEvent.objects.filter(dossier=late_entry, kind="overdue").count() == 1
    assert vn(2024, 1, 1) < Dossier.objects.get(pk=late_entry.pk).overdue_since <= timezone.now()
