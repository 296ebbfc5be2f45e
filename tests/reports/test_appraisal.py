"""The appraisal workbook: each figure read back and compared with reports.tally; the rating rule; the page."""

from datetime import date, timedelta
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases.core import jobs
from cases.core.models import Job
from cases.followup import appraisal, homeaffairs
from cases.models import Apology, Dossier, Explanation, ExplanationRequest
from reports.documents import appraisal as appraisal_workbook
from reports.figures.tally import tally
from reports.tasks import build_workbook
from tests.conftest import PASSWORD, vn

MARCH = {"ky": "thang", "nam": "2024", "thang": "3"}
RULES = [
    ("Hoàn thành xuất sắc nhiệm vụ", {"min_on_time_rate": 98, "max_unanswered_explanations": 0, "max_overdue": 0}),
    ("Hoàn thành tốt nhiệm vụ", {"min_on_time_rate": 95, "max_unanswered_explanations": 0}),
    ("Hoàn thành nhiệm vụ", {"min_on_time_rate": 90}),
    ("Không hoàn thành nhiệm vụ", {}),
]


@pytest.fixture(autouse=True)
def _april_2024(settings, tmp_path):
    settings.APPRAISAL_RULES = RULES
    settings.TARGET_ON_TIME_RATE, settings.TARGET_ONLINE_RATE = 95.0, 70.0
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


@pytest.fixture
def followed(march, units, cast):
    """March with handlers (no steps), digitised papers, apologies and explanations, counted by hand below."""
    by_code = {d.code: d for d in Dossier.objects.all()}
    Dossier.objects.filter(code__in=["2", "4", "6", "8"]).update(handler=cast["desk_pu_hong"])
    Dossier.objects.filter(code="12").update(handler=cast["desk_keo_lom"])
    # Received in March and digitised: 4 and 6 of Pú Hồng's 8; 3 was received in February (not counted).
    Dossier.objects.filter(code__in=["4", "6", "3"]).update(papers_digitized=True)
    # Late or overdue at Pú Hồng: 6 (late), 3, 8, 13 (open and overdue at the end); apologies for 6 and 3.
    for code in ("6", "3"):
        dossier = by_code[code]
        Apology.objects.create(
            dossier=dossier, reason="Chậm", previous_due_at=dossier.due_at, new_due_at=dossier.due_at + timedelta(3)
        )
    march_request = ExplanationRequest.objects.create(
        office=units["district"], period_start=date(2024, 3, 1), period_end=date(2024, 3, 31), deadline=date(2024, 4, 8)
    )
    Explanation.objects.create(request=march_request, unit=units["pu_hong"], answered_at=vn(2024, 4, 5, 9))
    Explanation.objects.create(request=march_request, unit=units["keo_lom"])
    february = ExplanationRequest.objects.create(
        office=units["district"], period_start=date(2024, 2, 1), period_end=date(2024, 2, 29), deadline=date(2024, 3, 8)
    )
    Explanation.objects.create(request=february, unit=units["phinh_giang"])
    return march


def read(book):
    """{sheet title: {first text column's key: row values}} under the header row."""
    sheets = {}
    for title, key_column in (("Đơn vị", 1), ("Cán bộ", 2)):
        sheet = book[title]
        rows = list(sheet.iter_rows(min_row=appraisal_workbook.HEADER_ROW + 1, values_only=True))
        sheets[title] = {(row[key_column], row[3]) if title == "Cán bộ" else row[key_column]: row for row in rows}
    return sheets


