"""Follow-up services: the overdue flag, the desk's counts and morning digest, apologies (Mẫu 04), explanations."""

from datetime import date

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.desk.steps import ActionRefused
from cases.followup import apologies, digests, explanations, overdue
from cases.followup.explanations import FollowupRefused
from cases.models import (
    Apology,
    Dossier,
    DossierEvent,
    Explanation,
    ExplanationRequest,
    Holiday,
    Membership,
    Role,
    State,
    Unit,
    WorkdayOverride,
)
from reports.figures import periods
from tests.conftest import FRIDAY_MORNING, deadline_counts, make, vn


@pytest.fixture(autouse=True)
def _fresh_cache():
    # the deadline horizons keep the next working day in the cache for a few minutes; each test has its own calendar.
    cache.clear()
    yield
    cache.clear()


# --- the overdue flag -----------------------------------------------------------------------------------------
def test_open_dossiers_past_their_due_time_are_flagged_once_with_an_event(friday):
    result = overdue.flag_overdue(FRIDAY_MORNING)

    assert result == (2, 2)
    flagged = set(Dossier.objects.filter(overdue_since__isnull=False).values_list("code", flat=True))
    assert flagged == {"PH-OVERDUE", "KL-OVERDUE"}
    assert Dossier.objects.get(code="PH-OVERDUE").overdue_since == FRIDAY_MORNING
    events = DossierEvent.objects.filter(kind="overdue")
    assert sorted(events.values_list("dossier__code", flat=True)) == ["KL-OVERDUE", "PH-OVERDUE"]
    assert all(event.at == FRIDAY_MORNING for event in events)


def test_flagging_again_the_same_day_changes_nothing(friday):
    overdue.flag_overdue(FRIDAY_MORNING)
    before = list(Dossier.objects.order_by("pk").values_list("pk", "overdue_since", "updated_at"))

    assert overdue.flag_overdue(FRIDAY_MORNING) == (2, 0)
    assert overdue.flag_overdue(vn(2024, 3, 8, 7, 0)) == (2, 0)

    assert DossierEvent.objects.filter(kind="overdue").count() == 2
    assert list(Dossier.objects.order_by("pk").values_list("pk", "overdue_since", "updated_at")) == before


def test_a_dossier_passing_its_due_time_later_in_the_day_is_flagged_then(friday):
    overdue.flag_overdue(FRIDAY_MORNING)

    assert overdue.flag_overdue(vn(2024, 3, 8, 10, 15)) == (3, 1)
    assert Dossier.objects.get(code="PH-TODAY").overdue_since == vn(2024, 3, 8, 10, 15)


def test_a_resolved_dossier_keeps_its_flag_as_history(friday):
    overdue.flag_overdue(FRIDAY_MORNING)
    dossier = friday["overdue"]
    Dossier.objects.filter(pk=dossier.pk).update(state=State.RESOLVED, resolved_at=vn(2024, 3, 8, 9))

    assert overdue.flag_overdue(vn(2024, 3, 8, 9, 30)) == (1, 0)
    assert Dossier.objects.get(pk=dossier.pk).overdue_since == FRIDAY_MORNING


def test_a_due_time_moved_later_clears_the_flag_but_a_back_dated_run_does_not(friday):
    overdue.flag_overdue(FRIDAY_MORNING)
    # An import moved Keo Lôm's due time to next week without going through the desk's steps.
    Dossier.objects.filter(code="KL-OVERDUE").update(due_at=vn(2024, 3, 14, 17))

    with time_machine.travel(FRIDAY_MORNING, tick=False):
        overdue.flag_overdue(vn(2024, 3, 1, 0, 0))  # a catch-up run for an earlier day
        assert Dossier.objects.get(code="PH-OVERDUE").overdue_since == FRIDAY_MORNING

        assert overdue.flag_overdue() == (1, 0)
    assert Dossier.objects.get(code="KL-OVERDUE").overdue_since is None


