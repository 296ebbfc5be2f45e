import pytest
import time_machine

from cases.desk.steps import ActionRefused
from cases.models import ClockStop, Dossier, DossierEvent, Holiday
from tests.conftest import vn


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The cast's six accounts take seconds to hash with the production hasher; these tests never log in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def received(units, procedures, cast):
    with time_machine.travel(vn(2024, 2, 7, 10, 0), tick=False):
        return Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
            by=cast["desk_pu_hong"], received_at=vn(2024, 2, 7, 10, 0),
        )  # fmt: skip


@pytest.fixture
def officer(cast):
    return cast["desk_pu_hong"]


@pytest.fixture
def later():
    """The officer records the steps on 15/03/2024, long after the receipt."""
    with time_machine.travel(vn(2024, 3, 15, 9, 0), tick=False):
        yield


def refused_message(action, **kwargs):
    with pytest.raises(ActionRefused) as refused:
        action(**kwargs)
    return refused.value.messages[0]


def assert_nothing_written(dossier, events=1, stops=0):
    assert DossierEvent.objects.filter(dossier=dossier).count() == events
    assert ClockStop.objects.filter(dossier=dossier).count() == stops


def last_event(dossier):
    return dossier.events.order_by("-id").first()


# --- receipt --------------------------------------------------------------------------------------


def test_receipt_is_due_after_tet_and_is_recorded(received, officer):
    assert received.due_at == vn(2024, 2, 21, 10, 0)
    assert received.code == "DBD-PH-240207-0001"
    assert not received.due_at_given
    event = received.events.get()
    assert (event.kind, event.by, event.at) == ("received", officer, vn(2024, 2, 7, 10, 0))
    assert event.after == {"state": "dang_giai_quyet", "due_at": "2024-02-21T10:00:00+07:00"}


def test_codes_count_up_per_unit_and_day(received, units, procedures):
    second = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu", received_at=vn(2024, 2, 7, 11)
    )
    assert second.code == "DBD-PH-240207-0002"
    other_unit = Dossier.receive(
        unit=units["keo_lom"], procedure=procedures["land"], applicant_name="Lý A Sử", received_at=vn(2024, 2, 7, 11)
    )
    assert other_unit.code == "DBD-KL-240207-0001"
    next_day = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu", received_at=vn(2024, 2, 15, 8)
    )
    assert next_day.code == "DBD-PH-240215-0001"


def test_a_code_already_used_is_refused(received, units, procedures):
    message = refused_message(
        Dossier.receive, unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu",
        received_at=vn(2024, 2, 7, 11), code=received.code,
    )  # fmt: skip
    assert message == "Mã hồ sơ DBD-PH-240207-0001 đã có."
    assert Dossier.objects.count() == 1


def test_a_same_day_procedure_received_after_the_cut_off_is_due_the_next_working_day(units, procedures, later):
    dossier = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["marriage"], applicant_name="Vừ A Dình",
        received_at=vn(2024, 3, 8, 15, 30),
    )  # fmt: skip
    assert dossier.due_at == vn(2024, 3, 11, 17, 0)


def test_a_receipt_in_the_future_is_refused(units, procedures, later):
    message = refused_message(
        Dossier.receive, unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu",
        received_at=vn(2024, 3, 16, 9, 0),
    )  # fmt: skip
    assert message == "Ngày tiếp nhận 09:00 16/03/2024 ở tương lai."
    assert not Dossier.objects.exists()


def test_a_due_time_typed_in_is_kept_as_given(units, procedures, later):
    dossier = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu",
        received_at=vn(2024, 3, 4, 8, 0), due_at=vn(2024, 3, 12, 16, 30),
    )  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.due_at == vn(2024, 3, 12, 16, 30)
    assert dossier.due_at_given


# --- supplement requests and pauses ---------------------------------------------------------------