def saved(period, scope):
    buffer = BytesIO()
    homeaffairs.build_kind(homeaffairs.APPRAISAL, period, scope).save(buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def percent_of(fraction):
    return None if fraction is None else round(fraction * 100, 2)


def test_each_units_figures_are_the_tallys(followed, units):
    book = saved(followed, units["district"])
    rows = read(book)["Đơn vị"]
    result = tally(followed, scope=units["district"])
    assert list(rows) == [row.unit.code for row in result.units]
    for row in result.units:
        c = row.counters
        values = rows[row.unit.code]
        assert values[2] == row.unit.name
        assert values[4:13] == (
            c.received_total,
            c.resolved_total,
            c.resolved_early + c.resolved_on_time,
            values[7],
            c.resolved_late,
            c.in_progress_overdue,
            c.received_in_period,
            c.received_online,
            values[12],
        ), row.unit.code
        assert percent_of(values[7]) == c.on_time_rate
        assert percent_of(values[12]) == c.online_rate


def test_digitised_apologies_and_explanations_are_counted_per_unit(followed, units):
    rows = read(saved(followed, units["district"]))["Đơn vị"]
    pu_hong, keo_lom, phinh_giang = rows["DBD-PH"], rows["DBD-KL"], rows["DBD-PG"]
    # Digitised 2 of the 8 received in March; apologies owed 4 (6 late; 3, 8, 13 overdue), issued 2.
    assert pu_hong[13:19] == (2, 0.25, 4, 2, 1, 1)
    assert keo_lom[13:19] == (0, 0, 0, 0, 1, 0)
    # February's request does not overlap March.
    assert phinh_giang[13:19] == (0, None, 0, 0, 0, 0)


def test_units_are_rated_by_the_first_rule_they_meet(followed, units):
    rows = read(saved(followed, units["district"]))["Đơn vị"]
    # Pú Hồng: 2 of 3 on time (66,67%).
    assert rows["DBD-PH"][-1] == "Không hoàn thành nhiệm vụ"
    # Keo Lôm: 100% on time, but its explanation is unanswered: the first two levels are out of reach.
    assert rows["DBD-KL"][-1] == "Hoàn thành nhiệm vụ"
    # Nothing resolved.
    assert rows["DBD-PG"][-1] == rows["DBD"][-1] == "Chưa đủ số liệu đánh giá"


def test_officials_come_from_the_steps_not_from_the_dossiers_handler(followed, units):
    """Dossiers with a handler but no steps (imported before the internal process) give no official's row: the
    officials sheet counts steps (tests/steps/test_officials_sheet.py)."""
    assert appraisal.appraise(followed, scope=units["district"]).officials == []
    rows = list(saved(followed, units["district"])["Cán bộ"].iter_rows(min_row=5, values_only=True))
    assert rows == []


def test_the_sheets_freeze_filter_format_and_colour_rates_below_target(followed, units):
    book = saved(followed, units["district"])
    assert book.sheetnames == ["Đơn vị", "Cán bộ", "Cách xếp loại"]
    sheet = book["Đơn vị"]
    assert sheet.freeze_panes == "D5"
    assert sheet.auto_filter.ref == f"A4:W{4 + 5}"
    assert sheet["E5"].number_format == "#,##0"
    assert sheet["H5"].number_format == sheet["M5"].number_format == sheet["O5"].number_format == "0.00%"
    assert sheet["C5"].font.name == "Times New Roman"
    rules = {str(rng.sqref): [rule.formula[0] for rule in rng.rules] for rng in sheet.conditional_formatting}
    assert rules == {"H5:H9": ["AND(ISNUMBER(H5),H5<0.9500)"], "M5:M9": ["AND(ISNUMBER(M5),M5<0.7000)"]}
    officials = book["Cán bộ"]
    assert officials.freeze_panes == "C5"
    assert officials.auto_filter.ref == "A4:P4"
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage


def test_the_rule_is_written_on_the_sheet_from_the_setting(followed, units, settings):
    settings.APPRAISAL_RULES = [("Đạt", {"min_on_time_rate": 60, "max_late": 1}), ("Chưa đạt", {})]
    book = saved(followed, units["district"])
    text = [row[0] for row in book["Cách xếp loại"].iter_rows(values_only=True) if row[0]]
    assert (
        "1. «Đạt»: Tỷ lệ hồ sơ giải quyết đúng hạn (kể cả trước hạn) trên tổng số hồ sơ đã giải quyết đạt từ 60% trở"
        " lên; không quá 1 hồ sơ giải quyết quá hạn." in text
    )
    assert "2. «Chưa đạt»: Các trường hợp còn lại." in text
    assert any("«Chưa đủ số liệu đánh giá»" in line for line in text)
    assert read(book)["Đơn vị"]["DBD-PH"][-1] == "Đạt"


# --- the rule on its own -----------------------------------------------------------------------------------
def measures(resolved=10, on_time_rate=100.0, overdue=0, unanswered=0, **extra):
    return {
        "resolved": resolved,
        "on_time_rate": on_time_rate,
        "overdue": overdue,
        "unanswered_explanations": unanswered,
        **extra,
    }


@pytest.mark.parametrize(
    ("figures", "label"),
    [
        (measures(on_time_rate=98.0), "Hoàn thành xuất sắc nhiệm vụ"),
        (measures(on_time_rate=99.0, overdue=1), "Hoàn thành tốt nhiệm vụ"),
        (measures(on_time_rate=95.0), "Hoàn thành tốt nhiệm vụ"),
        (measures(on_time_rate=100.0, unanswered=1), "Hoàn thành nhiệm vụ"),
        (measures(on_time_rate=90.0), "Hoàn thành nhiệm vụ"),
        (measures(on_time_rate=89.99), "Không hoàn thành nhiệm vụ"),
        (measures(resolved=0, on_time_rate=None), "Chưa đủ số liệu đánh giá"),
    ],
)
def test_each_level_is_reached_by_its_conditions(figures, label):
    assert appraisal.rating(figures, RULES) == label


def test_the_first_matching_level_wins():
    top_first = [("Tốt", {"min_on_time_rate": 95}), ("Đạt", {"min_on_time_rate": 80})]
    assert appraisal.rating(measures(on_time_rate=97.0), top_first) == "Tốt"
    assert appraisal.rating(measures(on_time_rate=97.0), list(reversed(top_first))) == "Đạt"
    # No catch-all level: said so, not guessed.
    assert appraisal.rating(measures(on_time_rate=50.0), top_first) == appraisal.NO_RULE


def test_a_rate_without_a_base_does_not_count_against():
    rule = [("Đạt", {"min_online_rate": 70, "min_on_time_rate": 90}), ("Chưa đạt", {})]
    assert appraisal.rating(measures(online_rate=None), rule) == "Đạt"
    assert appraisal.rating(measures(online_rate=69.9), rule) == "Chưa đạt"


def test_an_unknown_condition_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="min_on_tme_rate"):
        appraisal.rating(measures(), [("Đạt", {"min_on_tme_rate": 90})])
    with pytest.raises(ImproperlyConfigured):
        appraisal.rules([])


