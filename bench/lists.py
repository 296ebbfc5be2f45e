"""Time the dossier list (/ho-so/), Hôm nay (/) and the header badge for an office and a desk against the bare SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench1m PORTAL_DEV=1 .venv/bin/python bench/lists.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench10m PORTAL_DEV=1 .venv/bin/python bench/lists.py \\
        --scope DB --indexes

For each list, search, filter and sort: the whole request (filters, queries, template) through Django's test
client, and two bare SQL answers to the same question, alternating in one run so all see the same machine:
"plain" is one `ORDER BY … LIMIT 51` over the scope's literal unit list (plus the count capped as the page caps it);
"per unit" is what cases.core.pager sends, written by hand: for a filtered list the count and, when it is exact,
the page's ids in one read (the filtered rows gathered and sorted), else the count and the page's ids by one index
range per unit merged (for one unit: the plain ORDER BY on its (unit, x, id) index); then the rows by id.
Prints p50/p95 of the page, p50 of each bare answer, the page's ratio to the faster one, the queries the page made,
how it read the page (plain / merged / gathered), and its time outside the database (Python and the template).

Everything runs in one transaction rolled back at the end (the bench users, and with `--indexes` the list's sort
indexes of migration 0015 built on a database that lacks them), so a shared bench database is left as it was.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import quote

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

from cases.core.pager import COUNT_CAP  # noqa: E402
from cases.desk import access, outcome  # noqa: E402
from cases.models import Membership, Role, Unit  # noqa: E402

COLUMNS = "d.id, d.code, d.applicant_name, d.received_at, d.due_at, d.state, p.code, p.name, u.name"
ROWS = (
    f"SELECT {COLUMNS} FROM cases_dossier d JOIN cases_procedure p ON p.id = d.procedure_id"
    " JOIN cases_unit u ON u.id = d.unit_id"
)
OPEN = "d.resolved_at IS NULL AND d.ended_at IS NULL"
NEWEST = [("received_at", True), ("id", True)]
BY_DUE = [("due_at", False), ("id", False)]
READS = [
    ("windowed", "OFFSET 0) AS w"),
    ("merged", "UNION ALL"),
    ("gathered", "MATERIALIZED"),
]  # how the page read its rows, by its SQL
SORT_INDEXES = [  # migration 0015, for --indexes
    "CREATE INDEX IF NOT EXISTS dossier_unit_received_id ON cases_dossier (unit_id, received_at, id)",
    "CREATE INDEX IF NOT EXISTS dossier_unit_due_id ON cases_dossier (unit_id, due_at, id)",
    "CREATE INDEX IF NOT EXISTS dossier_unit_applicant_id ON cases_dossier (unit_id, applicant_name, id)",
]


def cases(code, cursor, month):
    """(name, the page's query string, the bare SQL's WHERE beyond the scope, its ordering, its OFFSET)."""
    now = timezone.now().isoformat()
    first, last = month
    received = (  # the form's "Tiếp nhận từ – đến" (dd/mm/yyyy), as the filter reads it: whole days, local time, and
        # the due time's bound it implies (cases.filters.DateRangeImplyingTheOther)
        f"received_after={first:%d/%m/%Y}&received_before={last:%d/%m/%Y}",
        f"d.received_at BETWEEN '{first.isoformat()} 00:00+07' AND '{last.isoformat()} 23:59:59.999999+07'"
        f" AND d.due_at >= '{first.isoformat()} 00:00+07'",
    )
    return [
        ("danh sách (mới nhất)", "", "", NEWEST, 0),
        ("sắp xếp theo hạn", "sort=due_at", "", BY_DUE, 0),
        ("sắp xếp theo hạn, giảm", "sort=-due_at", "", [("due_at", True), ("id", True)], 0),
        ("sắp xếp theo ngày nhận", "sort=received_at", "", [("received_at", False), ("id", False)], 0),
        ("sắp xếp theo mã", "sort=code", "", [("code", False)], 0),
        ("sắp xếp theo người nộp, giảm", "sort=-applicant", "", [("applicant_name", True), ("id", True)], 0),
        ("trang 50", "page=50", "", NEWEST, 49 * 50),
        *([("trang 201 (keyset, sau 10.000)", f"sau={quote(cursor[0])}&page=201",
            f"(d.received_at, d.id) < ('{cursor[1]}', {cursor[2]})", NEWEST, 0)] if cursor else []),
        ("tên không dấu «nguyen van»", "applicant=nguyen+van", "d.applicant_folded LIKE '%%nguyen van%%'", NEWEST, 0),
        ("tên có dấu «Nguyễn Văn»", "applicant=Nguy%E1%BB%85n+V%C4%83n", "d.applicant_folded LIKE '%%nguyen van%%'",
         NEWEST, 0),
        ("tên «nguyen» (rất nhiều)", "applicant=nguyen", "d.applicant_folded LIKE '%%nguyen%%'", NEWEST, 0),
        ("tên «lo thi» theo hạn", "applicant=lo+thi&sort=due_at", "d.applicant_folded LIKE '%%lo thi%%'", BY_DUE, 0),
        ("mã hồ sơ (đầu mã)", f"code={code}", f"d.code LIKE '{code}%%'", NEWEST, 0),
        ("số điện thoại (đầu số)", "phone=0912", "d.applicant_phone LIKE '0912%%'", NEWEST, 0),
        ("đang giải quyết, theo hạn", "open=on&sort=due_at", OPEN, BY_DUE, 0),
        ("quá hạn, theo hạn", "overdue=on&sort=due_at", f"{OPEN} AND d.due_at < '{now}'", BY_DUE, 0),
        ("trạng thái «đã trả»", "state=da_tra", "d.state = 'da_tra'", NEWEST, 0),
        (f"nhận trong tháng {first:%m/%Y}, theo hạn", f"{received[0]}&sort=due_at", received[1], BY_DUE, 0),
        (f"nhận trong tháng {first:%m/%Y}, theo hạn, giảm", f"{received[0]}&sort=-due_at", received[1],
         [("due_at", True), ("id", True)], 0),
        (f"nhận trong tháng {first:%m/%Y}, theo mã", f"{received[0]}&sort=code", received[1], [("code", False)], 0),
        (f"nhận trong tháng {first:%m/%Y} (mới nhất)", received[0], received[1], NEWEST, 0),
    ]  # fmt: skip


def order_by(ordering, prefix="d."):
    return ", ".join(f"{prefix}{name} {'DESC' if desc else 'ASC'}" for name, desc in ordering)


def plain_sqls(scope, where, ordering, offset):
    condition = scope + (f" AND {where}" if where else "")
    return [
        f"{ROWS} WHERE {condition} ORDER BY {order_by(ordering)} LIMIT 51 OFFSET {offset}",
        f"SELECT count(*) FROM (SELECT 1 FROM cases_dossier d WHERE {condition} LIMIT {COUNT_CAP + 1}) c",
    ]


def merged_ids_sql(ids, where, ordering, offset):
    """The page's ids as cases.core.pager merges them: one index range per unit, each cut at the page's end."""
    keys = ", ".join(f"d.{name}" for name, _ in ordering if name != "id")
    extra = f" AND {where}" if where else ""
    arms = " UNION ALL ".join(
        f"(SELECT d.id, {keys} FROM cases_dossier d WHERE d.unit_id = {unit}{extra}"
        f" ORDER BY {order_by(ordering)} LIMIT {offset + 51})"
        for unit in ids
    )
    return f"SELECT id FROM ({arms}) m ORDER BY {order_by(ordering, 'm.')} LIMIT 51 OFFSET {offset}"


def windowed_ids_sql(ids, where, ordering, offset):
    """The page's ids as cases.core.pager reads a month of receipt sorted otherwise: each unit's rows of the month
    read whole (OFFSET 0: the planner's unordered plan), sorted and cut, merged."""
    keys = ", ".join(f"d.{name}" for name, _ in ordering if name != "id")
    arms = " UNION ALL ".join(
        f"(SELECT * FROM (SELECT d.id, {keys} FROM cases_dossier d WHERE d.unit_id = {unit} AND {where} OFFSET 0) d"
        f" ORDER BY {order_by(ordering)} LIMIT {offset + 51})"
        for unit in ids
    )
    return f"SELECT id FROM ({arms}) m ORDER BY {order_by(ordering, 'm.')} LIMIT 51 OFFSET {offset}"


def gathered_sql(scope, where, ordering, offset):
    """The count and, when it is exact, the page's ids, as cases.core.pager gathers a filtered list: one read."""
    keys = ", ".join(f"d.{name}" for name, _ in ordering if name != "id")
    keyed = ", ".join(f"m.{name} {'DESC' if desc else 'ASC'}" for name, desc in ordering)
    inner = f"SELECT d.id, {keys} FROM cases_dossier d WHERE {scope} AND {where} LIMIT {COUNT_CAP + 1}"
    return (
        f"WITH m AS MATERIALIZED ({inner}), n (c) AS (SELECT count(*) FROM m) SELECT c, CASE WHEN c <= {COUNT_CAP}"
        f" THEN ARRAY(SELECT m.id FROM m ORDER BY {keyed} LIMIT 51 OFFSET {offset}) END FROM n"
    )


class PerUnit:
    """The bare "per unit" answer, the statements the page sends: a filtered list's count and page in one read
    (then the merge when the count passes the cap), else the count and the merge; then the rows by id."""

    def __init__(self, ids, where, ordering, offset):
        self.ids, self.where, self.ordering, self.offset = ids, where, ordering, offset
        self.scope = f"d.unit_id IN ({', '.join(map(str, ids))})"

    def __call__(self):
        keyset = self.where.startswith("(d.received_at")  # the pager counts past the cap without the cursor
        if self.where and not keyset:
            count, page = bare(gathered_sql(self.scope, self.where, self.ordering, self.offset))[0]
        else:
            count = bare(
                f"SELECT count(*) FROM (SELECT 1 FROM cases_dossier d WHERE {self.scope} LIMIT {COUNT_CAP + 1}) c"
            )[0][0]
        if count > COUNT_CAP or not self.where or keyset:
            windowed = "d.received_at BETWEEN" in self.where and self.ordering[0][0] != "received_at"
            if len(self.ids) == 1 and not windowed:  # one unit: its (unit, x, id) index in order
                return bare(plain_sqls(self.scope, self.where, self.ordering, self.offset)[0])
            ids_sql = windowed_ids_sql if windowed else merged_ids_sql
            page = [row[0] for row in bare(ids_sql(self.ids, self.where, self.ordering, self.offset))]
        return bare(f"{ROWS} WHERE d.id = ANY(%s) ORDER BY {order_by(self.ordering)}", [page])


def bench_user(unit, role, name):
    user, _ = get_user_model().objects.get_or_create(username=name)
    Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


def execute(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)


def bare_all(sqls):
    return [bare(sql) for sql in sqls]


def bare(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(action):
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def run_case(client, url, answers, repeat, explain=False):
    """p50/p95 of the page and of each bare answer (alternating), the page's queries, how it read the page, and its
    time outside the database."""
    client.get(url)
    for answer in answers:
        answer()
    ours, theirs = [], [[] for _ in answers]
    for _ in range(repeat):
        ours.append(timed(lambda: client.get(url)))
        for times, answer in zip(theirs, answers, strict=True):
            times.append(timed(answer))
    settings.DEBUG = True  # query timings
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        total = (time.perf_counter() - start) * 1000
    settings.DEBUG = False
    assert response.status_code == 200, (url, response.status_code)
    sqls = [q["sql"] for q in queries.captured_queries]
    how = next((how for how, mark in READS if any(mark in sql for sql in sqls)), "plain")
    in_db = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    if explain:
        for sql in sqls:
            if "cases_dossier" in sql and "django_session" not in sql:
                show_plan(sql)
    return ours, theirs, len(queries), how, total - in_db


def show_plan(sql):
    """The plan's nodes and times, one line each (`--explain`)."""
    print(f"      {sql[:150]}…")
    for (line,) in bare(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}".replace("%", "%%")):
        if "->" in line or line.lstrip().startswith(("Limit", "Result", "Aggregate", "Sort", "Planning", "Execution")):
            print(f"        {line[:150]}")


def report(name, ours, theirs, count, how, outside):
    p50, p95 = statistics.median(ours), percentile(ours, 0.95)
    bare50 = [statistics.median(times) for times in theirs]
    columns = "".join(f" {value:8.1f}" for value in bare50) + " " * 9 * (2 - len(bare50))
    print(f"  {name:40} {p50:7.1f} {p95:7.1f}{columns} {p50 / min(bare50):6.1f} {count:6} {how:9} {outside:8.1f}",
          flush=True)  # fmt: skip


def keyset_cursor(scope):
    """The 10.000th row of the scope, newest first: the cursor of "Trang sau" past the counted rows (None when the
    scope has fewer)."""
    for received_at, pk in bare(
        f"SELECT d.received_at, d.id FROM cases_dossier d WHERE {scope} ORDER BY {order_by(NEWEST)}"
        f" LIMIT 1 OFFSET {COUNT_CAP - 1}"
    ):
        return f"{received_at.isoformat()}~{pk}", received_at.isoformat(), pk
    return None


def middle_month(scope):
    """(first day, last day) of the month of the scope's median dossier by receipt (local time): months before and
    after it, so neither direction of a sort by due date starts next to it."""
    (first,) = bare(
        "SELECT date_trunc('month', percentile_disc(0.5) WITHIN GROUP (ORDER BY d.received_at)"
        f" AT TIME ZONE 'Asia/Ho_Chi_Minh')::date FROM cases_dossier d WHERE {scope}"
    )[0]
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--scope", action="append", help="unit codes: DB (province), DBD (district), DBD-PH (desk)")
    parser.add_argument("--explain", action="store_true", help="print the plan of each page's dossier queries")
    parser.add_argument("--indexes", action="store_true", help="build migration 0015's sort indexes (rolled back)")
    args = parser.parse_args()
    # No setup_test_environment(): its template instrumentation and the test client's copies of every context cost
    # ≈ 50 ms a page under load, which a server does not pay.
    settings.ALLOWED_HOSTS = ["*"]
    # No collectstatic here: plain static names (the hashed ones are a deployment step, not the page's cost).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with transaction.atomic():
        if args.indexes:
            for sql in [*SORT_INDEXES, "ANALYZE cases_dossier"]:
                print(f"{timed(lambda sql=sql: execute(sql)):8.0f} ms  {sql}", flush=True)
        bench(args)
        transaction.set_rollback(True)


SCOPES = {
    "DB": ("Văn phòng tỉnh (DB)", Role.OFFICE, "bench.list.db", "DBD"),
    "DBD": ("Văn phòng huyện (DBD)", Role.OFFICE, "bench.list.dbd", "DBD-PH"),
    "DBD-PH": ("Một cửa xã Pú Hồng", Role.DESK, "bench.list.puhong", "DBD-PH"),
}


def bench(args):
    print(f"{'phạm vi / trường hợp':42} {'p50':>7} {'p95':>7} {'SQL thg':>8} {'SQL đv':>8} {'tỉ lệ':>6} "
          f"{'truy vấn':>6} {'đọc':9} {'ngoài CSDL':>8}")  # fmt: skip
    for code in args.scope or list(SCOPES):
        bench_scope(args, code)


def bench_scope(args, code):
    scope_name, role, username, code_prefix = SCOPES[code]
    user = bench_user(Unit.objects.get(code=code), role, username)
    ids = sorted(access.visible_unit_ids(user))
    client = Client()
    client.force_login(user)
    scope = f"d.unit_id IN ({', '.join(map(str, ids))})"
    print(f"— {scope_name}: {len(ids)} đơn vị", flush=True)
    for name, query, where, ordering, offset in cases(code_prefix, keyset_cursor(scope), middle_month(scope)):
        if args.only and args.only not in name:
            continue
        answers = [partial(bare_all, plain_sqls(scope, where, ordering, offset)), PerUnit(ids, where, ordering, offset)]
        report(name, *run_case(client, f"/ho-so/?{query}", answers, args.repeat, args.explain))
    if args.only:
        return
    # Hôm nay: the three counts (the header's badge) and the first ten of each bucket (here: the overdue ones).
    h = outcome.horizons()
    counts = (
        f"SELECT count(*) FILTER (WHERE d.due_at < %s), count(*) FILTER (WHERE d.due_at >= %s AND d.due_at < %s),"
        f" count(*) FILTER (WHERE d.due_at >= %s) FROM cases_dossier d WHERE {scope} AND {OPEN} AND d.due_at < %s"
    )
    counted = [h.now, h.now, h.today_end, h.today_end, h.next_day_end]
    overdue = f"{ROWS} WHERE {scope} AND {OPEN} AND d.due_at < %s ORDER BY d.due_at, d.id LIMIT 10"
    report("Hôm nay", *run_case(client, "/", [lambda: (bare(counts, counted), bare(overdue, [h.now]))], args.repeat))
    # The badge alone: the aggregate every page's header runs (cases.desk.outcome.deadline_counts).
    watched = access.watched_dossiers(user)
    badge = [timed(lambda: outcome.deadline_counts(watched, h)) for _ in range(args.repeat)]
    badge_bare = [timed(lambda: bare(counts, counted)) for _ in range(args.repeat)]
    print(f"  {'huy hiệu (3 số đếm)':40} {statistics.median(badge):7.1f} {percentile(badge, 0.95):7.1f}"
          f" {statistics.median(badge_bare):8.1f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
