"""Peak memory of checking an import (what an upload's check and `import_dossiers --dry-run` do), for large files
and for XLSX bombs; each case runs in its own process so that its peak RSS (getrusage maxrss) is its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hb .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hb .venv/bin/python manage.py load_fixtures
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_hb .venv/bin/python bench/import_memory.py [--rows 100000]

Nothing is written to the database. The bombs are built here: a sheet of one cell repeated (a few MB that unpack
to about 1 GB of XML) and a shared-strings table that unpacks about 400 times.
"""

import argparse
import io
import json
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from exchange import peak_mb, setup_django  # noqa: E402  (bench/ is this script's folder: the same helpers)

OUT = ROOT / "var" / "bench" / "import_memory"
HEADER = [
    "ma_ho_so", "ma_thu_tuc", "ma_don_vi", "ngay_tiep_nhan", "ngay_hen_tra", "ngay_co_ket_qua", "ngay_tra_ket_qua",
    "hinh_thuc_nop", "nguoi_nop", "so_dien_thoai", "dia_chi", "trang_thai",
]  # fmt: skip


# --- the files ----------------------------------------------------------------------------------------------------
def rows(count):
    from cases.catalogue.models import Procedure, Unit

    units = list(Unit.objects.filter(level="xa").values_list("code", flat=True)[:20]) or ["DBD-PH"]
    procedures = list(Procedure.objects.filter(active=True).values_list("code", flat=True)[:20])
    for n in range(count):
        unit = units[n % len(units)]
        yield [
            f"{unit}-BENCH-{n:07d}", procedures[n % len(procedures)], unit, f"{1 + n % 28:02d}/03/2024 08:00",
            "", "", "", "truc_tiep", f"Người nộp số {n}", f"09{n % 100_000_000:08d}", f"bản số {n % 300}", "",
        ]  # fmt: skip


def write_files(count):
    from openpyxl import Workbook

    OUT.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = OUT / f"lon-{count}.csv", OUT / f"lon-{count}.xlsx"
    if not csv_path.exists():
        with open(csv_path, "w", encoding="utf-8") as handle:
            handle.write(",".join(HEADER) + "\n")
            for row in rows(count):
                handle.write(",".join(row) + "\n")
    if not xlsx_path.exists():
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Hồ sơ")
        sheet.append(HEADER)
        for row in rows(count):
            sheet.append(row)
        book.save(xlsx_path)
    sheet_bomb = OUT / "bom-trang-tinh.xlsx"
    if not sheet_bomb.exists():
        _sheet_bomb(sheet_bomb, 1024)
    strings_bomb = OUT / "bom-chuoi.xlsx"
    if not strings_bomb.exists():
        _strings_bomb(strings_bomb, 300)
    return {"csv": csv_path, "xlsx": xlsx_path, "sheet_bomb": sheet_bomb, "strings_bomb": strings_bomb}


def _skeleton():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(HEADER)
    buffer = io.BytesIO()
    book.save(buffer)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def _bomb(path, name, head, unit, tail, megabytes):
    source = _skeleton()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item.filename))
        with out.open(name, "w", force_zip64=True) as member:
            member.write(head.encode())
            block = unit.encode() * (1024 * 1024 // len(unit))
            for _ in range(megabytes):
                member.write(block)
            member.write(tail.encode())


def _sheet_bomb(path, megabytes):
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>'
    cell = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    _bomb(path, "xl/worksheets/sheet1.xml", head, cell, "</sheetData></worksheet>", megabytes)


def _strings_bomb(path, megabytes):
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    _bomb(path, "xl/sharedStrings.xml", f'<sst xmlns="{ns}">', "<si><t>chuỗi</t></si>", "</sst>", megabytes)


# --- one case, in its own process ---------------------------------------------------------------------------------
def run_case(path, unguarded):
    setup_django()
    from django.conf import settings

    from cases.exchange.dossiers import DossierImporter

    if unguarded:
        limit = 1536 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        settings.IMPORT_XLSX_MAX_RATIO = settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB = 10**6
        settings.IMPORT_XLSX_MAX_UNPACKED_MB = 10**6
    started = time.perf_counter()
    try:
        result = DossierImporter(Path(path)).validate()
        outcome = {"rows": result.rows_read, "errors": len(result.errors), "first": (result.errors or [""])[0][:160]}
    except MemoryError:
        outcome = {"rows": 0, "errors": 1, "first": "MemoryError (the 1,5 GB ceiling)"}
    outcome.update(seconds=round(time.perf_counter() - started, 1), peak_mb=round(peak_mb()))
    print(json.dumps(outcome, ensure_ascii=False))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--case")
    parser.add_argument("--unguarded", action="store_true")
    args = parser.parse_args()
    if args.case:
        return run_case(args.case, args.unguarded)
    setup_django()
    files = write_files(args.rows)
    baseline = subprocess.run(
        [sys.executable, "-c", "import sys, resource; sys.path.insert(0, '.'); import os; "
         "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); import django; django.setup(); "
         "import cases.exchange.dossiers; print(round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    print(f"Django and the importer loaded: {baseline.stdout.strip()} MB")
    cases = [
        (f"CSV, {args.rows:,} rows", files["csv"], False),
        (f"XLSX, {args.rows:,} rows", files["xlsx"], False),
        ("sheet bomb", files["sheet_bomb"], False),
        ("shared-strings bomb", files["strings_bomb"], False),
    ]
    for label, path, unguarded in cases:
        command = [sys.executable, __file__, "--case", str(path)] + (["--unguarded"] if unguarded else [])
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
        line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-200:]
        size = Path(path).stat().st_size / 1024 / 1024
        unpacked = (
            sum(i.file_size for i in zipfile.ZipFile(path).infolist()) / 1024 / 1024 if path.suffix == ".xlsx" else size
        )  # noqa: E501
        print(f"{label}: file {size:.1f} MB (unpacked {unpacked:,.0f} MB) → {line}")


if __name__ == "__main__":
    main()