def test_flagging_is_one_statement_however_many_dossiers(units, procedures):
    land = procedures["land"]
    Dossier.objects.bulk_create(
        Dossier(
            code=f"PH-{number:04d}",
            unit=units["pu_hong"],
            procedure=land,
            applicant_name="Người nộp",
            processing_days=5,
            received_at=vn(2024, 2, 1, 9),
            due_at=vn(2024, 2, 20, 9),
        )  # fmt: skip
        for number in range(1500)
    )
    with CaptureQueriesContext(connection) as queries:
        assert overdue.flag_overdue(FRIDAY_MORNING) == (1500, 1500)

    statements = [query["sql"] for query in queries.captured_queries]
    flagging = [sql for sql in statements if "UPDATE" in sql and "RETURNING" in sql]
    assert len(flagging) == (1 if connection.features.can_return_columns_from_insert else 0)
    if connection.vendor == "postgresql":  # the events are written by the same statement
        assert "INSERT INTO" in flagging[0]
    assert len(statements) < 30  # the events go in batches (SQLite's are smaller), never a statement per dossier
    assert DossierEvent.objects.filter(kind="overdue").count() == 1500


# --- the desk's counts ----------------------------------------------------------------------------------------
def test_the_desk_sees_due_today_due_next_working_day_and_overdue(friday, cast, django_assert_num_queries):
    deadline_counts(cast["desk_pu_hong"], now=FRIDAY_MORNING)  # the next working day is now cached

    with django_assert_num_queries(1):
        counts = deadline_counts(cast["desk_pu_hong"], now=FRIDAY_MORNING)

    assert counts == (1, 1, 1)
    assert (counts.due_today, counts.due_tomorrow, counts.overdue, counts.total) == (1, 1, 1, 3)
    assert deadline_counts(cast["desk_keo_lom"], now=FRIDAY_MORNING) == (0, 0, 1)
    assert deadline_counts(cast["outsider"], now=FRIDAY_MORNING) == (0, 0, 0)
    # The office watches every unit below it, as its Today page shows: Pú Hồng's and Keo Lôm's together.
    assert deadline_counts(cast["office"], now=FRIDAY_MORNING) == (1, 1, 2)


def test_a_holiday_on_monday_makes_tuesday_the_next_working_day(friday, cast):
    Holiday.objects.create(date=date(2024, 3, 11), name="Ngày nghỉ thử")

    assert deadline_counts(cast["desk_pu_hong"], now=FRIDAY_MORNING) == (1, 2, 1)


def test_a_dossier_due_this_morning_turns_from_due_today_to_overdue(friday, cast):
    assert deadline_counts(cast["desk_pu_hong"], now=vn(2024, 3, 8, 10, 30)) == (0, 1, 2)


# --- morning digest -------------------------------------------------------------------------------------------
@pytest.fixture
def emails(cast):
    for name, address in (("desk_pu_hong", "puhong@example.vn"), ("desk_keo_lom", "keolom@example.vn")):
        cast[name].email = address
        cast[name].save()
    cast["outsider"].email = "krongno@example.vn"
    cast["outsider"].save()
    return cast


def test_each_desk_officer_gets_a_digest_of_their_unit(friday, emails):
    assert digests.send_digests(FRIDAY_MORNING) == 2

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"puhong@example.vn", "keolom@example.vn"}  # Krông Nô has nothing due
    pu_hong = by_address["puhong@example.vn"]
    assert pu_hong.subject == (
        "[Một cửa] Hồ sơ ngày 08/03/2024: 1 đến hạn hôm nay, 1 đến hạn ngày làm việc tiếp theo, 1 quá hạn"
    )
    body = pu_hong.body
    assert "Kính gửi Lò Văn A," in body
    assert "UBND XÃ PÚ HỒNG" in body
    assert "- Đến hạn hôm nay (08/03/2024): 1 hồ sơ: PH-TODAY." in body
    assert "- Đến hạn ngày làm việc tiếp theo (11/03/2024): 1 hồ sơ: PH-MONDAY." in body
    assert "- Đang quá hạn: 1 hồ sơ: PH-OVERDUE." in body
    assert "1 hồ sơ quá hạn chưa có phiếu xin lỗi" in body
    assert "PH-TUESDAY" not in body and "KL-OVERDUE" not in body
    assert "- Đang quá hạn: 1 hồ sơ: KL-OVERDUE." in by_address["keolom@example.vn"].body


def test_no_digest_on_a_saturday_but_one_on_a_make_up_saturday(friday, emails):
    saturday = vn(2024, 3, 9, 6, 45)
    assert digests.send_digests(saturday) == 0
    assert mail.outbox == []

    WorkdayOverride.objects.create(date=date(2024, 3, 9), name="Làm bù")
    assert digests.send_digests(saturday) == 2


