"""Time seed_demo: `python bench/seed.py --dossiers 100000 [--seed 1] [--as-of 2026-03-01] [--method copy]`.

Writes into the database of DATABASE_URL (units and procedures must be there: `python manage.py load_fixtures`).
With --fresh the demo tables are emptied first (dossiers, their events and clock stops) so runs compare; never
use it on a database whose dossiers matter. Prints dossiers/s and rows/s (dossiers + events + clock stops + steps).
"""

import argparse
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=date(2026, 3, 1))
    parser.add_argument("--method", choices=["copy", "bulk_create"], default=None)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--fresh", action="store_true", help="empty the dossier tables first")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from cases.models import ClockStop, Dossier, DossierEvent, DossierStep, Procedure, Unit
    from demo import generator as demo

    if not Unit.objects.exists() or not Procedure.objects.exists():
        sys.exit("Chưa có đơn vị hoặc thủ tục: chạy «python manage.py load_fixtures» trước.")
    if args.fresh:
        if connection.vendor == "postgresql":
            tables = ", ".join(m._meta.db_table for m in (DossierStep, DossierEvent, ClockStop, Dossier))
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} CASCADE")
        else:
            for model in (DossierStep, DossierEvent, ClockStop, Dossier):
                model.objects.all().delete()
    before = Dossier.objects.count()

    summary = demo.seed(
        args.dossiers, seed=args.seed, as_of=args.as_of, months=args.months, batch_size=args.batch_size,
        method=args.method, progress=lambda done, s: print(f"  {demo.number(done)} hồ sơ, {demo.number(s, 1)} s"),
    )  # fmt: skip
    rows = summary.dossiers + summary.events + summary.clock_stops + summary.steps
    print(demo.summary_text(summary))
    print(
        f"database={connection.vendor} method={summary.method} dossiers={summary.dossiers} events={summary.events} "
        f"clock_stops={summary.clock_stops} steps={summary.steps} existing_before={before} "
        f"seconds={summary.seconds:.1f} "
        f"dossiers_per_s={summary.dossiers / summary.seconds:.0f} rows_per_s={rows / summary.seconds:.0f}"
    )


if __name__ == "__main__":
    main()