def test_the_command_writes_the_workbook(followed, units, tmp_path):
    path = tmp_path / "danh-gia.xlsx"
    call_command("appraisal", "--from", "01/03/2024", "--to", "2024-03-31", "--unit", "DBD", "--output", str(path))
    rows = read(load_workbook(path))["Đơn vị"]
    assert rows["DBD-PH"][5] == tally(followed, scope=units["pu_hong"]).totals.resolved_total == 3


# --- the download page -------------------------------------------------------------------------------------
def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def test_home_affairs_downloads_both_workbooks_for_its_district(client, cast, followed, units):
    login(client, cast["home_affairs"])
    page = client.get(reverse("reports:homeaffairs"), MARCH)
    assert page.status_code == 200
    assert "«Hoàn thành tốt nhiệm vụ»" in page.content.decode()
    for kind, first_sheet in (("bieu-ii06a", "Theo lĩnh vực"), ("danh-gia", "Đơn vị")):
        response = client.post(reverse("reports:homeaffairs"), {**MARCH, "don_vi": "DBD", "bieu": kind})
        assert response.status_code == 200
        assert f'filename="{kind}-DBD-20240301-20240331.xlsx"' in response["Content-Disposition"]
        book = load_workbook(BytesIO(response.content))
        assert book.sheetnames[0] == first_sheet
    rows = read(book)["Đơn vị"]
    assert rows["DBD-PH"][4] == tally(followed, scope=units["pu_hong"]).totals.received_total