def test_supplement_stops_the_clock_and_moves_the_due_time(received, officer):
    with time_machine.travel(vn(2024, 2, 20, 10, 0), tick=False):
        received.request_supplement(by=officer, missing_papers="Bản sao sổ hộ khẩu")
    assert received.state == "bo_sung"
    assert received.due_at == vn(2024, 2, 21, 10, 0)  # unchanged until the papers arrive
    # Papers arrive the next morning at 10:00: one working day paused (Tue 10:00 → Wed 10:00).
    with time_machine.travel(vn(2024, 2, 21, 10, 0), tick=False):
        received.receive_supplement(by=officer)
    received.refresh_from_db()
    assert received.due_at == vn(2024, 2, 22, 10, 0)
    assert received.state == "dang_giai_quyet" and received.clock_stopped_at is None
    stop = ClockStop.objects.get(dossier=received)
    assert (stop.kind, stop.missing_papers, stop.by) == ("bo_sung", "Bản sao sổ hộ khẩu", officer)
    assert (stop.started_at, stop.ended_at, stop.working_seconds) == (
        vn(2024, 2, 20, 10, 0), vn(2024, 2, 21, 10, 0), 8 * 3600
    )  # fmt: skip
    kinds = list(received.events.values_list("kind", flat=True))
    assert kinds == ["received", "supplement_requested", "supplement_received"]
    back = last_event(received)
    assert back.before == {"state": "bo_sung", "due_at": "2024-02-21T10:00:00+07:00"}
    assert back.after == {"state": "dang_giai_quyet", "due_at": "2024-02-22T10:00:00+07:00"}


def test_supplement_restarts_the_whole_time_where_the_province_says_so(received, officer, later, settings):
    settings.SUPPLEMENT_CLOCK = "restart"
    received.request_supplement(by=officer, missing_papers="Bản đồ thửa đất", at=vn(2024, 2, 20, 10, 0))
    received.receive_supplement(by=officer, at=vn(2024, 2, 21, 10, 0))
    assert received.due_at == vn(2024, 2, 28, 10, 0)


def test_a_pause_always_resumes_even_where_supplements_restart(received, officer, later, settings):
    settings.SUPPLEMENT_CLOCK = "restart"
    received.pause(by=officer, reason="Chờ ý kiến cơ quan chuyên môn", at=vn(2024, 2, 19, 14, 0))
    assert received.state == "tam_dung"
    received.resume(by=officer, at=vn(2024, 2, 20, 14, 0))
    assert received.due_at == vn(2024, 2, 22, 10, 0)
    assert ClockStop.objects.get(dossier=received).kind == "tam_dung"
    assert list(received.events.values_list("kind", flat=True)) == ["received", "paused", "resumed"]


def test_a_supplement_request_needs_the_missing_papers(received, officer, later):
    message = refused_message(received.request_supplement, by=officer, missing_papers="  ")
    assert message == "Cần ghi rõ giấy tờ phải bổ sung."
    assert received.state == "dang_giai_quyet"
    assert_nothing_written(received)


def test_a_pause_needs_a_reason(received, officer, later):
    assert refused_message(received.pause, by=officer, reason="") == "Cần ghi lý do tạm dừng."
    assert_nothing_written(received)


def test_papers_cannot_arrive_before_they_were_requested(received, officer, later):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 20, 10, 0))
    message = refused_message(received.receive_supplement, by=officer, at=vn(2024, 2, 19, 10, 0))
    assert message == "Thời điểm 10:00 19/02/2024 trước ngày dừng tính thời hạn 10:00 20/02/2024."
    assert_nothing_written(received, events=2, stops=1)


def test_papers_cannot_arrive_for_a_dossier_not_waiting_for_them(received, officer, later):
    message = refused_message(received.receive_supplement, by=officer)
    assert message == "Hồ sơ đang ở trạng thái «Đang giải quyết», không thể tiếp tục tính thời hạn."
    received.pause(by=officer, reason="Chờ xác minh", at=vn(2024, 2, 19, 14, 0))
    assert refused_message(received.receive_supplement, by=officer).startswith("Hồ sơ đang ở trạng thái «Tạm dừng»")
    assert_nothing_written(received, events=2, stops=1)


def test_a_second_request_cannot_start_before_the_first_ended(received, officer, later):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 20, 10, 0))
    received.receive_supplement(by=officer, at=vn(2024, 2, 21, 10, 0))
    message = refused_message(
        received.request_supplement, by=officer, missing_papers="Giấy ủy quyền", at=vn(2024, 2, 20, 15, 0)
    )
    assert message == (
        "Thời điểm 15:00 20/02/2024 trước lần tiếp tục tính thời hạn gần nhất 10:00 21/02/2024."
    )  # fmt: skip


# --- result, return, refusal, withdrawal ----------------------------------------------------------


