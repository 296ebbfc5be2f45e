"""Time the office dashboard (whole request: figures, trend, groups, template) on a large demo database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_demo1m .venv/bin/python bench/dashboard.py --unit DBD

Runs the page `--repeat` times as an office user of the unit and prints median and worst times, with the months
frozen (as the freeze job leaves them) and, for comparison, with every figure computed live from the dossiers.
`--explain` prints EXPLAIN ANALYZE of the live aggregate for the running month and for the whole year.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.models import Membership, Role, Unit  # noqa: E402
from reports.figures import periods  # noqa: E402
from reports.figures.counters import live_figures, report_units  # noqa: E402
from reports.models import Freeze  # noqa: E402


def office_user(unit):
    """The office of the unit; for the whole tree (unit None), an administrator."""
    if unit is None:
        user, _ = get_user_model().objects.get_or_create(username="bench.all", defaults={"is_superuser": True})
        return user
    user, _ = get_user_model().objects.get_or_create(username=f"bench.{unit.code.lower()}")
    Membership.objects.get_or_create(user=user, unit=unit, role=Role.OFFICE)
    return user


def time_page(client, url, repeat):
    client.get(url)  # warm caches and connections
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(timings), max(timings), len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unit", default="DBD", help="a unit code, or ALL for the whole tree")
    parser.add_argument("--year", type=int, default=timezone.localdate().year)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    unit = None if args.unit == "ALL" else Unit.objects.get(code=args.unit)
    client = Client()
    client.force_login(office_user(unit))
    url = f"/bao-cao/?ky=nam&nam={args.year}" + (f"&don_vi={unit.code}" if unit else "")
    from cases.models import Dossier

    units = Unit.objects.subtree(unit) if unit else Unit.objects.all()
    in_scope = Dossier.objects.filter(unit__in=units.values("pk")).count()
    name = unit.name if unit else "Toàn hệ thống"
    total = Dossier.objects.count()
    print(f"{name}: {units.count()} đơn vị, {in_scope:,} hồ sơ (cả cơ sở dữ liệu: {total:,}); trang {url}")
    frozen = Freeze.objects.filter(current=True, kind="month").count()
    rollup = Freeze.objects.filter(current=True, kind="rollup").exists()
    tail = "tổng hợp đêm qua + hôm nay tính trực tiếp" if rollup else "tháng đang chạy tính trực tiếp"
    median, worst, count = time_page(client, url, args.repeat)
    print(f"  tháng đã chốt ({frozen}) + {tail}: trung vị {median:.0f} ms, chậm nhất {worst:.0f} ms, {count} truy vấn")
    with transaction.atomic():
        Freeze.objects.update(current=False)
        median, worst, count = time_page(client, url, max(3, args.repeat // 3))
        print(
            f"  không dùng số liệu chốt (mọi tháng tính trực tiếp): trung vị {median:.0f} ms, "
            f"chậm nhất {worst:.0f} ms, {count} truy vấn"
        )
        transaction.set_rollback(True)
    if args.explain:
        today = timezone.localdate()
        units = report_units(unit)
        for label, period in (
            ("hôm nay (phần tính trực tiếp khi đã có tổng hợp đêm qua)", periods.date_range(today, today)),
            ("tháng đang chạy", periods.month(today.year, today.month).up_to(today)),
            ("cả năm", periods.year(args.year).up_to(today)),
        ):
            with CaptureQueriesContext(connection) as queries:
                live_figures(period, units)
            sql = queries.captured_queries[-1]["sql"]
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\nEXPLAIN ANALYZE — tổng hợp trực tiếp, {label}:\n{plan}")


if __name__ == "__main__":
    main()
