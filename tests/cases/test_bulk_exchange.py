"""The bulk paths of issue 12: the CSV and XLSX exports that PostgreSQL formats (COPY) give the same bytes and
cells as the Python writers, on hostile and ordinary data; a large import and overdue run refresh the planner's
statistics; flag_overdue's single statement writes the events the desk's rules write, once."""

import io
import json
from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from openpyxl import load_workbook

from cases.core import copy as bulk
from cases.desk.states import EventKind, first_payload_sql, payload
from cases.exchange.columns import DOSSIER_KEYS
from cases.exchange.dossiers import DossierImporter
from cases.exchange.export import (
    csv_from_copy,
    dossier_rows,
    export_dossiers,
    export_queryset,
    write_csv,
    write_xlsx,
    xlsx_from_copy,
)
from cases.followup.overdue import flag_overdue
from cases.models import Dossier, DossierEvent
from tests.conftest import make, vn

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY paths are PostgreSQL's")

# Text a user, an import or an old system may have left in a dossier: formula starts (after quotes, blanks),
# the CSV's own characters, line breaks, XML's special characters, controls XML cannot hold, `\.` (COPY's end
# marker), backslashes, blanks at either end, Vietnamese letters.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+84 912 345 678",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "'=already quoted",
    "''+twice quoted",
    "'plain quote",
    "\t=1+1",
    "\r=1+1",
    "dòng 1\ndòng 2",
    "dòng 1\r\ndòng 2",
    'a "quoted", comma',
    "semi;colon",
    "<b>&amp; tag</b> & > <",
    "bell\x07 and\x1f unit",
    "\\.",
    "C:\\Windows\\path",
    "  spaces around  ",
    "Nguyễn Thị Ánh Tuyết",
    "",
]


@pytest.fixture
def hostile(units, procedures):
    made = []
    for number, text in enumerate(HOSTILE, start=1):
        dossier = make(
            f"DBD-PH-240301-{number:04d}",
            units["pu_hong"],
            procedures["land"],
            vn(2024, 3, 1, 8, number),
            vn(2024, 3, 7, 17),
            resolved=vn(2024, 3, 6, 9, 5) if number % 3 == 0 else None,
            applicant_address=text,
        )
        Dossier.objects.filter(pk=dossier.pk).update(
            applicant_name=text or "Lò Văn Pó",
            applicant_phone=text[:30],
            papers_digitized=number % 2 == 0,
            result_digitized=number % 3 == 0,
        )
        made.append(dossier)
    # Ordinary rows, in other units, with states a file states, and a year before 2000.
    make("HS-0001", units["pu_hong"], procedures["land"], vn(1999, 12, 31, 23, 59), vn(2000, 1, 5, 17))
    make("HS-0002", units["pu_hong"], procedures["land"], vn(2024, 1, 2, 7), vn(2024, 1, 9, 17), state="bo_sung")
    return made


# Legacy text an import refuses or trims (controls, blanks at the ends): the round trips leave it out.
LEGACY = ["\t=1+1", "\r=1+1", "dòng 1\r\ndòng 2", "bell\x07 and\x1f unit", "  spaces around  "]


def importable():
    Dossier.objects.update(applicant_phone="0912345678")  # a phone is digits since the phone rule
    Dossier.objects.filter(applicant_name__in=LEGACY).update(applicant_name="Lò Văn Pó", applicant_address="")


def python_csv(queryset):
    target = io.BytesIO()
    write_csv(target, list(DOSSIER_KEYS), dossier_rows(queryset))
    return target.getvalue()


def copy_csv(queryset):
    target = io.BytesIO()
    csv_from_copy(target, queryset)
    return target.getvalue()