def test_resolving_records_the_result(received, officer, later):
    received.resolve(by=officer, at=vn(2024, 2, 20, 15, 0), result_digitized=True)
    received.refresh_from_db()
    assert (received.state, received.resolved_at, received.result_digitized) == (
        "da_co_ket_qua", vn(2024, 2, 20, 15, 0), True
    )  # fmt: skip
    event = last_event(received)
    assert (event.kind, event.by, event.at) == ("resolved", officer, vn(2024, 2, 20, 15, 0))
    assert event.before == {"state": "dang_giai_quyet", "resolved_at": None}
    assert event.after == {"state": "da_co_ket_qua", "resolved_at": "2024-02-20T15:00:00+07:00"}


def test_resolving_before_receipt_is_refused_and_nothing_changes(received, cast):
    with time_machine.travel(vn(2024, 2, 8, 9, 0), tick=False), pytest.raises(ActionRefused) as refused:
        received.resolve(by=cast["desk_pu_hong"], at=vn(2024, 2, 6, 9, 0))
    assert "trước ngày tiếp nhận" in refused.value.messages[0]
    received.refresh_from_db()
    assert received.resolved_at is None
    assert DossierEvent.objects.filter(dossier=received).count() == 1


def test_a_dossier_waiting_for_papers_cannot_be_resolved(received, officer, later):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 20, 10, 0))
    message = refused_message(received.resolve, by=officer)
    assert message == "Hồ sơ đang ở trạng thái «Chờ bổ sung», không thể ghi nhận có kết quả."
    received.refresh_from_db()
    assert received.state == "bo_sung" and received.resolved_at is None
    assert_nothing_written(received, events=2, stops=1)


def test_a_result_cannot_predate_the_papers_it_waited_for(received, officer, later):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 20, 10, 0))
    received.receive_supplement(by=officer, at=vn(2024, 2, 21, 10, 0))
    message = refused_message(received.resolve, by=officer, at=vn(2024, 2, 20, 16, 0))
    assert message == "Thời điểm 16:00 20/02/2024 trước lần tiếp tục tính thời hạn gần nhất 10:00 21/02/2024."


def test_a_step_in_the_future_is_refused(received, officer, later):
    message = refused_message(received.resolve, by=officer, at=vn(2024, 3, 15, 9, 30))
    assert message == "Thời điểm 09:30 15/03/2024 ở tương lai."
    assert_nothing_written(received)
    received.resolve(by=officer, at=vn(2024, 3, 15, 9, 4))  # a desk PC's clock a few minutes fast is tolerated
    assert received.state == "da_co_ket_qua"


def test_a_result_is_returned_only_once_it_exists(received, officer, later):
    message = refused_message(received.return_result, by=officer)
    assert message == "Hồ sơ đang ở trạng thái «Đang giải quyết», không thể trả kết quả."
    received.resolve(by=officer, at=vn(2024, 2, 20, 15, 0))
    message = refused_message(received.return_result, by=officer, at=vn(2024, 2, 20, 14, 0))
    assert message == "Thời điểm 14:00 20/02/2024 trước ngày có kết quả 15:00 20/02/2024."
    received.return_result(by=officer, at=vn(2024, 2, 21, 8, 0))
    received.refresh_from_db()
    assert (received.state, received.returned_at) == ("da_tra", vn(2024, 2, 21, 8, 0))
    assert last_event(received).before == {"state": "da_co_ket_qua", "returned_at": None}
    assert list(received.events.values_list("kind", flat=True)) == ["received", "resolved", "returned"]


@pytest.mark.parametrize(("method", "state", "kind", "verb"), [
    ("refuse", "tu_choi", "refused", "từ chối"),
    ("withdraw", "rut", "withdrawn", "rút hồ sơ"),
])  # fmt: skip
def test_refusal_and_withdrawal_need_a_reason_and_close_the_open_stop(
    received, officer, later, method, state, kind, verb
):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 20, 10, 0))
    action = getattr(received, method)
    assert refused_message(action, by=officer, reason=" ") == f"Cần ghi lý do {verb}."
    assert_nothing_written(received, events=2, stops=1)

    action(by=officer, reason="Không bổ sung đúng hạn", at=vn(2024, 2, 22, 10, 0))
    received.refresh_from_db()
    assert (received.state, received.ended_at, received.clock_stopped_at) == (state, vn(2024, 2, 22, 10, 0), None)
    stop = ClockStop.objects.get(dossier=received)
    assert (stop.ended_at, stop.working_seconds) == (vn(2024, 2, 22, 10, 0), 16 * 3600)
    event = last_event(received)
    assert (event.kind, event.reason, event.by) == (kind, "Không bổ sung đúng hạn", officer)
    assert event.before == {"state": "bo_sung", "ended_at": None}
    assert event.after == {"state": state, "ended_at": "2024-02-22T10:00:00+07:00"}


