"""The dossier list's large download as a background job (cases.exchange.export_jobs) against the download written in
the request and the bare COPY, on the whole database as the administrator's list shows it.

    # a writable copy of the 1M database: the job runs on a real `celery -A portal worker` (solo pool)
    createdb -h 127.0.0.1 -U postgres -T portal_bench1m portal_hexp_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hexp_bench REDIS_URL=redis://127.0.0.1:6379/3 \\
        PORTAL_DEV=1 .venv/bin/python bench/export_job.py --rounds 2

    # a shared, read-only database: the job's work runs in this process, in a transaction rolled back at the end
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench10m PORTAL_DEV=1 \\
        .venv/bin/python bench/export_job.py --in-process --formats csv --rounds 1

Per round and format, alternating: the inline path (what the view does under EXPORT_INLINE_MAX_ROWS: export_dossiers
into a temporary file), the job (sent to the queue → counted → COPY to MEDIA_ROOT → done; timed from the click to
"done" as the job's page sees it), and for CSV the bare `COPY (SELECT … to_char …) TO STDOUT (FORMAT csv)` of the
same cells. Peak memory is VmHWM (reset through /proc/PID/clear_refs before each step) of the process that wrote
the file: this one for the inline path and the in-process job, the worker for the queued job. Also: what the web
request pays to decide (a count that stops at EXPORT_INLINE_MAX_ROWS + 1), for the administrator and a district
office. Nothing is asserted.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

BARE = (
    "COPY (SELECT d.code, p.code, u.code, to_char(d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh', "
    "'DD/MM/FMYYYY HH24:MI'), to_char(d.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/FMYYYY HH24:MI'), "
    "to_char(d.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/FMYYYY HH24:MI'), "
    "to_char(d.returned_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/FMYYYY HH24:MI'), d.channel, d.applicant_name, "
    "d.applicant_phone, d.applicant_address, d.state FROM cases_dossier d JOIN cases_procedure p ON "
    "p.id = d.procedure_id JOIN cases_unit u ON u.id = d.unit_id ORDER BY d.id) TO STDOUT WITH (FORMAT csv)"
)


def memory(pid="self"):
    """(VmRSS, VmHWM) in MB of a process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid="self"):
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def start_worker(media):
    env = {**os.environ, "MEDIA_ROOT": str(media)}
    log = open(OUT / "export-worker.log", "wb")  # noqa: SIM115 — the worker writes it until stopped
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle",
         "--without-gossip", "--hostname=bench-export@%h", "--loglevel=WARNING", "--queues=celery"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return worker


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--in-process", action="store_true", help="run the job's work here, rolled back")
    parser.add_argument("--no-inline", action="store_true", help="leave out the inline path (10M: minutes)")
    args = parser.parse_args()
    formats = args.formats.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    media = Path(tempfile.mkdtemp(prefix="export-media-", dir=OUT))

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.http import QueryDict

    from cases.core import jobs
    from cases.core.models import Job, JobKind, JobState
    from cases.exchange import export_jobs
    from cases.exchange.export import export_dossiers
    from cases.filters import filtered_dossiers

    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Only on a database whose name contains 'bench'.")
    settings.MEDIA_ROOT = media
    users = get_user_model().objects
    admin = users.filter(is_superuser=True).order_by("pk").first()
    office = users.filter(username="vanphong.dbd").first()
    _, queryset = filtered_dossiers(admin, QueryDict())
    rows = queryset.count()
    print(f"{connection.settings_dict['NAME']}: {rows:,} dossiers in the administrator's list", flush=True)

    # What the request pays to decide between the inline download and the job.
    for label, user in (("administrator", admin), ("district office vanphong.dbd", office)):
        if user is None:
            continue
        _, listed = filtered_dossiers(user, QueryDict())
        runs = []
        for _ in range(5):
            began = time.perf_counter()
            small = export_jobs.inline(listed)
            runs.append((time.perf_counter() - began) * 1000)
        print(f"decide ({label}): {statistics.median(runs):.1f} ms, inline={small}", flush=True)

    worker = None if args.in_process else start_worker(media)
    if worker is not None:
        time.sleep(8)  # the worker's start
        print(f"worker at rest: {memory(worker.pid)[0]:.0f} MB; this process: {memory()[0]:.0f} MB", flush=True)
    results = {}

    def record(name, seconds, peak, size):
        results.setdefault(name, []).append((seconds, peak, size))
        print(f"{name:12} {seconds:7.1f} s  {rows / seconds:9,.0f} rows/s  peak {peak:6.0f} MB  {size / 1e6:8.1f} MB",
              flush=True)  # fmt: skip

    def inline(fmt):
        reset_peak()
        began = time.perf_counter()
        with tempfile.TemporaryFile(dir=OUT) as target:
            export_dossiers(target, queryset, filename=f"ho-so.{fmt}")
            size = target.tell()
        record(f"inline {fmt}", time.perf_counter() - began, memory()[1], size)

    def bare():
        reset_peak()
        began = time.perf_counter()
        with tempfile.TemporaryFile(dir=OUT) as target, connection.cursor() as cursor:
            cursor.cursor.copy_expert(BARE, target)
            size = target.tell()
        record("bare COPY", time.perf_counter() - began, memory()[1], size)

    def queued(fmt):
        reset_peak(worker.pid)
        began = time.perf_counter()
        job = export_jobs.start(admin, fmt, [("bench", str(time.time()))], f"ho-so.{fmt}")
        seen, counted = set(), None
        while True:
            job.refresh_from_db()
            if job.total and counted is None:
                counted = time.perf_counter() - began
            seen.add(job.processed)
            if job.finished:
                break
            time.sleep(0.25)
        seconds = time.perf_counter() - began
        if job.state != JobState.DONE:
            sys.exit(f"the job failed: {job.message}")
        size = (media / job.output).stat().st_size
        record(f"job {fmt}", seconds, memory(worker.pid)[1], size)
        print(f"{'':12} total known after {counted:.1f} s; {len(seen)} progress values seen", flush=True)
        (media / job.output).unlink()

    def in_process(fmt):
        reset_peak()
        began = time.perf_counter()
        with transaction.atomic():
            job = jobs.create(JobKind.EXPORT_DOSSIERS, admin, "bench", state=JobState.RUNNING, task_id="bench",
                              params={"format": fmt, "query": [], "filename": f"ho-so.{fmt}"})  # fmt: skip
            export_jobs.work(job, queryset)
            job = Job.objects.get(pk=job.pk)
            transaction.set_rollback(True)  # a shared database: the job's row is not kept
        size = (media / job.output).stat().st_size
        record(f"job {fmt}", time.perf_counter() - began, memory()[1], size)
        (media / job.output).unlink()

    try:
        for _ in range(args.rounds):
            for fmt in formats:
                if not args.no_inline:
                    inline(fmt)
                (in_process if args.in_process else queued)(fmt)
                if fmt == "csv":
                    bare()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        shutil.rmtree(media, ignore_errors=True)
    print("medians:")
    for name, values in results.items():
        seconds = statistics.median(value[0] for value in values)
        peak = max(value[1] for value in values)
        print(f"  {name:12} {seconds:7.1f} s  {rows / seconds:9,.0f} rows/s  peak {peak:6.0f} MB")
    if "bare COPY" in results and "job csv" in results:
        bare_s = statistics.median(value[0] for value in results["bare COPY"])
        job_s = statistics.median(value[0] for value in results["job csv"])
        print(f"  job CSV at {bare_s / job_s:.0%} of the bare COPY's speed")


if __name__ == "__main__":
    main()