def test_an_overdue_dossier_with_an_apology_is_not_reminded_for_one(friday, emails):
    with time_machine.travel(FRIDAY_MORNING, tick=False):
        friday["overdue"].issue_apology(
            by=emails["desk_pu_hong"], reason="Chờ xác minh thực địa", new_due_at=vn(2024, 3, 13, 17)
        )
    digests.send_digests(FRIDAY_MORNING)

    body = next(m.body for m in mail.outbox if m.to == ["puhong@example.vn"])
    assert "- Đang quá hạn: 1 hồ sơ: PH-OVERDUE." in body
    assert "chưa có phiếu xin lỗi" not in body


# --- apologies (Mẫu 04) -----------------------------------------------------------------------------------------
def test_the_desk_issues_an_apology_for_an_overdue_dossier_once_only(friday, cast):
    dossier, officer = friday["overdue"], cast["desk_pu_hong"]
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False):
        apology = dossier.issue_apology(by=officer, reason="Chờ xác minh thực địa", new_due_at=vn(2024, 3, 13, 17))

        with pytest.raises(ActionRefused) as refused:
            dossier.issue_apology(by=officer, reason="Lần nữa", new_due_at=vn(2024, 3, 20, 17))

    assert "chỉ được hẹn lại một lần" in refused.value.messages[0]
    assert (apology.previous_due_at, apology.new_due_at, apology.issued_by) == (
        vn(2024, 3, 6, 17), vn(2024, 3, 13, 17), officer,
    )  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.due_at == vn(2024, 3, 6, 17)  # the figures keep it late
    event = dossier.events.get(kind="apology")
    assert (event.by, event.at, event.reason) == (officer, vn(2024, 3, 8, 9, 0), "Chờ xác minh thực địa")
    assert event.before == {"return_promised_at": "2024-03-06T17:00:00+07:00"}
    assert event.after == {"return_promised_at": "2024-03-13T17:00:00+07:00"}
    assert Apology.objects.count() == 1


def test_a_dossier_resolved_late_can_still_get_its_apology(friday, cast):
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False):
        apology = friday["late"].issue_apology(
            by=cast["desk_pu_hong"], reason="Thiếu cán bộ địa chính", new_due_at=vn(2024, 3, 8, 16)
        )
    assert apology.dossier == friday["late"]


@pytest.mark.parametrize(("name", "message"), [("refused", "không giải quyết quá hạn")])
def test_no_apology_for_a_dossier_that_is_not_late(friday, cast, name, message):
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False), pytest.raises(ActionRefused) as refused:
        friday[name].issue_apology(by=cast["desk_pu_hong"], reason="Lý do", new_due_at=vn(2024, 3, 20, 17))
    assert message in refused.value.messages[0]
    assert not Apology.objects.exists()
    assert not DossierEvent.objects.filter(kind="apology").exists()


@pytest.mark.parametrize("name", ["today", "monday"])
def test_an_apology_may_go_out_before_the_due_time_and_then_carries_no_warning(friday, cast, name):
    # Decree 61/2018, Art. 18: the applicant is told before the due time when the delay is foreseen.
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False):
        friday[name].issue_apology(by=cast["desk_pu_hong"], reason="Chờ xác minh", new_due_at=vn(2024, 3, 20, 17))
    assert friday[name].events.get(kind="apology").warning == ""


def test_an_apology_after_the_due_time_is_recorded_with_a_warning(friday, cast):
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False):
        friday["overdue"].issue_apology(by=cast["desk_pu_hong"], reason="Lý do", new_due_at=vn(2024, 3, 13, 17))
    warning = friday["overdue"].events.get(kind="apology").warning
    assert warning.startswith("Phiếu xin lỗi lập lúc 09:00 08/03/2024, sau thời điểm hẹn trả 17:00 06/03/2024")
    assert friday["overdue"].last_warning() == warning


