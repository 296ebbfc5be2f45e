"""After a bulk change, do the pages wait for a manual VACUUM? 100.000 dossiers updated at once, then the list's count
and the office's dashboard timed right after: after a bare UPDATE; after the same UPDATE done as the portal's bulk
jobs do it (cases.core.copy.analyze_after: ANALYZE, and a VACUUM once committed where autovacuum is off,
BULK_VACUUM); once autovacuum has been by, where it is on; and after a manual VACUUM ANALYZE for comparison.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hexp_bench PORTAL_DEV=1 .venv/bin/python bench/maintenance.py

Only for a database made for benchmarks (its name must contain "bench"): the change is undone at the end
(`updated_at` of the chosen rows is set back). Nothing is asserted.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

ROWS = 100_000


def timed(call, repeat=5):
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        runs.append((time.perf_counter() - began) * 1000)
    return statistics.median(runs)


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client

    from cases.core import copy as bulk
    from cases.desk.models import Dossier

    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Only on a database whose name contains 'bench'.")
    settings.ALLOWED_HOSTS = ["*"]
    # Static files from the source folders (no collectstatic needed in a worktree).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    office = Client()
    office.force_login(get_user_model().objects.get(username="vanphong.dbd"))

    def count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_dossier WHERE received_at >= now() - interval '400 days'")

    def dashboard():
        office.get("/bao-cao/?ky=nam&nam=2026")

    def listing():
        office.get("/ho-so/")

    def measure(label):
        print(f"{label:42} count {timed(count):7.1f} ms   dashboard {timed(dashboard, 3):7.1f} ms"
              f"   list {timed(listing, 3):7.1f} ms", flush=True)  # fmt: skip

    def last_autovacuum():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(last_autovacuum, 'epoch'), coalesce(last_autoanalyze, 'epoch')"
                " FROM pg_stat_user_tables WHERE relname = 'cases_dossier'"
            )
            return cursor.fetchone()

    def seconds_since(began):
        return f"{time.perf_counter() - began:.1f} s"

    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
        print(f"autovacuum = {autovacuum}; BULK_VACUUM = {settings.BULK_VACUUM}", flush=True)
        cursor.execute("VACUUM ANALYZE cases_dossier")
    measure("before (table vacuumed)")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE chosen AS SELECT id, updated_at FROM cases_dossier ORDER BY id DESC LIMIT %s", [ROWS]
        )
        before = last_autovacuum()
        began = time.perf_counter()
        cursor.execute("UPDATE cases_dossier d SET updated_at = now() FROM chosen c WHERE d.id = c.id")
        print(f"bare UPDATE of {ROWS} rows: {seconds_since(began)}", flush=True)
    measure("right after a bare UPDATE")
    if autovacuum == "on":
        waited = time.perf_counter()
        while last_autovacuum()[0] <= before[0] and time.perf_counter() - waited < 300:
            time.sleep(5)
        vacuumed = last_autovacuum()[0] > before[0]
        print(f"autovacuum {'came after' if vacuumed else 'had not come in'} {seconds_since(waited)}")
        measure("after autovacuum" if vacuumed else "after waiting 300 s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_dossier")
    measure("after a manual VACUUM ANALYZE")

    # The same change as a bulk job makes it: its transaction, then analyze_after (ANALYZE now, VACUUM on commit).
    began = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_dossier d SET updated_at = now() + interval '1 second' FROM chosen c"
                           " WHERE d.id = c.id")  # fmt: skip
        updated = seconds_since(began)
        began = time.perf_counter()
        bulk.analyze_after(ROWS, Dossier)
        analyzed = seconds_since(began)
        began = time.perf_counter()
    print(f"bulk job: UPDATE {updated}, ANALYZE {analyzed}, commit and VACUUM {seconds_since(began)}", flush=True)
    measure("right after the bulk job (analyze_after)")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_dossier d SET updated_at = c.updated_at FROM chosen c WHERE d.id = c.id")
        cursor.execute("VACUUM ANALYZE cases_dossier")


if __name__ == "__main__":
    main()