def test_a_returned_dossier_can_be_neither_refused_nor_withdrawn(received, officer, later):
    received.resolve(by=officer, at=vn(2024, 2, 20, 15, 0))
    received.return_result(by=officer, at=vn(2024, 2, 21, 8, 0))
    assert refused_message(received.refuse, by=officer, reason="Sai thủ tục") == (
        "Hồ sơ đang ở trạng thái «Đã trả kết quả», không thể từ chối."
    )
    assert refused_message(received.withdraw, by=officer, reason="Người nộp xin rút").endswith("không thể rút hồ sơ.")
    assert refused_message(received.pause, by=officer, reason="Chờ") == (
        "Hồ sơ đang ở trạng thái «Đã trả kết quả», không thể dừng tính thời hạn."
    )
    assert_nothing_written(received, events=3)


def test_a_refused_dossier_cannot_be_resolved(received, officer, later):
    received.refuse(by=officer, reason="Không thuộc thẩm quyền", at=vn(2024, 2, 8, 8, 0))
    assert refused_message(received.resolve, by=officer) == (
        "Hồ sơ đang ở trạng thái «Từ chối», không thể ghi nhận có kết quả."
    )
    received.refresh_from_db()
    assert received.resolved_at is None


# --- assignment -------------------------------------------------------------------------------------


def test_assigning_a_handler_is_recorded_with_the_previous_one(received, cast, later):
    received.assign(by=cast["office"], handler=cast["desk_pu_hong"])
    received.assign(by=cast["office"], handler=cast["desk_keo_lom"])
    received.refresh_from_db()
    assert received.handler == cast["desk_keo_lom"]
    first, second = received.events.filter(kind="assigned").order_by("id")
    assert (first.before, first.after) == ({"handler": None}, {"handler": "motcua.puhong"})
    assert (second.before, second.after) == ({"handler": "motcua.puhong"}, {"handler": "motcua.keolom"})
    assert (second.by, second.at) == (cast["office"], vn(2024, 3, 15, 9, 0))


def test_assigning_the_same_handler_again_or_nobody_is_refused(received, cast, later):
    received.assign(by=cast["office"], handler=cast["desk_pu_hong"])
    assert refused_message(received.assign, by=cast["office"], handler=cast["desk_pu_hong"]) == (
        "Hồ sơ đã được phân công cho Lò Văn A."
    )
    assert refused_message(received.assign, by=cast["office"], handler=None) == "Cần chọn người xử lý."
    assert received.events.filter(kind="assigned").count() == 1


def test_a_returned_dossier_cannot_be_assigned(received, cast, later):
    received.resolve(by=cast["desk_pu_hong"], at=vn(2024, 2, 20, 15, 0))
    received.return_result(by=cast["desk_pu_hong"], at=vn(2024, 2, 21, 8, 0))
    message = refused_message(received.assign, by=cast["office"], handler=cast["desk_keo_lom"])
    assert message == "Hồ sơ đang ở trạng thái «Đã trả kết quả», không thể phân công xử lý."
    received.refresh_from_db()
    assert received.handler is None


# --- date corrections -------------------------------------------------------------------------------


def test_correcting_the_receipt_keeps_the_old_value_and_recomputes_the_due_time(received, cast, later):
    received.correct_date(
        by=cast["office"], field="received_at", value=vn(2024, 2, 6, 10, 0), reason="Nhập nhầm ngày tiếp nhận"
    )
    received.refresh_from_db()
    # Tue 06/02 10:00: 1 day before Tết, then Thu 15/02 … Tue 20/02 10:00.
    assert (received.received_at, received.due_at) == (vn(2024, 2, 6, 10, 0), vn(2024, 2, 20, 10, 0))
    event = last_event(received)
    assert (event.kind, event.by, event.at, event.reason) == (
        "corrected", cast["office"], vn(2024, 3, 15, 9, 0), "Nhập nhầm ngày tiếp nhận"
    )  # fmt: skip
    assert event.before == {"received_at": "2024-02-07T10:00:00+07:00", "due_at": "2024-02-21T10:00:00+07:00"}
    assert event.after == {"received_at": "2024-02-06T10:00:00+07:00", "due_at": "2024-02-20T10:00:00+07:00"}


