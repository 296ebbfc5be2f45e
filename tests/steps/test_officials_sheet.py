"""Nội vụ's officials sheet ("Cán bộ" of the appraisal workbook) built from the steps, read back with openpyxl."""

import csv
import re
from io import BytesIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from cases.catalogue.calendar import calendar
from cases.desk import outcome
from cases.desk.states import RatingSource, Satisfaction
from cases.followup import appraisal, homeaffairs
from cases.models import DossierStep, Membership, Rating, Role
from reports.documents import appraisal as appraisal_workbook
from reports.figures import periods
from tests.conftest import vn

MARCH = periods.month(2024, 3)
RULES = [
    ("Hoàn thành xuất sắc nhiệm vụ", {"min_on_time_rate": 98, "max_overdue": 0}),
    ("Hoàn thành tốt nhiệm vụ", {"min_on_time_rate": 80}),
    ("Hoàn thành nhiệm vụ", {"min_on_time_rate": 50}),
    ("Không hoàn thành nhiệm vụ", {}),
]


DONE = "Hoàn thành nhiệm vụ"


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.APPRAISAL_RULES = RULES


def sheet_rows(scope):
    buffer = BytesIO()
    homeaffairs.build_kind(homeaffairs.APPRAISAL, MARCH, scope).save(buffer)
    buffer.seek(0)
    book = load_workbook(buffer)
    sheet = book["Cán bộ"]
    header = [cell.value for cell in sheet[appraisal_workbook.HEADER_ROW]]
    rows = list(sheet.iter_rows(min_row=appraisal_workbook.HEADER_ROW + 1, values_only=True))
    return header, rows, book


def test_the_sheet_shows_each_officials_steps_and_rates_people_only(stepped, units, now):
    header, rows, book = sheet_rows(units["district"])
    assert header == [
        "STT", "Họ và tên", "Tên đăng nhập", "Đơn vị", "Bước xử lý đã hoàn thành", "Trước hạn", "Đúng hạn", "Trễ hạn",
        "Tỷ lệ đúng hạn (kể cả trước hạn)", "Số giờ làm việc trễ hạn", "Trả lại bước trước",
        "Bước đang giữ quá hạn (cuối kỳ)", "Số đánh giá của người dân", "Hài lòng, rất hài lòng", "Tỷ lệ hài lòng",
        "Xếp loại",
    ]  # fmt: skip
    # No rating in March: the satisfaction rate is "—", never 0%.
    assert [row[:12] + row[15:] for row in rows] == [
        # The desk: 5 of 6 in time (83,33%); the specialist 1 of 2 and 2 held overdue at the end of March.
        (1, "Lò Văn A", "motcua.puhong", "UBND xã Pú Hồng", 6, 1, 4, 1, 0.8333, 1.5, 0, 0, "Hoàn thành tốt nhiệm vụ"),
        (2, "Nguyễn Văn Nhập", None, "UBND xã Pú Hồng", 2, 1, 0, 1, 0.5, 1.5, 0, 0, DONE),
        (3, "Quàng Văn Chuyên", "chuyenvien.puhong", "UBND xã Pú Hồng", 2, 1, 0, 1, 0.5, 1, 1, 2, DONE),
        # Nobody recorded: counted, never rated.
        (4, "(Chưa ghi người xử lý)", None, "UBND xã Pú Hồng", 1, 0, 1, 0, 1, 0, 0, 0, None),
        (5, "Vàng Thị B", "motcua.keolom", "UBND xã Keo Lôm", 1, 0, 1, 0, 1, 0, 0, 0, "Hoàn thành xuất sắc nhiệm vụ"),
    ]
    assert {row[12:15] for row in rows} == {(0, 0, "—")}
    sheet = book["Cán bộ"]
    assert sheet["J5"].number_format == "#,##0.0" and sheet["I5"].number_format == "0.00%"
    assert [str(rng.sqref) for rng in sheet.conditional_formatting] == ["I5:I9"]
    notes = [row[0] for row in book["Cách xếp loại"].iter_rows(values_only=True) if row[0]]
    assert "- Các bước không ghi người xử lý (dòng «(Chưa ghi người xử lý)») không xếp loại." in notes


def test_a_rating_counts_for_every_official_who_held_a_step_of_the_dossier(rated, units, now):
    """A (very satisfied): Lò Văn A (two steps, counted once) and Quàng Văn Chuyên; E1 (satisfied) and E2 (not):
    Nguyễn Văn Nhập; D (not): Lò Văn A, and nobody for its step without a holder."""
    _, rows, book = sheet_rows(units["district"])
    assert {row[1]: row[12:15] for row in rows} == {
        "Lò Văn A": (2, 1, 0.5),
        "Nguyễn Văn Nhập": (2, 1, 0.5),
        "Quàng Văn Chuyên": (1, 1, 1),
        "(Chưa ghi người xử lý)": (0, 0, "—"),
        "Vàng Thị B": (0, 0, "—"),
    }
    assert book["Cán bộ"]["O5"].number_format == "0.00%"
    # The unit: every rating of its dossiers once, 2 of 4.
    units_sheet = book["Đơn vị"]
    pu_hong = next(row for row in units_sheet.iter_rows(min_row=5, values_only=True) if row[1] == "DBD-PH")
    assert pu_hong[19:22] == (4, 2, 0.5)
    notes = [row[0] for row in book["Cách xếp loại"].iter_rows(values_only=True) if row[0]]
    rule = "- Mức độ hài lòng của cán bộ: mỗi đánh giá của hồ sơ được tính cho mọi cán bộ đã đảm nhận một bước"
    assert any(note.startswith(rule) for note in notes)


