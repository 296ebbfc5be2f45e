"""The dossier's moves through its unit's internal process (DOMAIN.md, "The process inside a unit").

The desk hands the dossier to the next step's performer (a unit, maybe a named official); the performer takes it
up (nhận), which starts the step's clock; then hands it on (chuyển) or sends it back to an earlier step with a
reason (trả lại). Each move ends one DossierStep and opens the next, keeps Dossier.holding_unit, and records a
DossierEvent, in one transaction on the locked dossier (cases.desk.steps._step). Who may make a move is asked of
cases.desk.access before calling these.
"""

from django.conf import settings
from django.utils import timezone

from cases.catalogue.calendar import calendar as load_calendar
from cases.catalogue.models import Performer
from cases.catalogue.processes import plan_for, step_of

from .states import EventKind, PauseKind, StepEnd
from .steps import ActionRefused, _fmt, _name, _step


def left_by(steps):
    """(holding unit id, handler id) a dossier's steps leave it with, as the moves keep them: the unit of the step
    still open (None when none is), and the official who last took up a chuyen_mon step (None when no official
    with an account did: the handler stays as it was). `steps`: rows {attname: value}, in order — an import's or
    the demo's, written in bulk."""
    holding = handler = None
    for step in steps:
        if step["finished_at"] is None:
            holding = step["unit_id"]
        if step["performer"] == Performer.SPECIALIST and step["holder_id"] and step["taken_at"] is not None:
            handler = step["holder_id"]
    return holding, handler


