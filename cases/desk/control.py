"""The process control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ: Mẫu 06 of Thông tư 03/2025/TT-VPCP, Mẫu 05
of Thông tư 01/2018/TT-VPCP): a dossier's hand-overs as the rows of the form, one place for the page and its print.

The first row is the receipt (the applicant hands the papers to the desk), then one row per step of the internal
process (who handed it, to which unit or official, when, the step's due time and its outcome), then the rows of the
steps still to come (blank, to be filled in by hand on paper), and the return of the result to the applicant.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from cases.catalogue.models import Performer, Unit
from cases.core.formats import display_name, number

from .outcome import LABELS, LATE, OPEN_OVERDUE, STEP_LABELS, outcome_of, step_outcome, step_seconds_late
from .states import StepEnd

APPLICANT = "Tổ chức, cá nhân"
DESK = "Bộ phận Tiếp nhận và Trả kết quả"


@dataclass
class HandOver:
    title: str
    giver: str  # the place handing over: a unit or a part of it
    giver_person: str
    receiver: str
    receiver_person: str
    at: datetime | None
    taken_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str = ""  # a cases.desk.outcome code, '' when there is none yet
    outcome_label: str = ""
    note: str = ""
    planned: bool = False  # a step still to come: printed blank, filled in by hand
    elsewhere: bool = False  # performed by another unit (liên thông)

    @property
    def late(self):
        return self.outcome in (LATE, OPEN_OVERDUE)


def place(step, dossier):
    """Where a step is performed, as the form names it: a part of the dossier's unit, or another unit."""
    if step.unit_id != dossier.unit_id:
        return step.unit.name
    return _part(step.performer, dossier)


def _part(performer, dossier):
    if performer == Performer.DESK:
        return DESK
    if performer == Performer.LEADER:
        return f"Lãnh đạo {dossier.unit.name}"
    return Performer(performer).label


def _hours(seconds):
    return f"{number(seconds / 3600, 1)} giờ làm việc"


def _note(step, previous, seconds_late, kind):
    parts = []
    if previous is not None and previous.end == StepEnd.SENT_BACK:
        parts.append(f"Trả lại từ bước {previous.number}: {previous.reason}")
    if kind == LATE:
        parts.append(f"Trễ {_hours(seconds_late)}")
    elif kind == OPEN_OVERDUE:
        parts.append(f"Đang quá hạn {_hours(seconds_late)}")
    if step.end == StepEnd.CLOSED and step.taken_at is None:
        parts.append("Hồ sơ kết thúc trước khi bước được nhận")
    return "; ".join(parts)


def hand_overs(dossier, steps, plan, work_calendar, now=None, returned_by=None):
    """[HandOver] of the dossier, in order. `steps`: its DossierStep rows in order (holder, handed_by and unit read);
    `plan`: its process (cases.catalogue.processes), for the rows still to come."""
    now = now or timezone.now()
    steps = list(steps)
    rows = []
    previous = None
    for step in steps:
        kind = step_outcome(step, now)
        seconds = step_seconds_late(step, work_calendar, now) if kind in (LATE, OPEN_OVERDUE) else 0
        here = place(step, dossier)
        if previous is None:
            # The first step begins with the receipt: the applicant hands the papers to the desk.
            giver, giver_person, at = APPLICANT, dossier.applicant_name, dossier.received_at
        else:
            giver, giver_person, at = place(previous, dossier), display_name(step.handed_by), step.handed_at
        rows.append(
            HandOver(
                title=f"Bước {step.number}: {step.name}",
                giver=giver,
                giver_person=giver_person,
                receiver=here,
                receiver_person=step.holder_label,
                at=at,
                taken_at=step.taken_at,
                due_at=step.due_at,
                finished_at=step.finished_at,
                outcome=kind,
                outcome_label=STEP_LABELS.get(kind, ""),
                note=_note(step, previous, seconds, kind),
                elsewhere=step.unit_id != dossier.unit_id,
            )
        )
        previous = step
    if dossier.is_open:
        reached = previous.number if previous is not None else 0
        to_come = [planned for planned in plan if planned.number > reached]
        others = Unit.objects.in_bulk([p.performer_unit_id for p in to_come if p.performer_unit_id])
        for planned in to_come:
            other = others.get(planned.performer_unit_id)
            rows.append(
                HandOver(
                    title=f"Bước {planned.number}: {planned.name}",
                    giver="",
                    giver_person="",
                    receiver=other.name if other else _part(planned.performer, dossier),
                    receiver_person="",
                    at=None,
                    planned=True,
                    elsewhere=other is not None,
                )
            )
    if dossier.returned_at is not None:
        kind = outcome_of(dossier, now)
        rows.append(
            HandOver(
                title="Trả kết quả",
                giver=DESK,
                giver_person=display_name(returned_by),
                receiver=APPLICANT,
                receiver_person=dossier.applicant_name,
                at=dossier.returned_at,
                due_at=dossier.due_at,
                finished_at=dossier.resolved_at,
                outcome=kind,
                outcome_label=LABELS[kind],
                note=f"Có kết quả lúc {timezone.localtime(dossier.resolved_at):%H:%M %d/%m/%Y}",
            )
        )
    return rows


def partners(rows):
    """The other units that took part (cơ quan phối hợp giải quyết), as the form's header names them."""
    return sorted({row.receiver for row in rows if row.elsewhere})
