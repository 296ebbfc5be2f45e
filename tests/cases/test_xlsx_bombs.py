"""XLSX bombs and oversized files: refused from the zip's directory before anything is unpacked, with a
Vietnamese message and a job in a final state; the web request never parses an XLSX."""

import io
import subprocess
import sys
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from cases import tasks
from cases.exchange import reading
from cases.exchange.columns import DOSSIER_KEYS
from cases.exchange.dossiers import DossierImporter
from cases.models import Dossier, Job, JobState

ROW = ["PH-{n}", "1.004837", "DBD-PH", "04/03/2024 08:00", "", "", "", "truc_tiep", "Giàng A Páo", "", "", ""]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook_bytes(rows=2):
    book = Workbook()
    sheet = book.active
    sheet.append(list(DOSSIER_KEYS))
    for n in range(rows):
        sheet.append([cell.format(n=n) for cell in ROW])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replaced(data, name, content):
    """The same XLSX with one member's content replaced (or added)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item.filename))
        out.writestr(name, content)
    return target.getvalue()


def sheet_bomb(megabytes=24):
    """A sheet of the same cell repeated: megabytes of XML from a few dozen kilobytes."""
    row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    body = row * (megabytes * 1024 * 1024 // len(row))
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main"><sheetData>{body}</sheetData></worksheet>'
    )
    return replaced(workbook_bytes(), "xl/worksheets/sheet1.xml", xml)


def shared_strings_bomb():
    """A shared-strings table of distinct strings (compresses only a little, but is held in memory whole)."""
    items = "".join(f"<si><t>chuỗi số {n} {n * 7919 % 104729}</t></si>" for n in range(90_000))
    xml = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{items}</sst>'
    return replaced(workbook_bytes(), "xl/sharedStrings.xml", xml)


def test_a_sheet_that_unpacks_hundreds_of_times_its_size_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "bom.xlsx"
    path.write_bytes(sheet_bomb())
    monkeypatch.setattr(reading, "load_workbook", _never)
    with pytest.raises(reading.FileRefused, match=r"nén [\d.]+ lần .* vượt giới hạn 100 lần"):
        reading.open_sheet(path)
    result = DossierImporter(path).validate()
    assert "có thể là tệp độc hại" in result.errors[0]


def test_a_large_shared_strings_table_is_refused(tmp_path, settings, monkeypatch):
    settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB = 1
    path = tmp_path / "chuoi.xlsx"
    path.write_bytes(shared_strings_bomb())
    monkeypatch.setattr(reading, "load_workbook", _never)
    with pytest.raises(reading.FileRefused, match="Bảng chuỗi dùng chung .* quá giới hạn 1 MB"):
        reading.open_sheet(path)


def test_the_total_unpacked_size_is_bounded(tmp_path, settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_MB = 1
    settings.IMPORT_XLSX_MAX_RATIO = 10_000
    path = tmp_path / "lon.xlsx"
    path.write_bytes(sheet_bomb(2))
    with pytest.raises(reading.FileRefused, match="giải nén ra 2,0 MB, quá giới hạn 1 MB"):
        reading.open_sheet(path)


def test_a_declared_size_past_the_row_limit_is_refused(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 100
    data = workbook_bytes(3)
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    xml = xml.replace('<dimension ref="A1:N4"/>', '<dimension ref="A1:L1048576"/>')
    path = tmp_path / "khai.xlsx"
    path.write_bytes(replaced(data, "xl/worksheets/sheet1.xml", xml))
    with pytest.raises(reading.FileRefused, match="khai báo 1.048.576 dòng, quá giới hạn 100 dòng"):
        reading.open_sheet(path)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_rows_really_read_are_counted_too(tmp_path, settings, kind, units, procedures):
    settings.IMPORT_MAX_ROWS = 5
    path = tmp_path / f"nhieu.{kind}"
    if kind == "xlsx":
        data = workbook_bytes(8)
        xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
        path.write_bytes(replaced(data, "xl/worksheets/sheet1.xml", xml.replace('<dimension ref="A1:N9"/>', "")))
    else:
        path.write_text(
            ",".join(DOSSIER_KEYS) + "\n" + "".join(",".join(ROW).format(n=n) + "\n" for n in range(8)), "utf-8"
        )
    result = DossierImporter(path).validate()
    assert result.errors == [
        "dòng 7: tệp có hơn 5 dòng dữ liệu, quá giới hạn một lần nhập; hãy chia thành nhiều tệp nhỏ hơn."
    ]
    assert result.refused == 1


def test_an_uploaded_bomb_is_refused_in_the_request_without_parsing_and_the_job_fails(
    client, cast, settings, monkeypatch
):
    client.force_login(cast["desk_pu_hong"])
    monkeypatch.setattr(reading, "load_workbook", _never)
    response = client.post(reverse("cases:import_upload"), {"file": SimpleUploadedFile("bom.xlsx", sheet_bomb())})
    job = Job.objects.latest("pk")
    assert job.state == JobState.FAILED and job.finished_at is not None
    assert "có thể là tệp độc hại" in job.message
    page = client.get(response["Location"]).content.decode()
    assert "có thể là tệp độc hại" in page


def test_an_xlsx_upload_is_parsed_by_the_worker_never_in_the_request(client, cast, procedures, settings, monkeypatch):
    client.force_login(cast["desk_pu_hong"])
    sent = []
    monkeypatch.setattr(tasks.import_dossiers, "apply_async", lambda *args, **kwargs: sent.append(args))
    monkeypatch.setattr(reading, "load_workbook", _never)
    client.post(reverse("cases:import_upload"), {"file": SimpleUploadedFile("nho.xlsx", workbook_bytes(2))})
    job = Job.objects.latest("pk")
    assert (job.state, job.params["stage"], job.total) == (JobState.QUEUED, "check", 2)
    monkeypatch.undo()
    tasks.import_dossiers.apply(args=(job.pk,))  # what the worker does
    job.refresh_from_db()
    assert (job.state, job.result["refused"]) == (JobState.UPLOADED, 0)
    assert not Dossier.objects.exists()


def _never(*args, **kwargs):
    raise AssertionError("the file was parsed")


def test_a_worker_child_has_a_hard_memory_ceiling():
    """What portal/celery.py does in each worker child: past WORKER_MEMORY_LIMIT_MB an allocation fails with a
    MemoryError (the task's job is marked failed) instead of growing until the machine swaps."""
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup()\n"
        "from django.conf import settings; settings.WORKER_MEMORY_LIMIT_MB = 400\n"
        "from billiard import current_process; current_process().name = 'ForkPoolWorker-1'\n"
        "from portal.celery import _memory_ceiling; _memory_ceiling()\n"
        "try:\n    block = bytearray(800 * 1024 * 1024)\nexcept MemoryError:\n    print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "refused", done.stderr