def test_correcting_the_receipt_keeps_the_time_the_clock_stood_still(received, officer, later):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 20, 10, 0))
    received.receive_supplement(by=officer, at=vn(2024, 2, 21, 10, 0))
    assert received.due_at == vn(2024, 2, 22, 10, 0)
    received.correct_date(by=officer, field="received_at", value=vn(2024, 2, 6, 10, 0), reason="Nhập nhầm")
    assert received.due_at == vn(2024, 2, 21, 10, 0)  # one working day earlier, still one day paused


def test_correcting_the_receipt_keeps_a_due_time_typed_in(units, procedures, officer, later):
    dossier = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu",
        received_at=vn(2024, 3, 4, 8, 0), due_at=vn(2024, 3, 12, 16, 30),
    )  # fmt: skip
    dossier.correct_date(by=officer, field="received_at", value=vn(2024, 3, 1, 8, 0), reason="Theo sổ tiếp nhận")
    dossier.refresh_from_db()
    assert (dossier.received_at, dossier.due_at) == (vn(2024, 3, 1, 8, 0), vn(2024, 3, 12, 16, 30))


def test_a_due_time_corrected_by_hand_is_marked_as_given(received, officer, later):
    received.correct_date(by=officer, field="due_at", value=vn(2024, 2, 23, 17, 0), reason="Theo phiếu hẹn đã in")
    received.refresh_from_db()
    assert (received.due_at, received.due_at_given) == (vn(2024, 2, 23, 17, 0), True)
    assert last_event(received).before == {"due_at": "2024-02-21T10:00:00+07:00"}


def test_a_correction_needs_a_reason_and_a_value(received, officer, later):
    assert refused_message(
        received.correct_date, by=officer, field="received_at", value=vn(2024, 2, 6, 10, 0), reason=""
    ) == "Cần ghi lý do sửa ngày."  # fmt: skip
    assert refused_message(received.correct_date, by=officer, field="due_at", value=None, reason="Sai") == (
        "Ngày hẹn trả không được để trống."
    )
    assert refused_message(
        received.correct_date, by=officer, field="resolved_at", value=vn(2024, 2, 20, 10, 0), reason="Sai"
    ) == "Hồ sơ chưa có ngày có kết quả; dùng thao tác tương ứng."  # fmt: skip
    assert refused_message(
        received.correct_date, by=officer, field="state", value=vn(2024, 2, 20, 10, 0), reason="Sai"
    ) == "Không sửa được trường state."  # fmt: skip
    assert_nothing_written(received)


def test_a_correction_that_breaks_the_order_of_dates_names_both_dates(received, officer, later):
    received.resolve(by=officer, at=vn(2024, 2, 20, 15, 0))
    message = refused_message(
        received.correct_date, by=officer, field="received_at", value=vn(2024, 2, 21, 8, 0), reason="Sai ngày"
    )
    assert message == "Ngày có kết quả 15:00 20/02/2024 trước ngày tiếp nhận 08:00 21/02/2024."
    # The instance is as the database has it, not half-corrected.
    assert received.received_at == vn(2024, 2, 7, 10, 0)
    assert received.due_at == vn(2024, 2, 21, 10, 0)
    received.return_result(by=officer, at=vn(2024, 2, 21, 8, 0))
    message = refused_message(
        received.correct_date, by=officer, field="resolved_at", value=vn(2024, 2, 22, 8, 0), reason="Sai ngày"
    )
    assert message == "Ngày trả kết quả 08:00 21/02/2024 trước ngày có kết quả 08:00 22/02/2024."
    message = refused_message(
        received.correct_date, by=officer, field="due_at", value=vn(2024, 2, 6, 8, 0), reason="Sai ngày"
    )
    assert message == "Ngày hẹn trả 08:00 06/02/2024 trước ngày tiếp nhận 10:00 07/02/2024."
    assert received.events.filter(kind="corrected").count() == 0


def test_a_receipt_cannot_be_corrected_past_its_first_clock_stop(received, officer, later):
    received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 15, 10, 0))
    message = refused_message(
        received.correct_date, by=officer, field="received_at", value=vn(2024, 2, 16, 8, 0), reason="Sai ngày"
    )
    assert message == "Ngày tiếp nhận 08:00 16/02/2024 sau lần dừng tính thời hạn 10:00 15/02/2024."


def test_a_corrected_date_in_the_future_is_refused(received, officer, later):
    received.resolve(by=officer, at=vn(2024, 2, 20, 15, 0))
    message = refused_message(
        received.correct_date, by=officer, field="resolved_at", value=vn(2024, 3, 20, 8, 0), reason="Sai ngày"
    )
    assert message == "Ngày có kết quả 08:00 20/03/2024 ở tương lai."


