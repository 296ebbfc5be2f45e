"""Speed of the dossier steps' exchange: import 150.000 dossiers with their steps (≈ 4 each), again, export them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_h13x_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_h13x_bench .venv/bin/python manage.py load_fixtures
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_h13x_bench .venv/bin/python bench/import_steps.py \
        [--rows 150000]

The dossiers file is bench/exchange.py's (a provincial export); the steps file follows each dossier's process (the
fixtures' processes, loaded by load_fixtures) from its dates: a returned dossier went through every step, the last
ended with it; a resolved one waits at the desk's last step; an open one is at its second step; a refused one
ended at its first. Due times are blank (computed) but for 10%; the officials are named people. Each step runs in
its own process ("peak" is its maxrss), and the import is set beside the bare COPY of the same step rows into a
copy of the table with the same indexes (the floor the database sets). The bench database's dossiers are deleted
first: its name must contain "bench".
"""

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exchange import OUT, generate, peak_mb, reset, setup_django  # noqa: E402 — bench/exchange.py's helpers

NAMES = [
    "Lò Văn Dũng",
    "Giàng A Sử",
    "Vàng Thị Mai",
    "Nguyễn Thị Hoa",
    "Quàng Văn Chuyên",
    "Cà Thị Lan",
    "Trần Văn Bình",
]


def moment(text):
    return datetime.strptime(text, "%d/%m/%Y %H:%M")


def shown(value):
    return f"{value:%d/%m/%Y %H:%M}"


def generate_steps(dossiers_path, path, seed):
    """The steps of every dossier of the dossiers file, in the exchange format."""
    setup_django()
    from cases.catalogue.calendar import calendar
    from cases.catalogue.models import Procedure, Unit
    from cases.catalogue.processes import Plans

    rng = random.Random(seed)
    wc = calendar()
    plans = Plans(wc.working_day_seconds)
    procedures = {p.code: p for p in Procedure.objects.only("code", "processing_days")}
    units = dict(Unit.objects.values_list("code", "id"))
    codes = {pk: code for code, pk in units.items()}
    count = 0
    with open(dossiers_path, encoding="utf-8", newline="") as source, open(path, "w", encoding="utf-8") as target:
        writer = csv.writer(target)
        writer.writerow(["ma_ho_so", "buoc", "ten_buoc", "don_vi_xu_ly", "nguoi_xu_ly", "nhan_luc", "han_xu_ly",
                         "hoan_thanh_luc", "ket_qua", "ly_do"])  # fmt: skip
        for row in csv.DictReader(source):
            unit_id = units[row["ma_don_vi"]]
            plan = plans.plan(procedures[row["ma_thu_tuc"]], unit_id)
            received = moment(row["ngay_tiep_nhan"])
            resolved = moment(row["ngay_co_ket_qua"]) if row["ngay_co_ket_qua"] else None
            returned = moment(row["ngay_tra_ket_qua"]) if row["ngay_tra_ket_qua"] else None
            work, last = plan[:-1], plan[-1]
            times = []  # (planned step, taken, finished, end)
            if resolved is not None:
                span = (resolved - received) / len(work)
                for index, step in enumerate(work):
                    start = received + span * index
                    taken = start if index == 0 else start + min(timedelta(minutes=10), span / 4)
                    times.append((step, taken, received + span * (index + 1) if index < len(work) - 1 else resolved,
                                  "chuyen"))  # fmt: skip
                times.append((last, resolved, returned, "ket_thuc" if returned else ""))
            elif row["trang_thai"] in ("tu_choi", "rut"):
                times.append((plan[0], received, received + timedelta(minutes=30), "ket_thuc"))
            else:
                times.append((plan[0], received, received + timedelta(minutes=30), "chuyen"))
                times.append((plan[1], received + timedelta(hours=1), None, ""))
            for step, taken, finished, end in times:
                due = ""
                if rng.random() < 0.1:
                    due = shown(wc.add_working_time(taken.replace(tzinfo=wc.tz), step.seconds + 3600))
                writer.writerow([
                    row["ma_ho_so"], step.number, step.name, codes[step.unit_id_for(unit_id)],
                    rng.choice(NAMES) if rng.random() < 0.9 else "", shown(taken), due,
                    shown(finished) if finished else "", end, "",
                ])  # fmt: skip
                count += 1
    return count


def bare_copy():
    """The floor: the step rows COPY'd out and back into a copy of the table with the same indexes (seconds)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bare_steps (LIKE cases_dossierstep INCLUDING ALL) ON COMMIT DROP")
        buffer = __import__("io").StringIO()
        cursor.cursor.copy_expert("COPY cases_dossierstep TO STDOUT", buffer)
        buffer.seek(0)
        began = time.perf_counter()
        cursor.cursor.copy_expert("COPY bare_steps FROM STDIN", buffer)
        return time.perf_counter() - began


def child(step, path, extra):
    setup_django()
    from cases.exchange.dossier_steps import DossierStepImporter, export_dossier_steps
    from cases.exchange.dossiers import DossierImporter

    began = time.perf_counter()
    report = {"step": step}
    if step in ("import_dossiers", "import_steps"):
        importer = (DossierImporter if step == "import_dossiers" else DossierStepImporter)(path)
        result = importer.validate()
        validated = time.perf_counter()
        if result.errors:
            report["errors"] = result.errors[:5]
        else:
            importer.write()
        report.update(
            validate_s=round(validated - began, 1), created=result.created, updated=result.updated,
            unchanged=result.unchanged, refused=result.refused, warnings=len(result.warnings),
        )  # fmt: skip
    elif step == "export_steps":
        report["rows"] = export_dossier_steps(path)
    elif step == "bare_copy":
        report["copy_s"] = round(bare_copy(), 1)
    elif step == "generate":
        rows, prefix, seed = extra
        generate(path, int(rows), prefix, int(seed))
        report["rows"] = int(rows)
    elif step == "generate_steps":
        report["rows"] = generate_steps(Path(extra[0]), path, 1)
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time of this process: on a shared machine the wall time also measures the other sessions.
    report.update(seconds=round(seconds, 1), cpu_s=round(usage.ru_utime + usage.ru_stime, 1), peak_mb=round(peak_mb()))
    report["path"] = str(path)
    rows = report.get("rows") or sum(report.get(key, 0) for key in ("created", "updated", "unchanged"))
    if rows and step != "bare_copy":
        report["rows_per_s"] = round(rows / seconds)
    print(json.dumps(report, ensure_ascii=False), flush=True)


def run(step, path, *extra):
    output = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path), *map(str, extra)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    report = json.loads(output.strip().splitlines()[-1])
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, path, *extra = args.child
        return child(step, Path(path), extra)
    OUT.mkdir(parents=True, exist_ok=True)
    reset()
    dossiers, steps = OUT / f"dossiers_{args.rows}_s.csv", OUT / f"steps_{args.rows}.csv"
    run("generate", dossiers, args.rows, "BENCH-S-", 3)
    run("import_dossiers", dossiers)
    run("generate_steps", steps, dossiers)
    first = run("import_steps", steps)
    floor = run("bare_copy", steps)
    run("import_steps", steps)  # the same file again: nothing changes
    run("export_steps", OUT / f"export_steps_{args.rows}.csv")
    print(
        f"import of {first['created']} steps: {first['seconds']} s; bare COPY of the same rows: {floor['copy_s']} s "
        f"(×{first['seconds'] / max(floor['copy_s'], 0.1):.1f})"
    )


if __name__ == "__main__":
    main()
