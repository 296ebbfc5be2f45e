"""The jobs as the scheduler and the desk see them: names, schedule, commands, retries, sending after commit."""

import logging
from io import StringIO
from unittest import mock

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from cases import tasks
from cases.core import queue
from cases.followup import overdue
from cases.models import Dossier, DossierEvent, Membership, Role
from portal.celery import app
from reports import tasks as report_tasks
from tests.conftest import FRIDAY_MORNING, vn


# --- names and schedule -----------------------------------------------------------------------------------------
def test_the_jobs_have_their_stable_names():
    # Names are what the broker and the beat schedule carry: renaming one strands queued work.
    names = {
        "cases.ping", "cases.flag_overdue", "cases.send_digests", "cases.import_dossiers", "cases.reap_lost_jobs",
        "cases.send_message", "cases.send_pending_messages", "cases.export_dossiers", "cases.sweep_exports",
        "reports.freeze_period",
        "reports.roll_up_running_month", "reports.weekly_report", "reports.build_workbook",
    }  # fmt: skip
    ours = {name for name in app.tasks if name.startswith(("cases.", "reports."))}
    assert ours == names


def _entries(task):
    return [entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == task]


def test_the_beat_runs_each_job_at_its_time():
    flag = _entries("cases.flag_overdue")
    assert any(s.minute == {0, 15, 30, 45} and len(s.hour) == 24 for s in flag)
    assert any(s.minute == {5} and s.hour == {0} for s in flag)
    (freeze,) = _entries("reports.freeze_period")
    assert (freeze.minute, freeze.hour, freeze.day_of_month) == ({30}, {0}, {1, 15})
    (weekly,) = _entries("reports.weekly_report")
    assert (weekly.minute, weekly.hour, weekly.day_of_week) == ({30}, {7}, {5})
    (digest,) = _entries("cases.send_digests")
    assert (digest.minute, digest.hour, digest.day_of_week) == ({45}, {6}, {1, 2, 3, 4, 5, 6})
    assert all(isinstance(entry["schedule"], crontab) for entry in django_settings.CELERY_BEAT_SCHEDULE.values())
    assert django_settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"


def test_every_scheduled_job_is_a_registered_task():
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


# --- the overdue job --------------------------------------------------------------------------------------------
def test_the_task_reports_the_overdue_count(friday):
    result = tasks.flag_overdue.apply(kwargs={"as_of": FRIDAY_MORNING.isoformat()}).get()

    assert result == {"overdue": 2, "new": 2}
    assert tasks.flag_overdue.apply(kwargs={"as_of": FRIDAY_MORNING.isoformat()}).get() == {"overdue": 2, "new": 0}


def test_the_task_retries_after_a_database_error(friday):
    real = overdue.flag_overdue
    calls = []

    def flaky(as_of=None):
        calls.append(as_of)
        if len(calls) == 1:
            raise DatabaseOperationalError("server closed the connection unexpectedly")
        return real(as_of)

    with mock.patch.object(overdue, "flag_overdue", flaky):
        result = tasks.flag_overdue.apply(kwargs={"as_of": FRIDAY_MORNING.isoformat()})

    assert result.get() == {"overdue": 2, "new": 2}
    assert len(calls) == 2


def test_the_command_prints_the_counts_with_vietnamese_separators(units, procedures):
    Dossier.objects.bulk_create(
        Dossier(
            code=f"PH-{number:04d}",
            unit=units["pu_hong"],
            procedure=procedures["land"],
            applicant_name="Người nộp",
            processing_days=5,
            received_at=vn(2024, 2, 1, 9),
            due_at=vn(2024, 2, 20, 9),
        )  # fmt: skip
        for number in range(1234)
    )
    out = StringIO()
    call_command("flag_overdue", "--as-of", "08/03/2024", stdout=out)
    assert out.getvalue() == "1.234 hồ sơ quá hạn (mới: 1.234)\n"

    out = StringIO()
    call_command("flag_overdue", "--as-of", "08/03/2024 07:00", stdout=out)
    assert out.getvalue() == "1.234 hồ sơ quá hạn (mới: 0)\n"
    assert DossierEvent.objects.filter(kind="overdue").count() == 1234
    assert Dossier.objects.filter(overdue_since=vn(2024, 3, 8)).count() == 1234


def test_a_bare_date_means_the_first_moment_of_that_day(friday):
    out = StringIO()
    call_command("flag_overdue", "--as-of", "07/03/2024", stdout=out)
    # Keo Lôm's is due at 17:00 on 07/03: not yet overdue at its first moment.
    assert out.getvalue() == "1 hồ sơ quá hạn (mới: 1)\n"


def test_the_command_refuses_a_date_it_cannot_read(db):
    with pytest.raises(Exception, match="không đọc được"):
        call_command("flag_overdue", "--as-of", "32/13/2024")


