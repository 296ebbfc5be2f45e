"""Dossiers and events partitioned by year of receipt, against the portal's tables as they are, in one database.

    # once: the partitioned copy (schema `part`) and a plain copy of the dossiers (schema `flat`); `--build part`
    # alone makes the portal's own table the flat layout and skips the VACUUM step
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench10m PORTAL_DEV=1 \
        .venv/bin/python bench/partitioning.py --build
    # the comparison: writes to `part` and `flat`, and to the portal's tables only in transactions it rolls back
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench10m PORTAL_DEV=1 \
        .venv/bin/python bench/partitioning.py --repeat 7

The copy (`--build`), built from the portal's own tables:
- `part.cases_dossier`, `PARTITION BY RANGE (received_at)`, one partition a year in Vietnam's time (and next year's,
  empty, as a live system needs it before 1 January); primary key (id, received_at), the code unique with
  (code, received_at), every other index of `public.cases_dossier` on each partition; ids from a sequence (PostgreSQL
  15 has no identity columns on partitioned tables).
- `part.cases_dossierevent`, the events with their dossier's `received_at` copied into `dossier_received_at`,
  partitioned by it, so a dossier and its history sit in the same year and leave together; primary key
  (id, dossier_received_at), the foreign key (dossier_id, dossier_received_at) → dossier (id, received_at).
- `flat.cases_dossier`: the dossiers again, unpartitioned, copied and indexed the same way (the portal's own table
  grew its indexes row by row, so its indexes are larger and would not compare fairly), also the table the steps
  that must write use (VACUUM after an update): the portal's tables are shared and stay untouched. The flat layout's
  events are the portal's own.

The comparison: the schema `part` (or `flat`) comes first in the `search_path`, so `cases_dossier` and
`cases_dossierevent` name that layout's tables and the portal's own code (the dashboard's aggregate, the rollup, the
export's COPY) runs on them unchanged. Each case runs on both layouts alternately; medians in ms,
ratio = partitioned / flat.
"""

import argparse
import io
import os
import random
import re
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from cases.catalogue.models import Unit  # noqa: E402
from cases.core.formats import number  # noqa: E402
from cases.desk.states import EventKind, payload  # noqa: E402
from cases.exchange.export import csv_from_copy, export_queryset  # noqa: E402
from cases.followup.overdue import _claim_sql, _flag_and_record  # noqa: E402
from reports.figures import periods  # noqa: E402
from reports.figures.counters import live_figures  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROWS = (
    "SELECT d.id, d.code, d.applicant_name, d.received_at, d.due_at, d.state, p.code, p.name, u.name"
    " FROM cases_dossier d JOIN cases_procedure p ON p.id = d.procedure_id JOIN cases_unit u ON u.id = d.unit_id"
)
OPEN = "d.resolved_at IS NULL AND d.ended_at IS NULL"
COUNT_CAP = 10_000
LAYOUTS = ("flat", "part")


def sql(statement, params=None, fetch=True):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall() if fetch and cursor.description else cursor.rowcount


def use(layout):
    """The plain copy of the dossiers (schema flat) or the partitioned copy (schema part), under the portal's table
    names; what a schema lacks (the flat layout's events, the catalogue) is the portal's own, in public."""
    sql(f"SET search_path TO {layout}, public")


def year_start(y):
    return datetime(y, 1, 1, tzinfo=VN)


# --- the copy --------------------------------------------------------------------------------------------------
def columns(table, skip=()):
    rows = sql(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
        " AND attgenerated = '' ORDER BY attnum",
        [table],
    )
    return [name for (name,) in rows if name not in skip]


def index_ddl(table):
    return [
        ddl for (ddl,) in sql("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s", [table])
    ]