@pytest.mark.parametrize(
    ("reason", "new_due_at", "message"),
    [
        ("", vn(2024, 3, 13, 17), "Cần ghi lý do chậm trả kết quả."),
        ("Lý do", vn(2024, 3, 6, 17), "phải sau ngày hẹn trả cũ 17:00 06/03/2024"),
        ("Lý do", vn(2024, 3, 7, 17), "Ngày hẹn trả mới 17:00 07/03/2024 đã qua."),
        ("Lý do", None, "Cần ghi ngày hẹn trả kết quả mới."),
    ],
)
def test_an_apology_needs_a_reason_and_a_new_date_ahead(friday, cast, reason, new_due_at, message):
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False), pytest.raises(ActionRefused) as refused:
        friday["overdue"].issue_apology(by=cast["desk_pu_hong"], reason=reason, new_due_at=new_due_at)
    assert message in refused.value.messages[0]
    assert not Apology.objects.exists()


def test_the_figures_show_late_dossiers_with_and_without_an_apology(friday, units, cast, django_assert_num_queries):
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False):
        friday["overdue"].issue_apology(by=cast["desk_pu_hong"], reason="Lý do", new_due_at=vn(2024, 3, 13, 17))
    first_week = periods.date_range(date(2024, 3, 1), date(2024, 3, 8))

    district_units = list(Unit.objects.subtree(units["district"]))
    # One aggregate for the late, one for the overdue, one for those with an apology.
    with django_assert_num_queries(3):
        counts = apologies.apology_counts(first_week, district_units)

    # Pú Hồng: one resolved late in the period, one open and overdue at its end (due before its last day).
    assert counts == {units["pu_hong"].pk: (2, 1), units["keo_lom"].pk: (1, 0)}
    assert apologies.apology_counts(first_week, [units["keo_lom"]]) == {units["keo_lom"].pk: (1, 0)}
    # Given what is owed (as the dashboard has it from the tally), only the apologies are counted.
    from reports.figures.tally import tally

    result = tally(first_week, scope=units["district"], by_field=False)
    owed = {row.unit.pk: row.counters.resolved_late + row.counters.in_progress_overdue for row in result.units}
    with django_assert_num_queries(1):
        assert apologies.apology_counts(first_week, district_units, owed=owed) == counts
    # By the end of March every open dossier of Pú Hồng is overdue.
    assert apologies.apology_counts(periods.month(2024, 3), [units["pu_hong"]]) == {units["pu_hong"].pk: (5, 1)}


# --- explanations (giải trình), seed 000: August 2023, answers before 18/09/2023 --------------------------------------
AUGUST = periods.month(2023, 8)
DEADLINE = date(2023, 9, 17)


@pytest.fixture
def august(units, procedures):
    land = procedures["land"]
    make("PH-1", units["pu_hong"], land, vn(2023, 8, 1, 9), vn(2023, 8, 8, 9), resolved=vn(2023, 8, 10, 9))
    make("PH-2", units["pu_hong"], land, vn(2023, 8, 2, 9), vn(2023, 8, 9, 9), resolved=vn(2023, 8, 9, 9))
    make("KL-1", units["keo_lom"], land, vn(2023, 8, 14, 9), vn(2023, 8, 21, 9))
    make("PG-1", units["phinh_giang"], land, vn(2023, 8, 3, 9), vn(2023, 8, 10, 9), resolved=vn(2023, 8, 9, 9))
    make("KN-1", units["krong_no"], land, vn(2023, 8, 3, 9), vn(2023, 8, 10, 9), resolved=vn(2023, 8, 20, 9))


@pytest.fixture
def asked(august, units, cast):
    with time_machine.travel(vn(2023, 9, 8, 9), tick=False):
        return explanations.request_explanations(
            office_unit=units["district"], period=AUGUST, deadline=DEADLINE, by=cast["office"],
            reference="2046/UBND-VP", note="Giải trình hồ sơ quá hạn tháng 8/2023",
        )  # fmt: skip


def test_the_office_asks_exactly_the_units_with_late_or_overdue_dossiers(asked, units):
    explanations = {e.unit: (e.late_count, e.overdue_count) for e in asked.explanations.all()}

    assert explanations == {units["pu_hong"]: (1, 0), units["keo_lom"]: (0, 1)}
    assert (asked.period_start, asked.period_end, asked.deadline) == (date(2023, 8, 1), date(2023, 8, 31), DEADLINE)
    assert asked.reference == "2046/UBND-VP"