class DossierProcess:
    """Mixed into Dossier, beside cases.desk.steps.DossierSteps."""

    def open_step(self):
        """The step the dossier is at (None: not in the process, or its process is over)."""
        return self._steps().filter(finished_at__isnull=True).select_related("unit", "holder").first()

    def process_plan(self, work_calendar=None):
        return plan_for(self.procedure, self.unit_id, work_calendar or load_calendar())

    # --- moves --------------------------------------------------------------------------------------
    @_step
    def hand_over(self, *, by, number=None, to_user=None, at=None, work_calendar=None):
        """Chuyển: end the step held now and hand the dossier to step `number` (by default the next one),
        to its unit and, when named, to one official of it."""
        self._require_state("hand_over", "chuyển xử lý")
        work_calendar = work_calendar or load_calendar()
        plan = self.process_plan(work_calendar)
        current = self.open_step()
        if current is not None and current.taken_at is None:
            raise ActionRefused(f"Bước «{current.name}» chưa được nhận: cần nhận hồ sơ trước khi chuyển.")
        at_number = current.number if current else 1
        number = number or at_number + 1
        planned = step_of(plan, number)
        if planned is None or number <= at_number:
            raise ActionRefused(f"Quy trình của thủ tục không có bước {number} sau bước {at_number}.")
        at = self._check_time(at, *self._step_not_before(current))
        before = self._where(current)
        if current is not None:
            self._end_step(current, at, StepEnd.HANDED_ON)
        step = self._steps().create(
            number=planned.number, name=planned.name, performer=planned.performer,
            unit_id=planned.unit_id_for(self.unit_id), holder=to_user, handed_at=at, handed_by=by,
            seconds=planned.seconds,
        )  # fmt: skip
        self._hold(step)
        self._save_and_record(EventKind.HANDED_OVER, by, at, before, after=self._where(step))
        return step

    @_step
    def take_up(self, *, by, at=None, work_calendar=None):
        """Nhận: the official takes the step up; its due time runs from now by its share of working time."""
        self._require_state("take_up", "nhận xử lý")
        step = self.open_step()
        if step is None:
            raise ActionRefused("Hồ sơ không có bước nào đang chờ nhận.")
        if step.taken_at is not None:
            raise ActionRefused(f"Bước «{step.name}» đã được {step.holder_label} nhận lúc {_fmt(step.taken_at)}.")
        at = self._check_time(at, step.handed_at, "thời điểm chuyển đến")
        before = self._where(step)
        step.holder, step.taken_at = by, at
        step.due_at = (work_calendar or load_calendar()).add_working_time(at, step.seconds)
        step.save(update_fields=["holder", "taken_at", "due_at"])
        if step.performer == Performer.SPECIALIST:
            # The dossier's handler is the specialist who holds or last held its handling step.
            self.handler = by
        self._hold(step)
        self._save_and_record(EventKind.TAKEN_UP, by, at, before, after=self._where(step))
        return step

    @_step
    def send_back(self, *, by, number, reason, at=None, work_calendar=None):
        """Trả lại: the step held now ends with a reason and the dossier goes back to step `number`, to the
        official who held it last; that step gets its share anew once taken up again. The dossier's due time
        does not move."""
        self._require_state("send_back", "trả lại bước trước")
        current = self.open_step()
        if current is None or current.taken_at is None:
            raise ActionRefused("Cần nhận hồ sơ trước khi trả lại.")
        if not (reason or "").strip():
            raise ActionRefused("Cần ghi lý do trả lại.")
        planned = step_of(self.process_plan(work_calendar), number)
        if planned is None or number >= current.number:
            raise ActionRefused(f"Chỉ trả lại được một bước trước bước {current.number}.")
        at = self._check_time(at, current.taken_at, "thời điểm nhận")
        before = self._where(current)
        self._end_step(current, at, StepEnd.SENT_BACK, reason.strip())
        last = self._steps().filter(number=number).exclude(holder=None).order_by("-handed_at", "-id").first()
        step = self._steps().create(
            number=planned.number, name=planned.name, performer=planned.performer,
            unit_id=last.unit_id if last else planned.unit_id_for(self.unit_id),
            holder=last.holder if last else None, handed_at=at, handed_by=by, seconds=planned.seconds,
        )  # fmt: skip
        self._hold(step)
        self._save_and_record(EventKind.SENT_BACK, by, at, before, after=self._where(step), reason=reason.strip())
        return step

    # --- what the dossier's own steps do to its process (called from cases.desk.steps) -----------------
    def _open_first_step(self, by, work_calendar):
        """At receipt the desk holds the first step, taken up as it receives (the desk that took it in for another
        unit, when it did: it hands the dossier over to that unit)."""
        planned = self.process_plan(work_calendar)[0]
        step = self._steps().create(
            number=planned.number, name=planned.name, performer=planned.performer,
            unit_id=self.receiving_unit_id or planned.unit_id_for(self.unit_id), holder=by,
            handed_at=self.received_at, handed_by=by, taken_at=self.received_at, seconds=planned.seconds,
            due_at=work_calendar.add_working_time(self.received_at, planned.seconds),
        )  # fmt: skip
        self._hold(step)
        type(self).objects.filter(pk=self.pk).update(holding_unit=self.holding_unit)

    def _close_process(self, at):
        """The dossier ended (result returned, refused, withdrawn): the step held then ends with it."""
        step = self.open_step()
        if step is not None:
            self._end_step(step, max(at, step.taken_at or step.handed_at), StepEnd.CLOSED)
        self.holding_unit = None

    def _move_step_clock(self, pause_kind, stopped_at, resumed_at, work_calendar):
        """The clock stood still (supplement, pause): the step held moves as the dossier's due time does."""
        step = self.open_step()
        if step is None or step.due_at is None:
            return
        if settings.SUPPLEMENT_CLOCK == "restart" and pause_kind == PauseKind.SUPPLEMENT:
            step.due_at = work_calendar.add_working_time(resumed_at, step.seconds)
        else:
            paused = work_calendar.working_seconds_between(max(stopped_at, step.taken_at), resumed_at)
            step.due_at = work_calendar.add_working_time(step.due_at, paused)
        step.save(update_fields=["due_at"])

    # --- helpers ----------------------------------------------------------------------------------
    def _steps(self):
        return self.steps

    def _hold(self, step):
        self.holding_unit = step.unit if step.finished_at is None else None

    @staticmethod
    def _end_step(step, at, end, reason=""):
        step.finished_at, step.end, step.reason = at, end, reason
        step.save(update_fields=["finished_at", "end", "reason"])

    def _step_not_before(self, current):
        if current is None:
            return self._last_restart()
        return current.taken_at or current.handed_at, "thời điểm nhận bước hiện tại"

    @staticmethod
    def _where(step):
        """Where a dossier is, as an event records it."""
        if step is None:
            return {"step": None}
        return {
            "step": step.number,
            "name": step.name,
            "unit": step.unit.code,
            "holder": _name(step.holder) if step.holder_id else step.holder_name or None,
            "due_at": step.due_at and timezone.localtime(step.due_at).isoformat(),
        }