def test_an_official_rated_for_steps_of_an_earlier_month_gets_a_row(stepped, units, now):
    """A's steps all ended in March; its rating in April counts in April for the desk officer, who finished no step
    in April (no rating of the rule: nothing handled), and for the specialist beside his April step."""
    Rating.objects.create(
        dossier=stepped["A"], level=Satisfaction.NOT_SATISFIED, source=RatingSource.PAPER, rated_at=vn(2024, 4, 2, 9)
    )
    april = appraisal.appraise(periods.month(2024, 4), scope=units["pu_hong"]).officials
    assert {item.full_name: (item.counters.handled, item.satisfaction.rated, item.satisfaction.rate, item.rating)
            for item in april} == {
        "Lò Văn A": (0, 1, 0.0, "Chưa đủ số liệu đánh giá"),
        "Quàng Văn Chuyên": (1, 1, 0.0, "Không hoàn thành nhiệm vụ"),
    }  # fmt: skip


def test_a_running_month_counts_what_it_finished_and_what_is_held_overdue_now(stepped, units, now):
    april = appraisal.appraise(periods.month(2024, 4), scope=units["pu_hong"]).officials
    # April up to the 10th: the desk finished nothing; the specialist finished G's step 1 h late and holds B
    # overdue. Nobody's step of G waits at the desk, not taken up: no due time, not overdue.
    assert {item.full_name: (item.counters.handled, item.counters.late, item.counters.overdue, item.rating)
            for item in april} == {"Quàng Văn Chuyên": (1, 1, 1, "Không hoàn thành nhiệm vụ")}  # fmt: skip


def test_officials_cost_the_same_queries_however_many_there_are(stepped, units, now, django_user_model):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            appraisal.appraise(MARCH, scope=units["district"])
        return len(captured)

    before = queries()
    for number in range(3):
        user = django_user_model.objects.create_user(username=f"chuyenvien.{number}", first_name=f"Cán bộ {number}")
        Membership.objects.create(user=user, unit=units["pu_hong"], role=Role.SPECIALIST)
        step = DossierStep.objects.filter(holder_name="Nguyễn Văn Nhập").first()
        step.pk, step.holder, step.holder_name = None, user, ""
        step.dossier = stepped["D"]
        step.save()
    assert queries() == before
    assert len(appraisal.appraise(MARCH, scope=units["district"]).officials) == 8


def test_the_sheet_agrees_with_each_step_classified_on_its_own(stepped, units, now):
    """The same DossierStep rows, each classified by cases.desk.outcome (what the dossier page and the step export
    show), summed by hand per official: the sheet's counts."""
    _, rows, _ = sheet_rows(units["district"])
    by_hand = {}
    work_calendar = calendar()
    for step in DossierStep.objects.filter(finished_at__gte=MARCH.start_at, finished_at__lt=MARCH.end_at):
        name = step.holder_label or "(Chưa ghi người xử lý)"
        counts = by_hand.setdefault(name, [0, 0, 0, 0, 0, 0])
        kind = outcome.step_outcome(step)
        counts[0] += 1
        counts[1 + [outcome.EARLY, outcome.ON_TIME, outcome.LATE].index(kind)] += 1
        counts[4] += outcome.step_seconds_late(step, work_calendar)
        counts[5] += step.end == "tra_lai"
    assert {row[1]: [*row[4:8], round(row[9] * 3600), row[10]] for row in rows} == by_hand


def test_the_sheet_agrees_with_the_step_export(stepped, units, now, tmp_path):
    """export_dossier_steps (EXCHANGE_FORMAT.md, "Dossier steps") writes the rows the sheet counts: per official,
    the steps finished in March and those ended by sending back are the sheet's."""
    path = tmp_path / "buoc.csv"
    call_command("export_dossier_steps", str(path))
    with open(path, encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    counted = {}
    for row in exported:
        # Whatever the moment's layout ("dd/mm/yyyy HH:MM" or ISO), March 2024 is in it.
        finished = row["hoan_thanh_luc"]
        if not re.search(r"/03/2024|2024-03-", finished):
            continue
        counts = counted.setdefault(row["nguoi_xu_ly"] or "(Chưa ghi người xử lý)", [0, 0])
        counts[0] += 1
        counts[1] += row["ket_qua"] == "tra_lai"
    _, rows, _ = sheet_rows(units["district"])
    assert {row[2] or row[1]: [row[4], row[10]] for row in rows} == counted