def test_correcting_the_receipt_uses_the_calendar_as_it_is_now(received, officer, later):
    Holiday.objects.create(date=vn(2024, 2, 20).date(), name="Nghỉ đột xuất")
    received.correct_date(by=officer, field="received_at", value=vn(2024, 2, 6, 10, 0), reason="Nhập nhầm")
    assert received.due_at == vn(2024, 2, 21, 10, 0)


# --- the whole life of a dossier, and officers acting at once ---------------------------------------


def test_every_step_writes_exactly_one_event_with_who_and_when(received, cast, later):
    officer, office = cast["desk_pu_hong"], cast["office"]
    steps = [
        (lambda: received.assign(by=office, handler=officer), office, vn(2024, 3, 15, 9, 0)),
        (lambda: received.pause(by=officer, reason="Xác minh", at=vn(2024, 2, 15, 8)), officer, vn(2024, 2, 15, 8)),
        (lambda: received.resume(by=officer, at=vn(2024, 2, 16, 8, 0)), officer, vn(2024, 2, 16, 8, 0)),
        (
            lambda: received.request_supplement(by=officer, missing_papers="Bản đồ", at=vn(2024, 2, 19, 8, 0)),
            officer, vn(2024, 2, 19, 8, 0),
        ),
        (lambda: received.receive_supplement(by=officer, at=vn(2024, 2, 20, 8, 0)), officer, vn(2024, 2, 20, 8, 0)),
        (lambda: received.resolve(by=officer, at=vn(2024, 2, 22, 9, 0)), officer, vn(2024, 2, 22, 9, 0)),
        (lambda: received.return_result(by=officer, at=vn(2024, 2, 23, 9, 0)), officer, vn(2024, 2, 23, 9, 0)),
        (
            lambda: received.correct_date(by=office, field="returned_at", value=vn(2024, 2, 23, 10), reason="Sai giờ"),
            office, vn(2024, 3, 15, 9, 0),
        ),
    ]  # fmt: skip
    for number, (step, by, at) in enumerate(steps, start=2):
        step()
        assert received.events.count() == number
        event = last_event(received)
        assert (event.by, event.at) == (by, at), event.kind
        assert event.before != event.after, event.kind
    # Two days stopped (one paused, one waiting for papers) on top of Wed 21/02 10:00.
    assert received.due_at == vn(2024, 2, 23, 10, 0)


def test_an_officer_acting_on_a_stale_page_cannot_undo_a_colleagues_step(received, cast, later):
    on_other_screen = Dossier.objects.get(pk=received.pk)
    received.resolve(by=cast["desk_pu_hong"], at=vn(2024, 2, 20, 15, 0))
    message = refused_message(on_other_screen.pause, by=cast["desk_keo_lom"], reason="Chờ xác minh")
    assert message == "Hồ sơ đang ở trạng thái «Đã có kết quả», không thể dừng tính thời hạn."
    on_other_screen.refresh_from_db()
    assert on_other_screen.state == "da_co_ket_qua"
    assert not ClockStop.objects.filter(dossier=received).exists()


def test_a_closed_desk_or_a_withdrawn_procedure_receives_nothing(units, procedures):
    from datetime import date

    commune = units["phinh_giang"]
    commune.valid_to, commune.merged_into = date(2025, 6, 30), units["keo_lom"]
    commune.save()
    with time_machine.travel(vn(2025, 7, 2, 9), tick=False):
        with pytest.raises(
            ActionRefused,
            match="UBND xã Phình Giàng không còn hoạt động ngày 02/07/2025; hồ sơ nộp tại UBND xã Keo Lôm",
        ):
            Dossier.receive(unit=commune, procedure=procedures["land"], applicant_name="Lý A Dơ")
        # Received before it closed (entered late): accepted.
        late_entry = Dossier.receive(
            unit=commune, procedure=procedures["land"], applicant_name="Lý A Dơ", received_at=vn(2025, 6, 30, 9)
        )
        assert late_entry.unit == commune
        procedures["land"].active = False
        procedures["land"].save()
        with pytest.raises(ActionRefused, match="Thủ tục 1.003003 đã ngừng áp dụng"):
            Dossier.receive(unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Lý A Dơ")
    assert Dossier.objects.filter(applicant_name="Lý A Dơ").count() == 1
