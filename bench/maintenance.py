"""After a bulk change, do the pages wait for a manual VACUUM? 100.000 dossiers updated at once, then the list's count
and the office's dashboard timed right after, once autovacuum has been by (the big tables' own settings, migration
0014), and after a manual VACUUM ANALYZE for comparison.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench1m PORTAL_DEV=1 .venv/bin/python bench/maintenance.py

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
    from django.db import connection
    from django.test import Client

    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Only on a database whose name contains 'bench'.")
    settings.ALLOWED_HOSTS = ["*"]
    office = Client()
    office.force_login(get_user_model().objects.get(username="vanphong.dbd"))

    def count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM cases_dossier WHERE received_at >= now() - interval '400 days'")

    def dashboard():
        office.get("/bao-cao/?ky=nam&nam=2026")

    def measure(label):
        print(f"{label:48} count {timed(count):8.1f} ms   dashboard {timed(dashboard, 3):8.1f} ms", flush=True)

    def last_autovacuum():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(last_autovacuum, 'epoch'), coalesce(last_autoanalyze, 'epoch')"
                " FROM pg_stat_user_tables WHERE relname = 'cases_dossier'"
            )
            return cursor.fetchone()

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_dossier")
    measure("before (table vacuumed)")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE chosen AS SELECT id, updated_at FROM cases_dossier ORDER BY id DESC LIMIT %s", [ROWS]
        )
        before = last_autovacuum()
        began = time.perf_counter()
        cursor.execute("UPDATE cases_dossier d SET updated_at = now() FROM chosen c WHERE d.id = c.id")
        print(f"updated {ROWS} rows in {time.perf_counter() - began:.1f} s", flush=True)
    measure("right after the update")
    waited = time.perf_counter()
    while last_autovacuum()[0] <= before[0] and time.perf_counter() - waited < 300:
        time.sleep(5)
    vacuumed = last_autovacuum()[0] > before[0]
    print(f"autovacuum {'came after' if vacuumed else 'had not come in'} {time.perf_counter() - waited:.0f} s")
    measure("after autovacuum" if vacuumed else "after waiting 300 s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_dossier")
    measure("after a manual VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_dossier d SET updated_at = c.updated_at FROM chosen c WHERE d.id = c.id")
        cursor.execute("VACUUM ANALYZE cases_dossier")


if __name__ == "__main__":
    main()
