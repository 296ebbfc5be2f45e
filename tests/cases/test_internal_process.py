"""The process inside a unit: each step's due time in working hours, its outcome, the moves and who may make them.

Office hours 07:00–11:30 and 13:30–17:00 (8 working hours a day). The land procedure takes 5 working days (40
hours); without a process of its own it follows the built-in one: the desk receives (4 h), the specialists handle
(32 h), the desk returns (4 h).
"""

from decimal import Decimal

import pytest
import time_machine
from django.http import Http404

from cases.catalogue.processes import default_plan
from cases.desk import access, outcome
from cases.desk.steps import ActionRefused
from cases.models import Dossier, DossierEvent, DossierStep, Membership, Performer, Role
from tests.conftest import vn

MONDAY_NINE = vn(2024, 3, 4, 9, 0)


@pytest.fixture
def dossier(units, procedures, cast):
    with time_machine.travel(MONDAY_NINE, tick=False):
        return Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
            by=cast["desk_pu_hong"], received_at=MONDAY_NINE,
        )  # fmt: skip


def at(moment):
    return time_machine.travel(moment, tick=False)


def steps_of(dossier):
    return list(DossierStep.objects.filter(dossier=dossier).order_by("handed_at", "id"))


def test_the_built_in_process_shares_the_procedures_time():
    plan = default_plan(5, 8 * 3600)
    assert [(step.name, step.performer, step.hours) for step in plan] == [
        ("Tiếp nhận, chuyển hồ sơ", Performer.DESK, Decimal(4)),
        ("Thẩm định, giải quyết hồ sơ", Performer.SPECIALIST, Decimal(32)),
        ("Trả kết quả", Performer.DESK, Decimal(4)),
    ]
    # A same-day procedure's steps share its one day.
    assert [step.hours for step in default_plan(0, 8 * 3600)] == [Decimal(1), Decimal(6), Decimal(1)]


def test_the_desk_holds_the_first_step_from_the_receipt(dossier, cast, units):
    (step,) = steps_of(dossier)
    assert (step.number, step.holder, step.taken_at) == (1, cast["desk_pu_hong"], MONDAY_NINE)
    # 09:00 + 4 working hours: 2,5 h before the lunch break, 1,5 h after it.
    assert step.due_at == vn(2024, 3, 4, 15, 0)
    assert dossier.holding_unit == units["pu_hong"]


def test_a_step_runs_from_when_it_is_taken_up_and_ends_early_on_time_or_late(dossier, cast, officials):
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"])
    handed = dossier.open_step()
    assert (handed.number, handed.holder, handed.due_at, handed.taken_at) == (2, None, None, None)
    assert outcome.step_outcome(handed) == outcome.STEP_WAITING
    with at(vn(2024, 3, 5, 8, 0)):
        taken = dossier.take_up(by=officials["specialist"])
    # Tuesday 08:00 + 32 working hours: 7 h on Tuesday, 8 each Wednesday to Friday, 1 h on Monday.
    assert taken.due_at == vn(2024, 3, 11, 8, 0)
    assert dossier.handler == officials["specialist"]
    with at(vn(2024, 3, 11, 9, 0)):
        dossier.hand_over(by=officials["specialist"])
    late = DossierStep.objects.get(pk=taken.pk)
    assert outcome.step_outcome(late) == outcome.LATE
    assert outcome.step_seconds_late(late, _calendar()) == 3600
    first = steps_of(dossier)[0]
    # Handed on at 10:00 on its due day (due 15:00): on time, not early.
    assert (first.end, outcome.step_outcome(first)) == ("chuyen", outcome.ON_TIME)
    kinds = list(DossierEvent.objects.filter(dossier=dossier).values_list("kind", flat=True))
    assert kinds == ["received", "handed_over", "taken_up", "handed_over"]


def test_a_step_finished_on_its_due_day_before_the_due_time_is_on_time(dossier, cast, officials):
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"])
        dossier.take_up(by=officials["specialist"])
    # Due Friday 08/03 at 10:00 (32 h from Monday 10:00); finished that morning.
    step = dossier.open_step()
    assert step.due_at == vn(2024, 3, 8, 10, 0)
    with at(vn(2024, 3, 8, 9, 30)):
        dossier.hand_over(by=officials["specialist"])
    assert outcome.step_outcome(DossierStep.objects.get(pk=step.pk)) == outcome.ON_TIME


def test_a_step_held_across_tet_is_due_after_it(units, procedures, cast, officials):
    with at(vn(2024, 2, 7, 9, 0)):
        dossier = Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
            by=cast["desk_pu_hong"], received_at=vn(2024, 2, 7, 9, 0),
        )  # fmt: skip
        dossier.hand_over(by=cast["desk_pu_hong"], to_user=officials["specialist"])
        step = dossier.take_up(by=officials["specialist"])
    # Wednesday 07/02 09:00 + 32 h: 6 h that day; Tết from Thursday 08/02 to Wednesday 14/02; then Thursday 15/02,
    # Friday 16/02 and Monday 19/02 (24 h), and 2 h on Tuesday 20/02.
    assert step.due_at == vn(2024, 2, 20, 9, 0)


def test_a_supplement_request_moves_the_step_held_as_it_moves_the_dossier(dossier, cast, officials):
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"])
        dossier.take_up(by=officials["specialist"])
    due_before = dossier.due_at
    with at(vn(2024, 3, 5, 10, 0)):
        dossier.request_supplement(by=cast["desk_pu_hong"], missing_papers="Bản sao sổ đỏ")
    with at(vn(2024, 3, 7, 10, 0)):
        dossier.receive_supplement(by=cast["desk_pu_hong"])
    # Stopped Tuesday 10:00 to Thursday 10:00: 16 working hours, for the step and the dossier alike.
    assert dossier.open_step().due_at == vn(2024, 3, 12, 10, 0)
    assert dossier.due_at == _calendar().add_working_time(due_before, 16 * 3600)