def test_a_desk_officer_gets_nothing_of_other_units(client, cast, followed):
    login(client, cast["desk_pu_hong"])
    url = reverse("reports:homeaffairs")
    assert client.post(url, {**MARCH, "don_vi": "DBD-KL", "bieu": "danh-gia"}).status_code == 404
    assert client.post(url, {**MARCH, "don_vi": "DBD", "bieu": "bieu-ii06a"}).status_code == 404
    # Their own unit is theirs to see, but appraisal files are for Nội vụ and the office.
    assert client.post(url, {**MARCH, "don_vi": "DBD-PH", "bieu": "danh-gia"}).status_code == 403


def test_the_outsider_gets_404_and_the_anonymous_the_login_page(client, cast, followed):
    url = reverse("reports:homeaffairs")
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    login(client, cast["outsider"])
    assert client.post(url, {**MARCH, "don_vi": "DBD", "bieu": "danh-gia"}).status_code == 404


def test_a_large_scope_is_built_in_the_background_and_served_only_to_who_asked(
    client, cast, followed, units, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.APPRAISAL_ASYNC_UNITS = 2
    queued = []
    monkeypatch.setattr(build_workbook, "apply_async", lambda args, kwargs=None, **options: queued.append(args[0]))
    login(client, cast["home_affairs"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:homeaffairs"), {**MARCH, "don_vi": "DBD", "bieu": "danh-gia"})
    assert response.status_code == 302
    (job_pk,) = queued
    job_id = Job.objects.get(pk=job_pk).uid
    status_url = reverse("reports:homeaffairs_job", args=[job_id])
    assert response["Location"] == status_url
    waiting = client.get(status_url)
    assert waiting["Refresh"] == "3" and "<progress" in waiting.content.decode()
    assert client.get(reverse("reports:homeaffairs_job_file", args=[job_id])).status_code == 404

    build_workbook(job_pk)  # what the worker does
    done = client.get(status_url)
    assert "Refresh" not in done and "Tải tệp" in done.content.decode()
    download = client.get(reverse("reports:homeaffairs_job_file", args=[job_id]))
    assert download.status_code == 200
    assert 'filename="danh-gia-DBD-20240301-20240331.xlsx"' in download["Content-Disposition"]
    rows = read(load_workbook(BytesIO(b"".join(download.streaming_content))))["Đơn vị"]
    assert rows["DBD-KL"][-1] == "Hoàn thành nhiệm vụ"

    client.logout()
    login(client, cast["office"])
    assert client.get(status_url).status_code == 404
    assert client.get(reverse("reports:homeaffairs_job_file", args=[job_id])).status_code == 404


def test_a_workbook_whose_worker_died_says_so_and_is_built_again_from_its_page(
    client, cast, followed, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.APPRAISAL_ASYNC_UNITS = 2
    queued = []
    monkeypatch.setattr(build_workbook, "apply_async", lambda args, kwargs=None, **options: queued.append(args[0]))
    login(client, cast["home_affairs"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:homeaffairs"), {**MARCH, "don_vi": "DBD", "bieu": "danh-gia"})
    job = Job.objects.get(pk=queued[0])
    jobs.claim(job.pk)  # a worker took it, then died: its heartbeat stopped
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_LOST_AFTER + 1))
    status_url = reverse("reports:homeaffairs_job", args=[job.uid])

    lost = client.get(status_url)
    assert "Refresh" not in lost and jobs.LOST_MESSAGE in lost.content.decode() and "Thử lại" in lost.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:homeaffairs_job_retry", args=[job.uid]))
    assert queued == [job.pk, job.pk]
    build_workbook(job.pk)  # what the worker does with the message the retry sent
    assert "Tải tệp" in client.get(status_url).content.decode()
    assert client.get(reverse("reports:homeaffairs_job_file", args=[job.uid])).status_code == 200


def test_a_running_month_is_appraised_up_to_today_as_the_tally_counts_it(followed, units):
    with time_machine.travel(vn(2024, 3, 20, 9), tick=False):
        result = appraisal.appraise(followed, scope=units["district"])
        expected = tally(followed, scope=units["district"])
    assert result.period.end == date(2024, 3, 20)
    assert [item.counters for item in result.units] == [row.counters for row in expected.units]


def test_a_period_not_yet_begun_is_refused(client, cast, followed, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="chưa bắt đầu"):
        call_command("appraisal", "--from", "01/05/2024", "--to", "31/05/2024", "--output", str(tmp_path / "x.xlsx"))
    login(client, cast["home_affairs"])
    may = {"ky": "thang", "nam": "2024", "thang": "5", "don_vi": "DBD", "bieu": "danh-gia"}
    response = client.post(reverse("reports:homeaffairs"), may)
    assert response.status_code == 400 and "chưa bắt đầu" in response.content.decode()


def test_an_explanation_counts_as_missing_only_after_its_deadline(march, units, cast):
    """Worked example (issue 11, item 5). Keo Lôm resolved its one March dossier on time (100%), Pú Hồng 2 of 3.

    On 10/04/2024 the office asks both for an explanation of March by 30/04/2024. Until the deadline nothing is
    owed: Keo Lôm keeps "Hoàn thành xuất sắc nhiệm vụ" (100% ≥ 98%, nothing overdue, no explanation overdue).
    Pú Hồng answers on 20/04; Keo Lôm does not. From 01/05 Keo Lôm owes one unanswered explanation and falls to
    "Hoàn thành nhiệm vụ" (the first two levels require none); Pú Hồng's answered one never counts against it.
    """

    def keo_lom_and_pu_hong():
        rows = {item.unit.code: item for item in appraisal.appraise(march, scope=units["district"]).units}
        return [(rows[code].explanations_owed, rows[code].explanations_answered, rows[code].rating) for code in
                ("DBD-KL", "DBD-PH")]  # fmt: skip

    before = keo_lom_and_pu_hong()
    assert before[0] == (0, 0, "Hoàn thành xuất sắc nhiệm vụ")
    request = ExplanationRequest.objects.create(
        office=units["district"],
        period_start=date(2024, 3, 1),
        period_end=date(2024, 3, 31),
        deadline=date(2024, 4, 30),
    )
    Explanation.objects.create(request=request, unit=units["keo_lom"])
    answered = Explanation.objects.create(request=request, unit=units["pu_hong"])
    # Asked, not yet due: nothing changes.
    assert keo_lom_and_pu_hong() == before
    with time_machine.travel(vn(2024, 4, 20, 9), tick=False):
        answered.answered_at = vn(2024, 4, 20, 9)
        answered.save()
        # Answered within the deadline: owed and answered, nothing missing.
        assert keo_lom_and_pu_hong()[1] == (1, 1, before[1][2])
    # The deadline's last day still counts as in time.
    with time_machine.travel(vn(2024, 4, 30, 16), tick=False):
        assert keo_lom_and_pu_hong()[0] == (0, 0, "Hoàn thành xuất sắc nhiệm vụ")
    with time_machine.travel(vn(2024, 5, 1, 8), tick=False):
        assert keo_lom_and_pu_hong() == [(1, 0, "Hoàn thành nhiệm vụ"), (1, 1, before[1][2])]