@pytest.mark.parametrize("who", ["desk_pu_hong", "home_affairs", "outsider"])
def test_only_the_office_asks_for_explanations(august, units, cast, who):
    with time_machine.travel(vn(2023, 9, 8, 9), tick=False), pytest.raises(FollowupRefused) as refused:
        explanations.request_explanations(office_unit=units["district"], period=AUGUST, deadline=DEADLINE, by=cast[who])
    assert "Chỉ Văn phòng hoặc quản trị của UBND huyện Điện Biên Đông" in str(refused.value)
    assert not ExplanationRequest.objects.exists()


def test_no_request_when_no_unit_was_late_or_with_a_deadline_already_past(august, units, cast):
    with time_machine.travel(vn(2023, 9, 8, 9), tick=False):
        with pytest.raises(FollowupRefused) as nobody:
            explanations.request_explanations(
                office_unit=units["district"], period=periods.month(2023, 7), deadline=DEADLINE, by=cast["office"]
            )
        with pytest.raises(FollowupRefused) as past:
            explanations.request_explanations(
                office_unit=units["district"], period=AUGUST, deadline=date(2023, 9, 7), by=cast["office"]
            )
    assert "không có đơn vị cần giải trình" in str(nobody.value)
    assert str(past.value) == "Hạn gửi giải trình 07/09/2023 đã qua."
    assert not ExplanationRequest.objects.exists()


def explanation_of(request, unit):
    return request.explanations.get(unit=unit)


def test_a_pu_hong_officer_answers_for_pu_hong_only(asked, units, cast):
    pu_hong, keo_lom = explanation_of(asked, units["pu_hong"]), explanation_of(asked, units["keo_lom"])
    officer = cast["desk_pu_hong"]

    with pytest.raises(FollowupRefused) as refused:
        explanations.answer_explanation(keo_lom, by=officer, text="Không phải việc của Pú Hồng")
    assert str(refused.value) == "Chỉ cán bộ của UBND xã Keo Lôm được gửi giải trình của đơn vị."

    with time_machine.travel(vn(2023, 9, 15, 10), tick=False):
        explanations.answer_explanation(pu_hong, by=officer, text="  Cán bộ địa chính nghỉ ốm  ")
    pu_hong.refresh_from_db()
    assert (pu_hong.text, pu_hong.answered_by, pu_hong.answered_at) == (
        "Cán bộ địa chính nghỉ ốm", officer, vn(2023, 9, 15, 10),
    )  # fmt: skip
    assert not pu_hong.is_late()
    keo_lom.refresh_from_db()
    assert not keo_lom.answered


@pytest.mark.parametrize("who", ["office", "home_affairs", "admin", "outsider"])
def test_nobody_outside_the_unit_answers_for_it(asked, units, cast, who):
    explanation = explanation_of(asked, units["pu_hong"])
    with pytest.raises(FollowupRefused):
        explanations.answer_explanation(explanation, by=cast[who], text="Thay mặt xã")
    explanation.refresh_from_db()
    assert not explanation.answered


def test_an_answer_is_final_and_needs_text(asked, units, cast):
    explanation = explanation_of(asked, units["pu_hong"])
    with pytest.raises(FollowupRefused) as empty:
        explanations.answer_explanation(explanation, by=cast["desk_pu_hong"], text="   ")
    assert str(empty.value) == "Cần ghi nội dung giải trình."

    with time_machine.travel(vn(2023, 9, 15, 10), tick=False):
        explanations.answer_explanation(explanation, by=cast["desk_pu_hong"], text="Lần đầu")
    with pytest.raises(FollowupRefused) as again:
        explanations.answer_explanation(explanation, by=cast["desk_pu_hong"], text="Sửa lại")
    assert str(again.value) == "UBND xã Pú Hồng đã gửi giải trình lúc 10:00 15/09/2023."
    explanation.refresh_from_db()
    assert explanation.text == "Lần đầu"


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def test_the_attachment_is_stored_outside_the_web_root(asked, units, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    explanation = explanation_of(asked, units["pu_hong"])
    upload = SimpleUploadedFile("giai trinh.pdf", PDF, content_type="application/pdf")

    explanations.answer_explanation(explanation, by=cast["desk_pu_hong"], text="Kèm văn bản", attachment=upload)

    explanation.refresh_from_db()
    assert explanation.attachment.name.startswith(f"giai-trinh/{asked.pk}/{units['pu_hong'].pk}/")
    stored = tmp_path / explanation.attachment.name
    assert stored.read_bytes() == PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bao-cao.exe", b"MZ\x90\x00", "chỉ nhận tệp PDF, DOC, DOCX, JPG, PNG"),
        ("bao-cao", PDF, "chỉ nhận tệp PDF, DOC, DOCX, JPG, PNG"),
        ("bao-cao.pdf", PNG, "không phải tệp PDF hợp lệ"),
        ("anh.png", b"MZ\x90\x00" + PNG, "không phải tệp PNG hợp lệ"),
        ("to.pdf", PDF + b"0" * (10 * 1024 * 1024), "vượt quá giới hạn 10 MB"),
    ],
)
def test_an_attachment_too_big_or_of_the_wrong_type_is_refused(
    asked, units, cast, settings, tmp_path, name, content, message
):
    settings.MEDIA_ROOT = tmp_path
    explanation = explanation_of(asked, units["pu_hong"])
    with pytest.raises(FollowupRefused) as refused:
        explanations.answer_explanation(
            explanation, by=cast["desk_pu_hong"], text="Kèm tệp", attachment=SimpleUploadedFile(name, content)
        )
    assert message in str(refused.value)
    explanation.refresh_from_db()
    assert not explanation.answered and not explanation.attachment
    assert not list(tmp_path.rglob("*.*"))