def test_sending_back_ends_the_step_with_its_reason_and_the_earlier_step_starts_anew(dossier, cast, officials):
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"], to_user=officials["specialist"])
        dossier.take_up(by=officials["specialist"])
        due = dossier.due_at
    with at(vn(2024, 3, 5, 10, 0)):
        with pytest.raises(ActionRefused, match="lý do"):
            dossier.send_back(by=officials["specialist"], number=1, reason=" ")
        dossier.send_back(by=officials["specialist"], number=1, reason="Thiếu trích lục bản đồ")
    back = dossier.open_step()
    assert (back.number, back.holder, back.taken_at) == (1, cast["desk_pu_hong"], None)
    sent = steps_of(dossier)[1]
    assert (sent.end, sent.reason) == ("tra_lai", "Thiếu trích lục bản đồ")
    assert dossier.due_at == due
    with at(vn(2024, 3, 5, 14, 0)):
        again = dossier.take_up(by=cast["desk_pu_hong"])
    # Four working hours anew: 14:00 → 17:00, then 07:00 → 08:00 on Wednesday.
    assert again.due_at == vn(2024, 3, 6, 8, 0)
    event = DossierEvent.objects.filter(dossier=dossier, kind="sent_back").get()
    assert (event.before["step"], event.after["step"], event.reason) == (2, 1, "Thiếu trích lục bản đồ")


def test_a_move_is_refused_out_of_order(dossier, cast, officials):
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"])
        with pytest.raises(ActionRefused, match="chưa được nhận"):
            dossier.hand_over(by=cast["desk_pu_hong"])
        dossier.take_up(by=officials["specialist"])
        with pytest.raises(ActionRefused, match="không có bước 7"):
            dossier.hand_over(by=officials["specialist"], number=7)
        with pytest.raises(ActionRefused, match="Chỉ trả lại được một bước trước"):
            dossier.send_back(by=officials["specialist"], number=3, reason="Nhầm")
    assert [(step.number, step.finished_at) for step in steps_of(dossier)] == [(1, vn(2024, 3, 4, 10, 0)), (2, None)]


def test_returning_the_result_ends_the_process(dossier, cast, officials):
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"])
        dossier.take_up(by=officials["specialist"])
    with at(vn(2024, 3, 6, 10, 0)):
        dossier.resolve(by=officials["specialist"])
        dossier.hand_over(by=officials["specialist"], to_user=cast["desk_pu_hong"])
        dossier.take_up(by=cast["desk_pu_hong"])
        dossier.return_result(by=cast["desk_pu_hong"])
    assert dossier.open_step() is None and dossier.holding_unit is None
    assert [(step.number, step.end) for step in steps_of(dossier)] == [(1, "chuyen"), (2, "chuyen"), (3, "ket_thuc")]


# --- another unit's step (liên thông) and who may move a step ------------------------------------------------
def test_another_unit_sees_and_moves_the_dossier_only_while_it_holds_its_step(linked, dossier, cast, officials, units):
    economy = officials["economy"]
    with pytest.raises(Http404):
        access.get_dossier_or_404(economy, dossier.code)
    with at(vn(2024, 3, 4, 10, 0)):
        step = dossier.hand_over(by=cast["desk_pu_hong"])
    assert step.unit == units["economy"] and dossier.holding_unit == units["economy"]
    assert access.get_dossier_or_404(economy, dossier.code) == dossier
    assert access.may_take_up(economy, step)
    assert not access.may_take_up(officials["specialist"], step)  # Pú Hồng's specialist does not perform it
    assert not access.may_take_up(cast["desk_keo_lom"], step)
    assert list(access.held_steps(economy)) == [step]
    with at(vn(2024, 3, 4, 14, 0)):
        dossier.take_up(by=economy)
    step.refresh_from_db()
    assert access.may_move(economy, dossier, step)
    assert not access.may_move(cast["desk_pu_hong"], dossier, step)
    with at(vn(2024, 3, 7, 14, 0)):
        signing = dossier.hand_over(by=economy)
    assert (signing.performer, signing.unit) == (Performer.LEADER, units["pu_hong"])
    assert access.may_take_up(officials["leader"], signing)
    assert not access.may_take_up(cast["desk_pu_hong"], signing)
    with pytest.raises(Http404):
        access.get_dossier_or_404(economy, dossier.code)
    # Read-only for the other unit: the desk's own changes stay with Pú Hồng.
    with pytest.raises(Http404):
        access.get_dossier_or_404(economy, dossier.code, for_change=True)


def test_a_step_named_for_one_official_is_taken_up_by_that_official_only(dossier, cast, officials, units):
    other = Membership.objects.create(user=officials["leader"], unit=units["pu_hong"], role=Role.SPECIALIST).user
    with at(vn(2024, 3, 4, 10, 0)):
        step = dossier.hand_over(by=cast["desk_pu_hong"], to_user=officials["specialist"])
    assert access.may_take_up(officials["specialist"], step)
    assert not access.may_take_up(other, step)
    assert list(access.step_candidates(units["pu_hong"].pk, Performer.SPECIALIST)) == [
        other, officials["specialist"]
    ]  # fmt: skip


def _calendar():
    from cases.catalogue.calendar import calendar

    return calendar()
