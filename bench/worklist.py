"""Time "Việc của tôi" and the header's count beside it against the bare SQL that answers each (issue 13).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_h13d PORTAL_DEV=1 .venv/bin/python bench/worklist.py

Inside one transaction it rolls back (so it may run on a shared database that has the internal-process tables; the
step table is vacuumed before and after, so the rolled-back rows do not stay in its indexes; `--replace-steps` first
empties the step table of a database seeded with steps, inside that transaction): every dossier gets its finished
steps (receive, handle, return); the most recent `--open` dossiers get an open step instead, `--share` of them at one
unit (a land registry every commune hands its dossiers to, liên thông), where `--specialists` officials hold 60% of
them and the rest wait for any of them; the other units' open steps are held by people without an account (an import).
Then, alternating in one run so both see the same machine: the count beside "Việc của tôi" (worklist.counts, one
aggregate) against its bare SQL; and the whole page (the default view and two buckets) through Django's test client
against the SQL that answers it. Prints p50/p95 in ms and the ratio.
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

from cases.catalogue.calendar import calendar  # noqa: E402
from cases.core.formats import number  # noqa: E402
from cases.desk import access, outcome, worklist  # noqa: E402
from cases.models import Membership, Role, Unit  # noqa: E402

HISTORY = """
INSERT INTO cases_dossierstep (dossier_id, number, name, performer, unit_id, holder_name, handed_at, taken_at,
                               seconds, due_at, finished_at, "end", reason)
SELECT d.id, s.number, s.name, s.performer, d.unit_id, 'Người xử lý',
       d.received_at + s.starts, d.received_at + s.starts, s.seconds, d.received_at + s.starts + s.lasts,
       d.received_at + s.starts + s.lasts * 0.8, CASE WHEN s.number = 3 THEN 'ket_thuc' ELSE 'chuyen' END, ''
FROM cases_dossier d
CROSS JOIN (VALUES (1, 'Tiếp nhận', 'mot_cua', interval '0', interval '4 hours', 14400),
                   (2, 'Thẩm định', 'chuyen_mon', interval '4 hours', interval '3 days', 115200),
                   (3, 'Trả kết quả', 'mot_cua', interval '3 days 4 hours', interval '4 hours', 14400))
     AS s(number, name, performer, starts, lasts, seconds)
WHERE d.id NOT IN (SELECT id FROM bench_open) OR s.number = 1
"""
OPEN = """
INSERT INTO cases_dossierstep (dossier_id, number, name, performer, unit_id, holder_id, holder_name, handed_at,
                               taken_at, seconds, due_at, finished_at, "end", reason)
SELECT o.id, 2, 'Thẩm định', CASE WHEN o.here THEN 'lien_thong' ELSE 'chuyen_mon' END,
       CASE WHEN o.here THEN %(unit)s ELSE o.unit_id END,
       CASE WHEN o.here AND o.rn %% 10 < 6 THEN (%(holders)s)[1 + o.rn %% %(count)s] END,
       CASE WHEN o.here THEN '' ELSE 'Người xử lý' END,
       o.received_at + interval '4 hours',
       CASE WHEN NOT o.here OR o.rn %% 10 < 6 THEN o.received_at + interval '5 hours' END,
       115200,
       CASE WHEN NOT o.here OR o.rn %% 10 < 6 THEN o.received_at + interval '3 days' END,
       NULL, '', ''