def test_word_and_picture_attachments_are_accepted(asked, units, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    explanations.answer_explanation(
        explanation_of(asked, units["pu_hong"]), by=cast["desk_pu_hong"], text="Văn bản",
        attachment=SimpleUploadedFile("giai-trinh.docx", b"PK\x03\x04" + b"\x00" * 40),
    )  # fmt: skip
    keo_lom_officer = cast["desk_keo_lom"]
    explanations.answer_explanation(
        explanation_of(asked, units["keo_lom"]), by=keo_lom_officer, text="Ảnh chụp",
        attachment=SimpleUploadedFile("bien-ban.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 40),
    )  # fmt: skip
    assert Explanation.objects.exclude(attachment="").count() == 2


def test_the_office_sees_who_answered_who_has_not_and_who_is_past_the_deadline(asked, units, cast):
    with time_machine.travel(vn(2023, 9, 15, 10), tick=False):
        explanations.answer_explanation(explanation_of(asked, units["pu_hong"]), by=cast["desk_pu_hong"], text="Đã rõ")

    on_deadline = explanations.explanation_status(asked, today=DEADLINE)
    assert [e.unit for e in on_deadline.answered] == [units["pu_hong"]]
    assert [e.unit for e in on_deadline.waiting] == [units["keo_lom"]]
    assert on_deadline.past_deadline == []

    after = explanations.explanation_status(asked, today=date(2023, 9, 18))
    assert [e.unit for e in after.past_deadline] == [units["keo_lom"]]
    assert (after.waiting, after.total) == ([], 2)

    with time_machine.travel(vn(2023, 9, 19, 8), tick=False):
        explanations.answer_explanation(explanation_of(asked, units["keo_lom"]), by=cast["desk_keo_lom"], text="Muộn")
    late = explanations.explanation_status(asked, today=date(2023, 9, 20))
    assert [(e.unit, e.is_late()) for e in late.answered] == [(units["pu_hong"], False), (units["keo_lom"], True)]


@pytest.mark.parametrize(
    ("who", "sees_pu_hong"),
    [
        ("desk_pu_hong", True),
        ("office", True),
        ("home_affairs", True),
        ("admin", True),
        ("desk_keo_lom", False),
        ("outsider", False),
    ],
)
def test_only_the_unit_and_those_above_it_see_an_explanation(asked, units, cast, who, sees_pu_hong):
    explanation = explanation_of(asked, units["pu_hong"])

    assert explanations.can_view_explanation(cast[who], explanation) is sees_pu_hong
    assert explanations.visible_explanations(cast[who]).filter(pk=explanation.pk).exists() is sees_pu_hong


def test_an_office_of_the_commune_itself_may_answer_for_it(asked, units, cast, django_user_model):
    clerk = django_user_model.objects.create_user(username="vanphong.puhong")
    Membership.objects.create(user=clerk, unit=units["pu_hong"], role=Role.OFFICE)

    explanations.answer_explanation(explanation_of(asked, units["pu_hong"]), by=clerk, text="Văn phòng xã giải trình")

    assert explanation_of(asked, units["pu_hong"]).answered_by == clerk
