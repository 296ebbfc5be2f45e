"""Time the dossier list (/ho-so/) and Hôm nay (/) for an office and a desk against the bare SQL that answers each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hf1m PORTAL_DEV=1 .venv/bin/python bench/lists.py

For each list, search, filter and sort: the whole request (filters, queries, template) through Django's test
client, and the bare SQL that answers it (the page's 50 rows with what the page shows, and the count capped as the
page caps it), alternating in one run so both see the same machine. Prints p50/p95 of each, their ratio, the
queries the page made, and the time the page spent outside the database (Python and the template).
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.core.pager import COUNT_CAP  # noqa: E402
from cases.desk import access  # noqa: E402
from cases.models import Membership, Role, Unit  # noqa: E402

ROWS = (
    "SELECT d.id, d.code, d.applicant_name, d.received_at, d.due_at, d.state, p.code, p.name, u.name"
    " FROM cases_dossier d JOIN cases_procedure p ON p.id = d.procedure_id JOIN cases_unit u ON u.id = d.unit_id"
)
OPEN = "d.resolved_at IS NULL AND d.ended_at IS NULL"


def cases(scope_ids):
    """(name, the page's query string, the bare SQL's WHERE beyond the scope, its ORDER BY, its OFFSET)."""
    now = timezone.now()
    return [
        ("danh sách (mới nhất)", "", "", "d.received_at DESC, d.id DESC", 0),
        ("sắp xếp theo hạn", "sort=due_at", "", "d.due_at, d.id", 0),
        ("sắp xếp theo hạn, giảm", "sort=-due_at", "", "d.due_at DESC, d.id DESC", 0),
        ("sắp xếp theo ngày nhận", "sort=received_at", "", "d.received_at, d.id", 0),
        ("sắp xếp theo mã", "sort=code", "", "d.code, d.id", 0),
        ("trang 50", "page=50", "", "d.received_at DESC, d.id DESC", 49 * 50),
        ("tên không dấu «nguyen van»", "applicant=nguyen+van", "d.applicant_folded LIKE '%%nguyen van%%'",
         "d.received_at DESC, d.id DESC", 0),
        ("tên có dấu «Nguyễn Văn»", "applicant=Nguy%E1%BB%85n+V%C4%83n", "d.applicant_folded LIKE '%%nguyen van%%'",
         "d.received_at DESC, d.id DESC", 0),
        ("tên «lo thi» theo hạn", "applicant=lo+thi&sort=due_at", "d.applicant_folded LIKE '%%lo thi%%'",
         "d.due_at, d.id", 0),
        ("mã hồ sơ (đầu mã)", f"code={scope_ids['code']}", f"d.code LIKE '{scope_ids['code']}%%'",
         "d.received_at DESC, d.id DESC", 0),
        ("số điện thoại (đầu số)", "phone=0912", "d.applicant_phone LIKE '0912%%'", "d.received_at DESC, d.id DESC", 0),
        ("đang giải quyết, theo hạn", "open=on&sort=due_at", OPEN, "d.due_at, d.id", 0),
        ("quá hạn, theo hạn", "overdue=on&sort=due_at", f"{OPEN} AND d.due_at < '{now.isoformat()}'",
         "d.due_at, d.id", 0),
        ("trạng thái «đã trả»", "state=da_tra", "d.state = 'da_tra'", "d.received_at DESC, d.id DESC", 0),
    ]  # fmt: skip


def bench_user(unit, role, name):
    user, _ = get_user_model().objects.get_or_create(username=name)
    Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


def bare(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_case(client, url, sqls, repeat):
    client.get(url)
    for sql, params in sqls:
        bare(sql, params)
    ours, theirs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        ours.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        start = time.perf_counter()
        for sql, params in sqls:
            bare(sql, params)
        theirs.append((time.perf_counter() - start) * 1000)
    settings.DEBUG = True  # query timings
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        client.get(url)
        total = (time.perf_counter() - start) * 1000
    settings.DEBUG = False
    in_db = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return ours, theirs, len(queries), total - in_db


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    # No collectstatic here: plain static names (the hashed ones are a deployment step, not the page's cost).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    province = Unit.objects.get(code="DB")
    district = Unit.objects.get(code="DBD")
    desk_unit = Unit.objects.get(code="DBD-PH")
    scopes = [
        ("Văn phòng tỉnh (DB)", bench_user(province, Role.OFFICE, "bench.list.db"), "DBD"),
        ("Văn phòng huyện (DBD)", bench_user(district, Role.OFFICE, "bench.list.dbd"), "DBD-PH"),
        ("Một cửa xã Pú Hồng", bench_user(desk_unit, Role.DESK, "bench.list.puhong"), "DBD-PH"),
    ]
    print(f"{'phạm vi / trường hợp':58} {'p50':>7} {'p95':>7} {'SQL p50':>8} {'SQL p95':>8} {'tỉ lệ':>6} "
          f"{'truy vấn':>8} {'ngoài CSDL':>10}")  # fmt: skip
    for scope_name, user, code in scopes:
        ids = access.visible_unit_ids(user)
        client = Client()
        client.force_login(user)
        scope = f"d.unit_id IN ({', '.join(map(str, ids))})"
        print(f"— {scope_name}: {len(ids)} đơn vị")
        for name, query, where, order, offset in cases({"code": code}):
            if args.only and args.only not in name:
                continue
            condition = scope + (f" AND {where}" if where else "")
            sqls = [
                (f"{ROWS} WHERE {condition} ORDER BY {order} LIMIT 51 OFFSET {offset}", []),
                (f"SELECT count(*) FROM (SELECT 1 FROM cases_dossier d WHERE {condition} LIMIT {COUNT_CAP + 1}) c", []),
            ]
            ours, theirs, count, outside = run_case(client, f"/ho-so/?{query}", sqls, args.repeat)
            p50, p95 = statistics.median(ours), percentile(ours, 0.95)
            s50, s95 = statistics.median(theirs), percentile(theirs, 0.95)
            print(f"  {name:56} {p50:7.1f} {p95:7.1f} {s50:8.1f} {s95:8.1f} {p50 / s50:6.1f} {count:8} {outside:10.1f}")
        today = [
            (f"SELECT count(*) FILTER (WHERE d.due_at < now()) FROM cases_dossier d WHERE {scope} AND {OPEN}", []),
            (f"{ROWS} WHERE {scope} AND {OPEN} AND d.due_at < now() ORDER BY d.due_at, d.id LIMIT 10", []),
        ]
        ours, theirs, count, outside = run_case(client, "/", today, args.repeat)
        p50, p95 = statistics.median(ours), percentile(ours, 0.95)
        s50, s95 = statistics.median(theirs), percentile(theirs, 0.95)
        print(
            f"  {'Hôm nay':56} {p50:7.1f} {p95:7.1f} {s50:8.1f} {s95:8.1f} {p50 / s50:6.1f} {count:8} {outside:10.1f}"
        )


if __name__ == "__main__":
    main()
