"""Speed of the exchange format: import 150.000 dossiers, export them as CSV and XLSX, and the peak memory of each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_h2 .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_h2 .venv/bin/python manage.py load_fixtures
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_h2 .venv/bin/python bench/exchange.py
    # only the first step (the import of new rows into an empty table):
    DATABASE_URL=… .venv/bin/python bench/exchange.py --first-import

Each step runs in its own process so that its peak memory (getrusage maxrss) is its own. The dossiers of the
bench database are deleted first: run it only against a database made for it (its name must contain "bench").
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Lò", "Vàng", "Giàng", "Sùng", "Quàng"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "A", "Hữu"]
GIVEN = ["An", "Bình", "Chiến", "Dung", "Hà", "Hùng", "Lan", "Mai", "Nam", "Pó", "Sinh", "Thào", "Tú", "Xuân"]
VILLAGES = ["bản Pú Hồng", "bản Keo Lôm", "thôn Đắk Sôr", "thôn 3", "khu phố Yên Cát", "tổ dân phố số 2"]


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path, rows, prefix, seed):
    """A file as a provincial system would export it: most due dates blank, some given, a few odd states."""
    setup_django()
    from cases.models import Procedure, Unit

    rng = random.Random(seed)
    validity = list(Unit.objects.filter(level__in=["xa", "huyen"]).values_list("code", "valid_from", "valid_to"))
    units = [code for code, _, _ in validity]
    open_on = {}  # day → the units receiving that day (the 2025 reform closed some and opened others)
    procedures = list(Procedure.objects.values_list("code", "processing_days"))
    start = date(2023, 1, 2)
    days = (date(2025, 12, 31) - start).days
    header = "ma_ho_so,ma_thu_tuc,ma_don_vi,ngay_tiep_nhan,ngay_hen_tra,ngay_co_ket_qua,ngay_tra_ket_qua,"
    header += "hinh_thuc_nop,nguoi_nop,so_dien_thoai,dia_chi,trang_thai\n"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        for number in range(rows):
            procedure, processing_days = rng.choice(procedures)
            day = start + timedelta(days=rng.randrange(days))
            while day.weekday() >= 5:
                day += timedelta(days=1)
            if day not in open_on:
                open_on[day] = [c for c, start, end in validity if (start or day) <= day <= (end or day)]
            received = datetime(
                day.year, day.month, day.day, rng.choice([7, 8, 9, 10, 13, 14, 15, 16]), rng.randrange(60)
            )
            due = resolved = returned = state = ""
            if rng.random() < 0.1:
                due = f"{day + timedelta(days=processing_days + 2):%d/%m/%Y}"
            fate = rng.random()
            if fate < 0.75:
                done = received + timedelta(days=rng.randrange(processing_days + 3), minutes=rng.randrange(240))
                resolved = f"{done:%d/%m/%Y %H:%M}"
                if rng.random() < 0.85:
                    returned = f"{done + timedelta(days=rng.randrange(3)):%d/%m/%Y %H:%M}"
            elif fate < 0.77:
                state = rng.choice(["bo_sung", "tam_dung", "tu_choi", "rut"])
            channel = rng.choices(["truc_tiep", "truc_tuyen", "buu_chinh"], [55, 43, 2])[0]
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.8 else ""
            address = f"{rng.choice(VILLAGES)}, {rng.choice(units)}"
            unit = rng.choice(open_on[day])
            handle.write(
                f"{prefix}{number:07d},{procedure},{unit},{received:%d/%m/%Y %H:%M},{due},{resolved},"
                f'{returned},{channel},{name},{phone},"{address}",{state}\n'
            )


def cpu_seconds(backend=None):
    """CPU time (user + system) of this process, or of the PostgreSQL backend `backend` (its pid, same machine)."""
    if backend is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server elsewhere: not measured
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(step, path, extra):
    """One measured step, in this process; prints a JSON line."""
    setup_django()
    from django.db import connection

    from cases.exchange.dossiers import DossierImporter
    from cases.exchange.export import export_dossiers, export_queryset

    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    cpu, db_cpu = cpu_seconds(), cpu_seconds(backend) if backend else 0.0
    began = time.perf_counter()
    report = {"step": step}
    if step == "import":
        importer = DossierImporter(path)
        result = importer.validate()
        validated = time.perf_counter()
        if result.errors:
            report["errors"] = result.errors[:5]
        else:
            importer.write()
        report.update(
            validate_s=round(validated - began, 1),
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            refused=result.refused,
            warnings=len(result.warnings),
        )
    elif step == "export":
        report["rows"] = export_dossiers(path, export_queryset())
    elif step == "floor":
        report.update(copy_floor())
    elif step == "generate":
        rows, prefix, seed = extra
        generate(path, int(rows), prefix, int(seed))
        report["rows"] = int(rows)
    seconds = time.perf_counter() - began
    report.update(seconds=round(seconds, 1), cpu_s=round(cpu_seconds() - cpu, 1))
    if backend:  # the database's share, which the load of other processes does not inflate as it does wall time
        report["db_cpu_s"] = round(cpu_seconds(backend) - db_cpu, 1)
    report.update(peak_mb=round(peak_mb()), path=str(path))
    if "rows" in report or "created" in report:
        rows = report.get("rows") or (report["created"] + report["updated"] + report["unchanged"])
        report["rows_per_s"] = round(rows / seconds) if seconds else None
    print(json.dumps(report, ensure_ascii=False), flush=True)


def run(step, path, *extra):
    output = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path), *map(str, extra)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    report = json.loads(output.strip().splitlines()[-1])
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return report


def compare_export(rows, rounds):
    """Ours (CSV and XLSX, formatted by PostgreSQL) against the bare COPY of the same cells without the formula
    guard, alternately on the first `rows` dossiers of the database as it is (nothing is deleted)."""
    setup_django()
    import statistics

    from django.db import connection

    from cases.desk.models import Dossier
    from cases.exchange.export import csv_from_copy, export_queryset, xlsx_from_copy

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM cases_dossier ORDER BY id OFFSET %s LIMIT 1", [rows - 1])
        last = cursor.fetchone()[0]
    queryset = export_queryset(queryset=Dossier.objects.filter(pk__lte=last))
    bare = (
        "COPY (SELECT d.code, p.code, u.code, to_char(d.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh', "
        "'DD/MM/YYYY HH24:MI'), to_char(d.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY HH24:MI'), "
        "to_char(d.resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY HH24:MI'), "
        "to_char(d.returned_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'DD/MM/YYYY HH24:MI'), d.channel, d.applicant_name, "
        "d.applicant_phone, d.applicant_address, d.state FROM cases_dossier d JOIN cases_procedure p ON "
        f"p.id = d.procedure_id JOIN cases_unit u ON u.id = d.unit_id WHERE d.id <= {last} ORDER BY d.id) "
        "TO STDOUT WITH (FORMAT csv)"
    )
    times = {"ours_csv": [], "bare_copy": [], "ours_xlsx": []}
    for _ in range(rounds):
        for name in times:
            target = OUT / f"compare.{'xlsx' if name.endswith('xlsx') else 'csv'}"
            began = time.perf_counter()
            if name == "ours_csv":
                csv_from_copy(target, queryset)
            elif name == "ours_xlsx":
                xlsx_from_copy(target, queryset)
            else:
                with open(target, "wb") as handle, connection.cursor() as cursor:
                    cursor.cursor.copy_expert(bare, handle)
            times[name].append(time.perf_counter() - began)
            print(f"{name}: {rows / times[name][-1]:,.0f} rows/s ({times[name][-1]:.1f} s)", flush=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"median rows/s: ours CSV {rows / median['ours_csv']:,.0f}, bare COPY {rows / median['bare_copy']:,.0f}, "
        f"ours XLSX {rows / median['ours_xlsx']:,.0f}; ours CSV at "
        f"{median['bare_copy'] / median['ours_csv']:.0%} of COPY's speed; peak {peak_mb():.0f} MB"
    )


def copy_floor():
    """The floor of an import's writing: the bare COPY of the rows it wrote (dossiers and their events, read back)
    into the emptied tables with their indexes, constraints and the commit's foreign-key checks; nothing checked
    or formatted. Leaves the tables as the import did."""
    import io

    from django.db import connection, transaction

    from cases.desk.models import Dossier, DossierEvent

    quote = connection.ops.quote_name
    copies = []
    with connection.cursor() as cursor:
        for model in (Dossier, DossierEvent):
            columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields if not f.generated)
            buffer = io.StringIO()
            query = f"COPY (SELECT {columns} FROM {model._meta.db_table} ORDER BY id) TO STDOUT"
            cursor.cursor.copy_expert(query, buffer)
            copies.append((model._meta.db_table, columns, buffer))
    reset()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    began, db_cpu = time.perf_counter(), cpu_seconds(backend)
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, buffer in copies:
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
    seconds, db_cpu = time.perf_counter() - began, cpu_seconds(backend) - db_cpu
    with connection.cursor() as cursor:
        for table, _, _ in copies:  # the ids were given: the sequences move past them
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    rows = Dossier.objects.count()
    return {
        "floor_s": round(seconds, 1),
        "floor_db_cpu_s": round(db_cpu, 1),
        "floor_rows": rows,
        "floor_rows_per_s": round(rows / max(seconds, 0.001)),
    }


def reset():
    setup_django()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise SystemExit(f"Refusing to delete the dossiers of {name!r}: use a database whose name contains 'bench'.")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = "cases_dossierstep, cases_dossierevent, cases_clockstop, cases_dossier"
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for table in ("cases_dossierstep", "cases_dossierevent", "cases_clockstop", "cases_dossier"):
                cursor.execute(f"DELETE FROM {table}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare-export", type=int, metavar="ROWS", help="only compare the exports with COPY on ROWS dossiers"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--first-import", action="store_true", help="only the first step: import the first file into an empty table"
    )
    args = parser.parse_args()
    if args.compare_export:
        OUT.mkdir(parents=True, exist_ok=True)
        return compare_export(args.compare_export, args.rounds)
    if args.child:
        step, path, *extra = args.child
        return child(step, Path(path), extra)
    OUT.mkdir(parents=True, exist_ok=True)
    reset()
    first, second = OUT / f"dossiers_{args.rows}_a.csv", OUT / f"dossiers_{args.rows}_b.csv"
    run("generate", first, args.rows, "BENCH-A-", 1)
    if args.first_import:
        run("import", first)
        return run("floor", first)
    run("generate", second, args.rows, "BENCH-B-", 2)
    run("import", first)
    run("import", first)  # the same file again: nothing changes
    run("export", OUT / f"export_{args.rows}.csv")
    run("export", OUT / f"export_{args.rows}.xlsx")
    run("import", second)
    run("export", OUT / f"export_{2 * args.rows}.csv")
    run("export", OUT / f"export_{2 * args.rows}.xlsx")


if __name__ == "__main__":
    main()