FROM bench_open o
"""


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bare(sqls):
    with connection.cursor() as cursor:
        for sql, params in sqls:
            cursor.execute(sql, params)
            cursor.fetchall()


def alternate(ours, sqls, repeat):
    ours()
    bare(sqls)
    mine, theirs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        mine.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        bare(sqls)
        theirs.append((time.perf_counter() - start) * 1000)
    return mine, theirs


def build(args):
    """The steps, in the open transaction; returns (the unit holding the open steps, one of its specialists)."""
    with connection.cursor() as cursor:
        if args.replace_steps:  # transactional in PostgreSQL: the rollback at the end brings them back
            cursor.execute("TRUNCATE cases_dossierstep, cases_apology")
        cursor.execute("SELECT count(*) FROM cases_dossierstep")
        if cursor.fetchone()[0]:
            sys.exit(
                "Bảng bước xử lý đã có dữ liệu: hãy chạy trên cơ sở dữ liệu chưa có bước nào, hoặc với --replace-steps."
            )
    unit = Unit.objects.get(code=args.unit)
    users = get_user_model()
    holders = []
    for index in range(args.specialists):
        user = users.objects.create(username=f"bench.buoc.{index}", first_name=f"Chuyên viên {index}")
        Membership.objects.create(user=user, unit=unit, role=Role.SPECIALIST)
        holders.append(user.pk)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_open ON COMMIT DROP AS SELECT id, unit_id, received_at, "
            "row_number() OVER (ORDER BY received_at DESC) AS rn, random() < %s AS here FROM cases_dossier "
            "ORDER BY received_at DESC LIMIT %s",
            [args.share, args.open],
        )
        cursor.execute(HISTORY)
        cursor.execute(OPEN, {"unit": unit.pk, "holders": holders, "count": len(holders)})
        cursor.execute("ANALYZE cases_dossierstep")
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE finished_at IS NULL) FROM cases_dossierstep")
        steps, open_steps = cursor.fetchone()
    print(f"{number(steps)} bước ({number(open_steps)} đang mở), ghi trong {time.perf_counter() - started:.1f} s")
    return unit, users.objects.get(pk=holders[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--unit", default="DBD", help="the unit every commune hands its open dossiers to")
    parser.add_argument("--open", type=int, default=40_000, help="open steps (the most recent dossiers)")
    parser.add_argument("--share", type=float, default=0.4, help="share of the open steps at --unit")
    parser.add_argument("--specialists", type=int, default=20)
    parser.add_argument(
        "--replace-steps", action="store_true",
        help="a database seeded with steps (seed_demo): empty the step table inside the rolled-back transaction",
    )  # fmt: skip
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    vacuum()  # the rows a run rolled back stay in the open-step indexes until a VACUUM (autovacuum is off here)
    with transaction.atomic():
        unit, user = build(args)
        measure(args, unit, user)
        transaction.set_rollback(True)
    vacuum()


def vacuum():
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_dossierstep")


def measure(args, unit, user):
    now = timezone.now()
    h = outcome.horizons(now)
    since = worklist.hanging_since(now, calendar())
    mine = "(s.holder_id = %(user)s OR (s.holder_id IS NULL AND s.taken_at IS NULL AND s.due_at IS NULL"
    mine += " AND s.unit_id = %(unit)s"
    mine += " AND s.performer IN ('chuyen_mon', 'lien_thong'))) AND s.finished_at IS NULL"
    params = {"user": user.pk, "unit": unit.pk, "now": now, "end": h.today_end, "since": since}
    touched = (
        "EXISTS (SELECT 1 FROM cases_dossierevent e WHERE e.dossier_id = s.dossier_id AND e.at > %(since)s"
        " AND e.kind <> 'overdue')"
    )
    badge = [(
        "SELECT count(*) FILTER (WHERE s.taken_at IS NULL), count(*) FILTER (WHERE s.taken_at IS NOT NULL AND "
        "s.due_at < %(now)s), count(*) FILTER (WHERE s.taken_at IS NOT NULL AND s.due_at >= %(now)s AND "
        f"s.due_at < %(end)s) FROM cases_dossierstep s WHERE {mine} AND (s.due_at IS NULL OR s.due_at < %(end)s)",
        params,
    )]  # fmt: skip
    stopped = "EXISTS (SELECT 1 FROM cases_dossier d WHERE d.id = s.dossier_id AND d.state IN ('bo_sung', 'tam_dung'))"
    counts = (
        "SELECT count(*) FILTER (WHERE s.taken_at IS NULL), count(*) FILTER (WHERE s.taken_at IS NOT NULL),"
        " count(*) FILTER (WHERE s.taken_at IS NOT NULL AND s.due_at < %(now)s),"
        " count(*) FILTER (WHERE s.taken_at IS NOT NULL AND s.due_at >= %(now)s AND s.due_at < %(end)s),"
        f" count(*) FILTER (WHERE s.taken_at <= %(since)s AND NOT {stopped} AND NOT {touched})"
        f" FROM cases_dossierstep s WHERE {mine}"
    )

    def rows(where, order, limit):
        """The page's rows: chosen from the steps alone, then joined to what the table shows."""
        return (
            "SELECT s.*, d.code, d.applicant_name, p.name, u.name, (SELECT max(e.at) FROM cases_dossierevent e"
            " WHERE e.dossier_id = s.dossier_id AND e.kind <> 'overdue')"
            f" FROM (SELECT * FROM cases_dossierstep s WHERE {mine} AND {where} ORDER BY {order} LIMIT {limit}) s"
            " JOIN cases_dossier d ON d.id = s.dossier_id JOIN cases_procedure p ON p.id = d.procedure_id"
            f" JOIN cases_unit u ON u.id = d.unit_id ORDER BY {order}"
        )

    def capped(where):
        return f"SELECT count(*) FROM (SELECT 1 FROM cases_dossierstep s WHERE {mine} AND {where} LIMIT 10001) c"

    waiting, held = "s.taken_at IS NULL", "s.taken_at IS NOT NULL"
    by_handed, by_due = "s.handed_at, s.id", "s.due_at, s.id"
    page = [(counts, params), (rows(waiting, by_handed, 10), params), (rows(held, by_due, 10), params)]
    held_page = [(counts, params), (rows(held, by_due, 51), params), (capped(held), params)]
    waiting_page = [(counts, params), (rows(waiting, by_handed, 51), params), (capped(waiting), params)]
    client = Client()
    client.force_login(user)
    shown = worklist.counts(access.held_steps(user), h, since)
    print(f"{user.first_name} ({unit.name}): {shown}")

    mine_steps = access.held_steps(user)  # the user's units: read once per request, by the menu already

    def count_badge():
        worklist.counts(mine_steps, h)

    def get(url):
        def run():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return run

    print(f"{'trường hợp':44} {'p50':>7} {'p95':>7} {'SQL p50':>8} {'SQL p95':>8} {'tỉ lệ':>6} {'truy vấn':>8}")
    for name, ours, sqls in (
        ("số đếm trên đầu trang (worklist.counts)", count_badge, badge),
        ("Việc của tôi (hai nhóm, 10 dòng mỗi nhóm)", get("/viec-cua-toi/"), page),
        ("Việc của tôi ?xem=dang_giu (50 dòng)", get("/viec-cua-toi/?xem=dang_giu"), held_page),
        ("Việc của tôi ?xem=cho_nhan (50 dòng)", get("/viec-cua-toi/?xem=cho_nhan"), waiting_page),
    ):
        mine_ms, theirs_ms = alternate(ours, sqls, args.repeat)
        with CaptureQueriesContext(connection) as queries:
            ours()
        p50, p95 = statistics.median(mine_ms), percentile(mine_ms, 0.95)
        s50, s95 = statistics.median(theirs_ms), percentile(theirs_ms, 0.95)
        print(f"  {name:42} {p50:7.1f} {p95:7.1f} {s50:8.1f} {s95:8.1f} {p50 / s50:6.1f} {len(queries):8}")


if __name__ == "__main__":
    main()
