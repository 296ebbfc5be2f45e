"""flag_overdue against the single statement that flags and records: 100.000 dossiers newly overdue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hg1m PORTAL_DEV=1 .venv/bin/python bench/overdue.py

Each round picks N open, unflagged dossiers, moves their due time before `as_of` and times (a) flag_overdue and
(b) the bare statement `WITH f AS (UPDATE … RETURNING id) INSERT INTO events SELECT … FROM f`, alternately, each
in a transaction that is rolled back, so the database is left as it was (but for dead rows).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.followup.overdue import flag_overdue

    as_of = timezone.now()

    def prepare(cursor):
        cursor.execute(
            "UPDATE cases_dossier SET overdue_since = NULL WHERE overdue_since IS NOT NULL AND due_at >= %s", [as_of]
        )
        # The demo is mostly resolved: N dossiers received before are made open again and due yesterday.
        cursor.execute(
            "UPDATE cases_dossier SET due_at = %s - interval '1 day', overdue_since = NULL, resolved_at = NULL,"
            " returned_at = NULL, ended_at = NULL, state = 'dang_giai_quyet' WHERE id IN ("
            " SELECT id FROM cases_dossier WHERE received_at < %s - interval '2 days' ORDER BY id LIMIT %s)",
            [as_of, as_of, args.rows],
        )

    def ours(cursor):
        return flag_overdue(as_of).new

    def ours_without_analyze(cursor):
        from cases.core import copy

        kept, copy.ANALYZE_AFTER = copy.ANALYZE_AFTER, 10**12
        try:
            return flag_overdue(as_of).new
        finally:
            copy.ANALYZE_AFTER = kept

    def bare(cursor):
        cursor.execute(
            "WITH f AS (UPDATE cases_dossier SET overdue_since = %s WHERE resolved_at IS NULL AND ended_at IS NULL"
            " AND due_at < %s AND overdue_since IS NULL RETURNING id)"
            " INSERT INTO cases_dossierevent (dossier_id, kind, at, recorded_at, by_id, before, after, reason, warning)"
            " SELECT id, 'overdue', %s, now(), NULL, '{\"overdue_since\": null}',"
            " jsonb_build_object('overdue_since', %s::text), '', '' FROM f",
            [as_of, as_of, as_of, as_of.isoformat()],
        )
        return cursor.rowcount

    times = {"ours": [], "ours_without_analyze": [], "bare": []}
    for _ in range(args.rounds):
        for name, run in (("ours", ours), ("bare", bare), ("ours_without_analyze", ours_without_analyze)):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    prepare(cursor)
                    began = time.perf_counter()
                    flagged = run(cursor)
                    times[name].append(time.perf_counter() - began)
                    print(f"{name}: {flagged} flagged in {times[name][-1]:.2f} s", flush=True)
                    raise Rollback
            except Rollback:
                pass
    ours_s, bare_s = statistics.median(times["ours"]), statistics.median(times["bare"])
    plain = statistics.median(times["ours_without_analyze"])
    print(
        f"median: flag_overdue {ours_s:.2f} s (without its ANALYZE {plain:.2f} s), single statement {bare_s:.2f} s,"
        f" ratio {ours_s / bare_s:.2f}× ({plain / bare_s:.2f}× without ANALYZE)"
    )


if __name__ == "__main__":
    main()