def reloptions(table):
    (options,) = sql("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])[0]
    return ", ".join(options or [])


def step(label, statements):
    start = time.perf_counter()
    for statement in statements if isinstance(statements, list) else [statements]:
        sql(statement, fetch=False)
    seconds = time.perf_counter() - start
    print(f"  {label}: {number(seconds, 1)} s", flush=True)
    return seconds


def build(which):
    sql("SET search_path TO public")
    sql("SET maintenance_work_mem = '1GB'")
    sql("SET work_mem = '1GB'")
    sql("SET max_parallel_maintenance_workers = 1")
    first, last = sql("SELECT min(received_at), max(received_at) FROM cases_dossier")[0]
    years = list(range(timezone.localtime(first, VN).year, timezone.localtime(last, VN).year + 2))
    print(f"Năm: {years}", flush=True)
    dossier_cols = ", ".join(columns("cases_dossier"))
    event_cols = columns("cases_dossierevent")
    options = reloptions("cases_dossier")
    event_options = reloptions("cases_dossierevent")
    if "part" in which:
        build_part(years, dossier_cols, event_cols, options, event_options)
    if "flat" in which:
        build_flat(dossier_cols, options)


def partitioned(table, key, years, options, extra=""):
    """CREATE statements of part.<table>: the portal's table's columns (plus `extra`), partitioned by `key` into one
    partition a year, ids from a sequence."""
    statements = [
        f"CREATE TABLE part.{table} (LIKE public.{table} INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS"
        f"{extra}) PARTITION BY RANGE ({key})",
        f"CREATE SEQUENCE part.{table}_id_seq OWNED BY part.{table}.id",
        f"ALTER TABLE part.{table} ALTER id SET DEFAULT nextval('part.{table}_id_seq')",
    ]
    for y in years:
        statements.append(
            f"CREATE TABLE part.{table}_{y} PARTITION OF part.{table} FOR VALUES FROM "
            f"('{year_start(y).isoformat()}') TO ('{year_start(y + 1).isoformat()}') WITH ({options})"
        )
    return statements


def keys_and_indexes(table, key, unique=()):
    """The primary key (id, key), each unique column as (column, key), every other index of the portal's table."""
    statements = [f"ALTER TABLE part.{table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, {key})"]
    statements += [f"ALTER TABLE part.{table} ADD CONSTRAINT {table}_{c}_key UNIQUE ({c}, {key})" for c in unique]
    replaced = {f"{table}_pkey", *(f"{table}_{c}_key" for c in unique)}
    for ddl in index_ddl(table):
        if re.match(r"CREATE (UNIQUE )?INDEX (\w+)", ddl).group(2) not in replaced:
            statements.append(ddl.replace(f" ON public.{table} USING", f" ON part.{table} USING"))
    return statements


def build_part(years, dossier_cols, event_cols, options, event_options):
    total = 0.0
    total += step("schema", ["DROP SCHEMA IF EXISTS part CASCADE", "CREATE SCHEMA part"])
    total += step("bảng hồ sơ phân vùng", partitioned("cases_dossier", "received_at", years, options))
    total += step(
        "chép hồ sơ (INSERT … SELECT)",
        f"INSERT INTO part.cases_dossier ({dossier_cols}) SELECT {dossier_cols} FROM public.cases_dossier",
    )
    sql("SELECT setval('part.cases_dossier_id_seq', (SELECT max(id) FROM public.cases_dossier))")
    statements = keys_and_indexes("cases_dossier", "received_at", unique=["code"])
    total += step(f"chỉ mục hồ sơ ({len(statements)})", statements)
    # The events, with their dossier's year.
    statements = partitioned(
        "cases_dossierevent", "dossier_received_at", years, event_options, ", dossier_received_at timestamptz NOT NULL"
    )
    total += step("bảng diễn biến phân vùng", statements)
    listed = ", ".join(event_cols)
    from_events = ", ".join(f"e.{name}" for name in event_cols)
    total += step(
        "chép diễn biến, kèm ngày nhận của hồ sơ",
        f"INSERT INTO part.cases_dossierevent ({listed}, dossier_received_at) SELECT {from_events}, d.received_at"
        " FROM public.cases_dossierevent e JOIN public.cases_dossier d ON d.id = e.dossier_id",
    )
    sql("SELECT setval('part.cases_dossierevent_id_seq', (SELECT max(id) FROM public.cases_dossierevent))")
    statements = keys_and_indexes("cases_dossierevent", "dossier_received_at")
    total += step(f"chỉ mục diễn biến ({len(statements)})", statements)
    total += step(
        "khóa ngoại diễn biến → hồ sơ (id, ngày nhận), kiểm tra mọi dòng",
        "ALTER TABLE part.cases_dossierevent ADD CONSTRAINT event_dossier_fk"
        " FOREIGN KEY (dossier_id, dossier_received_at)"
        " REFERENCES part.cases_dossier (id, received_at) DEFERRABLE INITIALLY DEFERRED",
    )
    total += step(
        "VACUUM ANALYZE bản phân vùng", ["VACUUM ANALYZE part.cases_dossier", "VACUUM ANALYZE part.cases_dossierevent"]
    )
    print(f"Bản phân vùng: {number(total, 1)} s", flush=True)


def build_flat(dossier_cols, options):
    # The plain copy: written and indexed the same way, so that both layouts are equally fresh (the portal's own
    # table grew its indexes row by row); the flat layout's events are the portal's own.
    statements = [
        "DROP SCHEMA IF EXISTS flat CASCADE",
        "CREATE SCHEMA flat",
        "CREATE TABLE flat.cases_dossier (LIKE public.cases_dossier INCLUDING DEFAULTS INCLUDING GENERATED"
        f" INCLUDING CONSTRAINTS INCLUDING IDENTITY) WITH ({options})",
        f"INSERT INTO flat.cases_dossier ({dossier_cols}) OVERRIDING SYSTEM VALUE"
        f" SELECT {dossier_cols} FROM public.cases_dossier",
    ]
    step("bảng hồ sơ không phân vùng (flat), chép", statements)
    statements = [
        ddl.replace(" ON public.cases_dossier USING", " ON flat.cases_dossier USING")
        for ddl in index_ddl("cases_dossier")
    ]
    statements.append("VACUUM ANALYZE flat.cases_dossier")
    step(f"chỉ mục ({len(statements) - 1}) và VACUUM ANALYZE của bản không phân vùng", statements)


# --- measuring ----------------------------------------------------------------------------------------------------
class Results:
    def __init__(self):
        self.rows = []

    def add(self, name, times, note=""):
        flat, part = statistics.median(times["flat"]), statistics.median(times["part"])
        self.rows.append((name, flat, part, note))
        print(f"  {name:62} {flat:10.1f} {part:10.1f} {part / flat if flat else 0:7.2f}  {note}", flush=True)

    def markdown(self):
        lines = [
            "| case | flat, median ms | partitioned, median ms | partitioned / flat | |",
            "|---|---:|---:|---:|---|",
        ]
        for name, flat, part, note in self.rows:
            lines.append(f"| {name} | {number(flat, 1)} | {number(part, 1)} | {number(part / flat, 2)} | {note} |")
        return "\n".join(lines)


def alternate(run, repeat, warm=True):
    """{layout: [ms, …]}: run(layout) on both layouts in turn, `repeat` times each (after one warm-up each)."""
    times = {layout: [] for layout in LAYOUTS}
    if warm:
        for layout in LAYOUTS:
            use(layout)
            run(layout)
    for _ in range(repeat):
        for layout in LAYOUTS:
            use(layout)
            start = time.perf_counter()
            run(layout)
            times[layout].append((time.perf_counter() - start) * 1000)
    use("flat")
    return times


def rolled_back(work):
    """work() inside a transaction that is rolled back, foreign keys checked at each statement."""

    def run(layout):
        with transaction.atomic():
            sql("SET CONSTRAINTS ALL IMMEDIATE")
            work(layout)
            transaction.set_rollback(True)

    return run


def list_cases():
    now = timezone.now().isoformat()
    y = timezone.localdate().year
    return [
        ("mới nhất", "", "d.received_at DESC, d.id DESC", 0),
        ("theo hạn", "", "d.due_at, d.id", 0),
        ("theo mã", "", "d.code, d.id", 0),
        ("trang 50", "", "d.received_at DESC, d.id DESC", 49 * 50),
        ("tên «nguyen van»", "d.applicant_folded LIKE '%%nguyen van%%'", "d.received_at DESC, d.id DESC", 0),
        ("đang giải quyết, theo hạn", OPEN, "d.due_at, d.id", 0),
        ("quá hạn, theo hạn", f"{OPEN} AND d.due_at < '{now}'", "d.due_at, d.id", 0),
        ("trạng thái «đã trả»", "d.state = 'da_tra'", "d.received_at DESC, d.id DESC", 0),
        (f"nhận trong năm {y - 1}, mới nhất",
         f"d.received_at >= '{year_start(y - 1).isoformat()}' AND d.received_at < '{year_start(y).isoformat()}'",
         "d.received_at DESC, d.id DESC", 0),
        (f"nhận trong tháng 03/{y}, theo hạn",
         f"d.received_at >= '{datetime(y, 3, 1, tzinfo=VN).isoformat()}'"
         f" AND d.received_at < '{datetime(y, 4, 1, tzinfo=VN).isoformat()}'", "d.due_at, d.id", 0),
    ]  # fmt: skip


def measure_lists(results, repeat):
    for code in ("DB", "DBD"):
        unit = Unit.objects.get(code=code)
        ids = list(Unit.objects.subtree(unit).values_list("pk", flat=True))
        scope = f"d.unit_id IN ({', '.join(map(str, ids))})"
        for name, where, order, offset in list_cases():
            condition = scope + (f" AND {where}" if where else "")
            page = f"{ROWS} WHERE {condition} ORDER BY {order} LIMIT 51 OFFSET {offset}"
            count = f"SELECT count(*) FROM (SELECT 1 FROM cases_dossier d WHERE {condition} LIMIT {COUNT_CAP + 1}) c"

            def run(layout, page=page, count=count):
                sql(page)
                sql(count)

            results.add(f"danh sách {code} ({len(ids)} đơn vị): {name}", alternate(run, repeat), "trang + đếm ≤ 10.001")


def measure_lookups(results, repeat):
    # Some 2.000 rows from blocks all over the table (every year), 50 of them drawn.
    (rows,) = sql("SELECT reltuples FROM pg_class WHERE oid = 'cases_dossier'::regclass")[0]
    share = min(100.0, 2000 * 100 / max(rows, 1))
    picked = sql(f"SELECT id, code, received_at FROM cases_dossier TABLESAMPLE SYSTEM ({share}) REPEATABLE (7)")
    sample = random.Random(7).sample(picked, min(50, len(picked)))

    def by_code(layout):
        for _, code, _ in sample:
            sql("SELECT * FROM cases_dossier WHERE code = %s", [code])

    def by_code_and_day(layout):
        # The code's yymmdd is the day of receipt (cases.desk.codes): the page could hand the planner that day.
        for _, code, received in sample:
            day = timezone.localtime(received, VN).replace(hour=0, minute=0, second=0, microsecond=0)
            sql(
                "SELECT * FROM cases_dossier WHERE code = %s AND received_at >= %s AND received_at < %s",
                [code, day, day + timedelta(days=1)],
            )

    def by_id(layout):
        for pk, _, _ in sample:
            sql("SELECT * FROM cases_dossier WHERE id = %s", [pk])

    def timeline(layout):
        for pk, _, _ in sample:
            sql("SELECT * FROM cases_dossierevent WHERE dossier_id = %s ORDER BY at, id", [pk])

    def timeline_pruned(layout):
        for pk, _, received in sample:
            if layout == "part":
                sql(
                    "SELECT * FROM cases_dossierevent WHERE dossier_id = %s AND dossier_received_at = %s"
                    " ORDER BY at, id",
                    [pk, received],
                )
            else:
                sql("SELECT * FROM cases_dossierevent WHERE dossier_id = %s ORDER BY at, id", [pk])

    n = len(sample)
    results.add(f"hồ sơ theo mã ({n} mã, tổng)", alternate(by_code, repeat))
    results.add(f"hồ sơ theo mã + ngày nhận lấy từ mã ({n})", alternate(by_code_and_day, repeat))
    results.add(f"hồ sơ theo id ({n})", alternate(by_id, repeat))
    results.add(f"diễn biến của hồ sơ theo dossier_id ({n})", alternate(timeline, repeat))
    results.add(f"diễn biến theo dossier_id + dossier_received_at ({n})", alternate(timeline_pruned, repeat))


def measure_reports(results, repeat):
    today = timezone.localdate()
    province = Unit.objects.get(code="DB")
    province_units = list(Unit.objects.subtree(province))
    everything = list(Unit.objects.all())
    for label, period in (
        (f"năm {today.year - 1}", periods.year(today.year - 1)),
        (f"năm {today.year} (đến hôm nay)", periods.date_range(date(today.year, 1, 1), today)),
    ):
        results.add(
            f"tổng hợp của bảng điều khiển, tỉnh DB, {label}, tính trực tiếp",
            alternate(lambda layout, p=period: live_figures(p, province_units), max(3, repeat // 2)),
            "reports.figures.counters.live_figures",
        )
    last_month = today.replace(day=1) - timedelta(days=1)
    month = periods.date_range(last_month.replace(day=1), last_month - timedelta(days=1))
    results.add(
        f"cộng dồn tháng đang chạy (đêm {last_month:%d/%m/%Y}), mọi đơn vị",
        alternate(lambda layout: live_figures(month, everything), max(3, repeat // 2)),
        "như reports.roll_up_running_month",
    )
    results.add(
        f"tổng hợp năm {today.year - 1}, cả cây (mọi đơn vị)",
        alternate(lambda layout: live_figures(periods.year(today.year - 1), everything), 3),
    )


class Sink(io.RawIOBase):
    def __init__(self):
        self.size = 0

    def writable(self):
        return True

    def write(self, data):
        self.size += len(data)
        return len(data)


def measure_export(results, repeat):
    y = timezone.localdate().year - 1
    queryset = export_queryset(date_from=date(y, 1, 1), date_to=date(y, 12, 31))
    rows = {}

    def run(layout):
        rows[layout] = csv_from_copy(Sink(), queryset)

    times = alternate(run, repeat, warm=False)
    results.add(f"xuất CSV cả năm {y} (COPY của cổng)", times, f"{number(rows['flat'])} dòng")


def measure_overdue(results, repeat):
    now = timezone.now()
    flagged = {}

    for label, as_of in (
        ("mỗi 15 phút (lúc này)", now),
        ("dồn 7 ngày (hạn trước now + 7 ngày)", now + timedelta(days=7)),
    ):
        before, after = payload(EventKind.OVERDUE, {"overdue_since": None}, {"overdue_since": as_of})

        def work(layout, as_of=as_of, before=before, after=after):
            if layout == "flat":
                flagged[layout] = _flag_and_record(as_of, now, before, after)
                return
            # The partitioned events need their dossier's year: the UPDATE returns it.
            update, params = _claim_sql(as_of)
            update = update.replace(' RETURNING "id"', ' RETURNING "id", "received_at"')
            flagged[layout] = sql(
                f"WITH flagged AS ({update}) INSERT INTO cases_dossierevent (dossier_id, dossier_received_at, kind, at,"
                " recorded_at, by_id, before, after, reason, warning) SELECT flagged.id, flagged.received_at, %s, %s,"
                " %s, NULL, %s::jsonb, %s::jsonb, '', '' FROM flagged",
                [*params, EventKind.OVERDUE.value, as_of, now, _json(before), _json(after)],
                fetch=False,
            )

        times = alternate(rolled_back(work), repeat, warm=False)
        results.add(f"flag_overdue, {label}", times, f"{number(flagged['flat'])} / {number(flagged['part'])} hồ sơ")


def _json(value):
    import json

    return json.dumps(value, ensure_ascii=False)


def measure_maintenance(results, repeat):
    """VACUUM after 100.000-odd dossiers of the running year changed, ANALYZE, and removing the oldest year."""
    if has_flat_copy():
        measure_vacuum(results, repeat)
    else:
        print("  (không có bản chép flat.cases_dossier: bỏ qua VACUUM/ANALYZE, chỉ đo bỏ năm cũ)", flush=True)
    measure_drop_year(results)


def has_flat_copy():
    return sql("SELECT to_regclass('flat.cases_dossier')")[0][0] is not None


def measure_vacuum(results, repeat):
    y = timezone.localdate().year
    start = datetime(y, 10, 1, tzinfo=VN)
    end = start + timedelta(days=7)
    targets = {"flat": "flat.cases_dossier", "part": "part.cases_dossier"}
    updated = {}
    vacuum = {layout: [] for layout in LAYOUTS}
    analyze_all = {layout: [] for layout in LAYOUTS}
    analyze_year = []
    for _ in range(repeat):
        for layout in LAYOUTS:
            updated[layout] = sql(
                f"UPDATE {targets[layout]} SET updated_at = updated_at WHERE received_at >= %s AND received_at < %s",
                [start, end],
                fetch=False,
            )
            table = targets[layout] if layout == "flat" else f"part.cases_dossier_{y}"
            began = time.perf_counter()
            sql(f"VACUUM {table}", fetch=False)
            vacuum[layout].append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            sql(f"ANALYZE {targets[layout]}", fetch=False)
            analyze_all[layout].append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        sql(f"ANALYZE part.cases_dossier_{y}", fetch=False)
        analyze_year.append((time.perf_counter() - began) * 1000)
    results.add(
        f"VACUUM sau khi sửa {number(updated['flat'])} hồ sơ tuần 01–07/10/{y}: bảng / phân vùng {y}",
        vacuum,
        "flat.cases_dossier vs part.cases_dossier_" + str(y),
    )
    results.add("ANALYZE cả bảng (phân vùng: cha + mọi phân vùng)", analyze_all)
    results.add(
        f"ANALYZE chỉ phân vùng {y}",
        {"flat": analyze_all["flat"], "part": analyze_year},
        "so với cả bảng không phân vùng",
    )


def measure_drop_year(results):
    oldest = sql("SELECT min(received_at) FROM part.cases_dossier")[0][0]
    old = timezone.localtime(oldest, VN).year
    removed = {}

    def drop_old_year(layout):
        if layout == "flat":
            # The portal's own tables, in a transaction rolled back: the year's events, clock stops and apologies
            # first, then its dossiers, foreign keys checked at each statement.
            bound = year_start(old + 1)
            old_ids = "SELECT id FROM public.cases_dossier WHERE received_at < %s"
            for table in ("public.cases_dossierevent", "public.cases_clockstop", "public.cases_apology"):
                sql(f"DELETE FROM {table} WHERE dossier_id IN ({old_ids})", [bound], fetch=False)
            removed[layout] = sql("DELETE FROM public.cases_dossier WHERE received_at < %s", [bound], fetch=False)
        else:
            removed[layout] = sql(f"SELECT count(*) FROM ONLY part.cases_dossier_{old}")[0][0]
            sql(f"ALTER TABLE part.cases_dossierevent DETACH PARTITION part.cases_dossierevent_{old}", fetch=False)
            # The detached events keep their own copy of the foreign key, which would refuse the dossiers' detach:
            # an archive of the year keeps both tables, without the key between them.
            for (name,) in sql(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0",
                [f"part.cases_dossierevent_{old}"],
            ):
                sql(f'ALTER TABLE part.cases_dossierevent_{old} DROP CONSTRAINT "{name}"', fetch=False)
            sql(f"ALTER TABLE part.cases_dossier DETACH PARTITION part.cases_dossier_{old}", fetch=False)
            sql(f"DROP TABLE part.cases_dossierevent_{old}, part.cases_dossier_{old}", fetch=False)

    times = alternate(rolled_back(drop_old_year), 2, warm=False)
    results.add(
        f"bỏ năm {old}: DELETE (hồ sơ + diễn biến…) / DETACH + DROP",
        times,
        f"{number(removed['flat'])} hồ sơ; rolled back",
    )


def sizes():
    print("\nKích thước (pg_total_relation_size / pg_relation_size / pg_indexes_size)")
    tables = [
        ("public.cases_dossier", "hồ sơ, không phân vùng (của cổng, chỉ mục lớn dần theo từng dòng)"),
        ("flat.cases_dossier", "hồ sơ, không phân vùng (bản chép, chỉ mục dựng một lần)"),
        ("part.cases_dossier", "hồ sơ, phân vùng theo năm (chỉ mục dựng một lần)"),
        ("public.cases_dossierevent", "diễn biến, không phân vùng (của cổng)"),
        ("part.cases_dossierevent", "diễn biến, phân vùng (thêm dossier_received_at)"),
        ("public.cases_clockstop", "lần dừng tính thời hạn (của cổng)"),
        ("public.cases_apology", "thư xin lỗi (của cổng)"),
    ]
    print("| table | rows | heap | indexes | total | bytes/row (total) |\n|---|---:|---:|---:|---:|---:|")
    for table, label in tables:
        if sql("SELECT to_regclass(%s)", [table])[0][0] is None:
            continue
        # A partitioned table's leaves, or the plain table itself (pg_partition_tree lists nothing for it).
        heap, indexes, total, rows = sql(
            "WITH leaves AS (SELECT relid FROM pg_partition_tree(%s::regclass) WHERE isleaf"
            " UNION SELECT %s::regclass WHERE NOT EXISTS (SELECT FROM pg_partition_tree(%s::regclass) WHERE isleaf))"
            " SELECT sum(pg_relation_size(l.relid)), sum(pg_indexes_size(l.relid)),"
            " sum(pg_total_relation_size(l.relid)),"
            " sum(greatest(c.reltuples, 0))::bigint FROM leaves l JOIN pg_class c ON c.oid = l.relid",
            [table, table, table],
        )[0]
        print(
            f"| {label} | {number(rows)} | {_mb(heap)} | {_mb(indexes)} | {_mb(total)} "
            f"| {number(total / max(rows, 1))} |"
        )
    print("\n| partition | rows | total |\n|---|---:|---:|")
    for name, rows, total in sql(
        "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)"
        " FROM pg_partition_tree('part.cases_dossier') t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf ORDER BY 1"
    ):
        print(f"| {name} | {number(max(rows, 0))} | {_mb(total)} |")
    print("\n| index | portal's table | flat copy | partitioned (sum of partitions) |\n|---|---:|---:|---:|")
    sized = "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes WHERE schemaname = %s"
    portal, flat = (
        dict(sql(sized + " AND relname IN ('cases_dossier', 'cases_dossierevent')", ["public"])),
        dict(sql(sized, ["flat"])),
    )
    parted = {}
    for parent in ("cases_dossier", "cases_dossierevent"):
        for name, size in sql(
            "SELECT i.relname, (SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree(i.oid))"
            " FROM pg_class i JOIN pg_index x ON x.indexrelid = i.oid WHERE x.indrelid = %s::regclass",
            [f"part.{parent}"],
        ):
            parted[name] = size
    for name in sorted(portal):
        print(f"| {name} | {_mb(portal[name])} | {_mb(flat.get(name))} | {_mb(parted.get(name))} |")


def _mb(size):
    return "—" if size is None else f"{number(size / 1024 / 1024, 1)} MB"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--build", nargs="?", const="part,flat", default="",
        help="build the schemas `part` and `flat` (or only those named: --build part); drops them first",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="lists,lookups,reports,export,overdue,maintenance,sizes")
    args = parser.parse_args()
    sql("SET jit = off")
    if args.build:
        build(set(args.build.split(",")))
        return
    only = set(filter(None, args.only.split(",")))
    results = Results()
    flat = "flat.cases_dossier (bản chép)" if has_flat_copy() else "public.cases_dossier (bảng của cổng)"
    print(f"Không phân vùng: {flat}; phân vùng: part.cases_dossier, part.cases_dossierevent")
    print(f"{'trường hợp':64} {'phẳng':>10} {'phân vùng':>10} {'tỉ lệ':>7}")
    steps = [
        ("lookups", lambda: measure_lookups(results, args.repeat * 2)),
        ("lists", lambda: measure_lists(results, args.repeat)),
        ("reports", lambda: measure_reports(results, args.repeat)),
        ("overdue", lambda: measure_overdue(results, 3)),
        ("export", lambda: measure_export(results, 2)),
        ("maintenance", lambda: measure_maintenance(results, 2)),
    ]
    for name, run in steps:
        if not only or name in only:
            run()
    print()
    print(results.markdown())
    if not only or "sizes" in only:
        sizes()


if __name__ == "__main__":
    main()