# --- sending after commit -----------------------------------------------------------------------------------------
def test_a_task_is_sent_only_once_the_entry_commits(db, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.flag_overdue, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        queue.send_after_commit("cases.flag_overdue", ignore_result=True)
        assert not send.called
    assert len(callbacks) == 1
    send.assert_called_once_with((), {}, ignore_result=True)


def test_a_broker_error_is_logged_not_raised(db, django_capture_on_commit_callbacks, caplog):
    failure = BrokerOperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
    with (
        mock.patch.object(tasks.flag_overdue, "apply_async", side_effect=failure),
        caplog.at_level(logging.ERROR, logger="cases.core.queue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queue.send_after_commit("cases.flag_overdue")
    assert "Không gửi được việc cases.flag_overdue tới hàng đợi" in caplog.text
    assert "Connection refused" in caplog.text


def test_correcting_a_due_time_into_the_past_flags_the_dossier_overdue(
    friday, cast, eager, django_capture_on_commit_callbacks
):
    dossier = friday["monday"]
    correction = vn(2024, 3, 8, 9, 0)
    with time_machine.travel(correction, tick=False), django_capture_on_commit_callbacks(execute=True):
        dossier.correct_date(by=cast["desk_pu_hong"], field="due_at", value=vn(2024, 3, 7, 17), reason="Nhập sai")
    dossier.refresh_from_db()
    assert dossier.due_at == vn(2024, 3, 7, 17)
    # The overdue job ran on the commit: the dossier is flagged and its timeline says so.
    assert dossier.overdue_since == correction
    assert dossier.events.filter(kind="overdue").count() == 1


def test_a_correction_that_leaves_the_dossier_in_time_sends_nothing(friday, cast, django_capture_on_commit_callbacks):
    with (
        time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False),
        mock.patch.object(tasks.flag_overdue, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        friday["monday"].correct_date(
            by=cast["desk_pu_hong"], field="due_at", value=vn(2024, 3, 12, 17), reason="Nhập sai"
        )
    assert not send.called


def test_a_back_dated_receipt_already_past_due_is_flagged_overdue(
    units, procedures, cast, eager, django_capture_on_commit_callbacks
):
    entered = vn(2024, 3, 8, 9, 0)
    with time_machine.travel(entered, tick=False), django_capture_on_commit_callbacks(execute=True):
        dossier = Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["marriage"], applicant_name="Giàng A Páo",
            by=cast["desk_pu_hong"], received_at=vn(2024, 3, 6, 9),
        )  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.overdue_since == entered
    assert list(dossier.events.values_list("kind", flat=True).order_by("at")) == ["received", "overdue"]


# --- digests and the weekly report ------------------------------------------------------------------------------
def test_the_digest_job_writes_to_the_desk(friday, cast):
    cast["desk_pu_hong"].email = "puhong@example.vn"
    cast["desk_pu_hong"].save()
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        assert tasks.send_digests.apply().get() == 1
    assert mail.outbox[0].to == ["puhong@example.vn"]

    out = StringIO()
    call_command("send_digests", "--at", "09/03/2024 06:45", stdout=out)
    assert out.getvalue() == "Đã gửi 0 thư nhắc việc.\n"


def test_the_weekly_report_writes_each_offices_letter_and_figures_and_mails_them(
    friday,
    units,
    cast,
    settings,
    tmp_path,
    django_user_model,
):
    settings.MEDIA_ROOT = tmp_path
    cast["office"].email = "vanphong@example.vn"
    cast["office"].save()
    krong_no_office = django_user_model.objects.create_user(username="vanphong.krongno", email="kn@example.vn")
    Membership.objects.create(user=krong_no_office, unit=units["krong_no"], role=Role.OFFICE)

    with time_machine.travel(vn(2024, 3, 8, 7, 30), tick=False):
        written = report_tasks.weekly_report.apply().get()

    assert sorted(written) == ["DBD-2024-03-07.docx", "DBD-2024-03-07.xlsx", "KN-2024-03-07.docx", "KN-2024-03-07.xlsx"]
    assert all((tmp_path / "bao-cao-tuan" / name).stat().st_size > 0 for name in written)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"vanphong@example.vn", "kn@example.vn"}
    district = by_address["vanphong@example.vn"]
    assert district.subject == "[Một cửa] Báo cáo tuần tuần từ 01/03/2024 đến 07/03/2024"
    assert "TRONG TUẦN (từ ngày 01/03/2024 đến ngày 07/03/2024)" in district.body
    assert "LŨY KẾ (từ ngày 01/01/2024 đến ngày 07/03/2024)" in district.body
    assert "thuộc UBND huyện Điện Biên Đông đã tiếp nhận" in district.body
    assert "bao-cao-tuan/DBD-2024-03-07.docx" in district.body


def test_the_weekly_report_command_still_prints_the_week(friday, units):
    out = StringIO()
    call_command("weekly_report", "--unit", "DBD", "--date", "07/03/2024", stdout=out)
    text = out.getvalue()
    assert text.startswith("TRONG TUẦN (từ ngày 01/03/2024 đến ngày 07/03/2024)\n")
    assert "\n\nLŨY KẾ (từ ngày 01/01/2024 đến ngày 07/03/2024)\n" in text
    assert "Số hồ sơ đang giải quyết" in text