def test_the_csv_that_postgresql_formats_is_byte_for_byte_the_python_writers(hostile, units):
    everything = export_queryset()
    expected = python_csv(everything)
    assert copy_csv(everything) == expected
    assert expected.count(b"\r\n") > len(HOSTILE)  # hostile text really went through
    # A unit's subtree and a period, as the command and the list's download select them.
    scoped = export_queryset(units["pu_hong"], vn(2024, 1, 1).date(), vn(2024, 3, 1).date())
    assert copy_csv(scoped) == python_csv(scoped)
    # Nothing selected: the header alone.
    assert copy_csv(Dossier.objects.none()) == python_csv(Dossier.objects.none())


def test_the_streamed_csv_guards_formulas_and_its_import_gives_the_same_rows(hostile, tmp_path):
    importable()
    path = tmp_path / "ho-so.csv"
    assert export_dossiers(path, export_queryset()) == Dossier.objects.count()
    text = path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'''+twice quoted" in text
    assert ",=" not in text and ",@" not in text and ",+" not in text
    result = DossierImporter(path).validate()
    assert not result.errors, result.errors
    assert result.unchanged == Dossier.objects.count()  # an export's import changes nothing


def test_the_xlsx_that_postgresql_writes_has_the_python_writers_cells_as_text(hostile, tmp_path):
    python, ours = tmp_path / "python.xlsx", tmp_path / "copy.xlsx"
    queryset = export_queryset()
    write_xlsx(python, list(DOSSIER_KEYS), dossier_rows(queryset), title="Hồ sơ")
    assert xlsx_from_copy(ours, queryset) == Dossier.objects.count()
    expected, read = load_workbook(python).active, load_workbook(ours).active
    assert read.title == "Hồ sơ" and read.freeze_panes == "A2"
    assert read.column_dimensions["K"].width == expected.column_dimensions["K"].width
    cells = [[(cell.value, cell.data_type) for cell in row] for row in read.iter_rows()]
    assert cells == [[(cell.value, cell.data_type) for cell in row] for row in expected.iter_rows()]
    assert all(kind != "f" for row in cells for _, kind in row)
    values = [value for row in cells for value, _ in row]
    assert '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")' in values  # text, shown as typed
    assert "dòng 1\ndòng 2" in values and "bell and unit" in values and "C:\\Windows\\path" in values


def test_an_exported_workbook_imports_back_unchanged(hostile, tmp_path):
    importable()
    path = tmp_path / "ho-so.xlsx"
    export_dossiers(path, export_queryset())
    result = DossierImporter(path).validate()
    assert not result.errors, result.errors
    assert result.unchanged == Dossier.objects.count()


def _last_analyze(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_large_import_refreshes_the_planners_statistics(units, procedures, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 3)
    before = _last_analyze("cases_dossier")
    path = tmp_path / "nhap.csv"
    lines = [",".join(DOSSIER_KEYS)]
    for number in range(3):
        code = f"DBD-PH-240304-{number + 1:04d}"
        lines.append(f"{code},1.000894,DBD-PH,04/03/2024 08:0{number},,,,truc_tiep,Lò Văn Pó,,bản Keo Lôm,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer = DossierImporter(path)
    assert not importer.validate().errors
    importer.write()
    after = _last_analyze("cases_dossier")
    assert after is not None and (before is None or after > before)
    assert _last_analyze("cases_dossierevent") is not None


def test_flag_overdue_writes_the_desks_event_once_per_newly_overdue_dossier(units, procedures):
    late = [
        make(f"HS-Q{number}", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 4, 17))
        for number in range(3)
    ]
    make("HS-ON", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 20, 17))
    make("HS-DONE", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 4, 17), vn(2024, 3, 4, 9))
    as_of = vn(2024, 3, 8, 10)
    assert flag_overdue(as_of) == (3, 3)
    events = DossierEvent.objects.filter(kind=EventKind.OVERDUE).order_by("dossier_id")
    expected_before, expected_after = payload(EventKind.OVERDUE, {"overdue_since": None}, {"overdue_since": as_of})
    assert [event.dossier_id for event in events] == [dossier.pk for dossier in late]
    for event in events:
        assert (event.before, event.after) == (expected_before, expected_after)
        assert event.at == as_of and event.by is None and event.reason == "" and event.warning == ""
    assert set(Dossier.objects.filter(overdue_since=as_of).values_list("code", flat=True)) == {
        "HS-Q0",
        "HS-Q1",
        "HS-Q2",
    }
    # A second run flags nothing and writes nothing.
    assert flag_overdue(as_of) == (3, 0)
    assert DossierEvent.objects.filter(kind=EventKind.OVERDUE).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_large_overdue_run_refreshes_the_planners_statistics(units, procedures, monkeypatch):
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 2)
    for number in range(2):
        make(f"HS-Q{number}", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 4, 17))
    before = _last_analyze("cases_dossier")
    flag_overdue(vn(2024, 3, 8, 10))
    after = _last_analyze("cases_dossier")
    assert after is not None and (before is None or after > before)


def _last_vacuum(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT coalesce(last_vacuum, 'epoch') FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def _import(tmp_path, rows):
    path = tmp_path / "nhap.csv"
    lines = [",".join(DOSSIER_KEYS)]
    for number in range(rows):
        code = f"DBD-PH-240304-{number + 1:04d}"
        lines.append(f"{code},1.000894,DBD-PH,04/03/2024 08:0{number},,,,truc_tiep,Lò Văn Pó,,bản Keo Lôm,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer = DossierImporter(path)
    assert not importer.validate().errors
    return importer


@pytest.mark.django_db(transaction=True)
def test_a_large_import_in_a_jobs_transaction_vacuums_its_tables_once_committed(
    units, procedures, tmp_path, monkeypatch, settings
):
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 3)
    settings.BULK_VACUUM = "on"
    before = _last_vacuum("cases_dossier")
    importer = _import(tmp_path, 3)
    with transaction.atomic():  # as the import job writes its rows and its "done"
        importer.write()
        # VACUUM cannot run inside a transaction block: it waits for the commit.
        assert _last_vacuum("cases_dossier") == before
    assert _last_vacuum("cases_dossier") > before
    assert _last_vacuum("cases_dossierevent") > before
    assert Dossier.objects.count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("setting", ["off", "auto"])
def test_vacuum_after_a_bulk_job_only_where_autovacuum_will_not_come(units, procedures, monkeypatch, settings, setting):
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 2)
    settings.BULK_VACUUM = setting
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        server_off = cursor.fetchone()[0] == "off"

    def run(number):
        for n in range(2):
            make(f"HS-{number}-{n}", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 4, 17))
        before = _last_vacuum("cases_dossier")
        flag_overdue(vn(2024, 3, 8 + number, 10))
        return _last_vacuum("cases_dossier") > before

    assert run(0) is (setting == "auto" and server_off)
    # Autovacuum turned off for the table alone: "auto" vacuums it, whatever the server says.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE cases_dossier SET (autovacuum_enabled = off)")
    try:
        assert run(1) is (setting == "auto")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_dossier RESET (autovacuum_enabled)")


def test_the_big_tables_have_their_own_autovacuum_settings(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'cases_dossier'")
        options = cursor.fetchone()[0]
    assert "autovacuum_analyze_scale_factor=0.01" in options
    assert "autovacuum_vacuum_scale_factor=0.02" in options


def test_the_payload_in_sql_is_the_desks_payload_in_python(units, procedures):
    """The importer writes its "imported" events with the payload rule in SQL: the same JSON as the rule in
    Python, for moments with and without microseconds, before 1975's change of offset, at midnight and late."""
    moments = [
        vn(2024, 3, 1, 8, 5),
        vn(2024, 3, 1, 8, 5) + timedelta(microseconds=120),
        vn(1999, 12, 31, 23, 59) + timedelta(seconds=59, microseconds=999_999),
        vn(1960, 6, 1, 0, 0),
        vn(2024, 2, 29, 0, 0),
    ]
    states = ["dang_giai_quyet", "bo_sung", "tam_dung", None, None]
    dossiers = [
        make(f"HS-P{number}", units["pu_hong"], procedures["land"], moment, moment + timedelta(days=9), state=state)
        for number, (moment, state) in enumerate(zip(moments, states, strict=True))
    ]
    for kind in (EventKind.IMPORTED, EventKind.RECEIVED):
        before, after = first_payload_sql(kind, Dossier, "d")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT d.id, {before}, {after} FROM cases_dossier AS d ORDER BY d.id")
            in_sql = {pk: (json.loads(old), json.loads(new)) for pk, old, new in cursor.fetchall()}
        assert in_sql == {dossier.pk: payload(kind, None, dossier) for dossier in dossiers}


@pytest.mark.django_db(transaction=True)
def test_an_imports_events_are_the_desks_payloads_in_the_files_order(units, procedures, tmp_path, admin_user):
    path = tmp_path / "nhap.csv"
    lines = [",".join(DOSSIER_KEYS)]
    rows = [
        "HS-I3,1.000894,DBD-PH,04/03/2024 08:03,,,,truc_tiep,Lò Văn Pó,,bản Keo Lôm,bo_sung",
        "HS-I1,1.000894,DBD-PH,04/03/2024,20/03/2024,,,truc_tiep,Lò Văn Pó,,,",
        "HS-I2,1.000894,DBD-PH,2024-03-04T08:01:30.250+07:00,,05/03/2024 10:00,05/03/2024,truc_tuyen,A,,,",
        "HS-I0,1.000894,DBD-PH,04/03/2024 08:00,,,,truc_tiep,Lò Văn Pó,,,tu_choi",
    ]
    lines += rows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    importer = DossierImporter(path, user=admin_user)
    assert not importer.validate().errors
    importer.write()
    events = list(DossierEvent.objects.filter(kind=EventKind.IMPORTED).select_related("dossier").order_by("id"))
    assert [event.dossier.code for event in events] == ["HS-I3", "HS-I1", "HS-I2", "HS-I0"]
    assert [event.dossier_id for event in events] == sorted(event.dossier_id for event in events)
    for line, event in enumerate(events, start=2):
        dossier = event.dossier
        assert (event.before, event.after) == payload(EventKind.IMPORTED, None, dossier)
        assert event.at == dossier.received_at and event.by == admin_user and event.warning == ""
        assert event.reason == f"Nhập từ tệp nhap.csv, dòng {line}"
        assert event.recorded_at == events[0].recorded_at
    assert events[2].dossier.received_at.microsecond == 250_000


def test_the_copy_writer_gives_what_bulk_create_gives(units, procedures):
    """COPY formats each column once per table by its type; rows that leave a column out take its default."""
    now = datetime(2024, 3, 5, 10, 0, 0, 123_456, tzinfo=vn(2024, 1, 1).tzinfo)
    dossier = make("HS-C1", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 7, 17))
    rows = [
        {"dossier_id": dossier.pk, "kind": "imported", "at": now, "before": {}, "after": {"state": "bo_sung"}},
        {"dossier_id": dossier.pk, "kind": "updated", "at": now, "reason": 'a "b", c\nd', "after": {"ô": None}},
        {"dossier_id": dossier.pk, "kind": "refused", "at": vn(1999, 1, 1), "warning": "w", "before": {"x": [1]}},
    ]
    fields = ["dossier_id", "kind", "at", "by_id", "before", "after", "reason", "warning"]  # recorded_at: now, a call
    bulk.bulk_insert(DossierEvent, rows, now, need_ids=False, use_copy=False)
    by_create = list(DossierEvent.objects.order_by("id").values_list(*fields))
    DossierEvent.objects.all().delete()
    bulk.bulk_insert(DossierEvent, rows, now, need_ids=False, use_copy=True)
    assert list(DossierEvent.objects.order_by("id").values_list(*fields)) == by_create
