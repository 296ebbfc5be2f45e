"""The internal process a dossier follows (DOMAIN.md, "The process inside a unit"): one answer for the desk, the
importer, the demo and the API.

A unit's own process of the procedure, else the procedure's default (no unit), else the built-in default
(receive → handle → return), so that every procedure has one. The shares are working time: a step taken up at
`t` is due at calendar.add_working_time(t, share).
"""

from dataclasses import dataclass
from decimal import Decimal

from .models import Performer, Process

# The built-in process when a procedure has none: the desk receives, the unit's specialists handle, the desk returns.
DEFAULT_STEPS = (
    ("Tiếp nhận, chuyển hồ sơ", Performer.DESK),
    ("Thẩm định, giải quyết hồ sơ", Performer.SPECIALIST),
    ("Trả kết quả", Performer.DESK),
)
# The desk's two steps take an eighth of the time each, at most half a working day.
DESK_SHARE, DESK_SHARE_MAX_HOURS = Decimal("0.125"), Decimal(4)


@dataclass(frozen=True)
class PlannedStep:
    number: int
    name: str
    performer: str
    # The unit of a liên thông step; None: the dossier's own unit.
    performer_unit_id: int | None
    seconds: int

    @property
    def hours(self):
        return Decimal(self.seconds) / 3600

    def unit_id_for(self, dossier_unit_id):
        return self.performer_unit_id or dossier_unit_id


def total_hours(processing_days, day_seconds):
    """The hours the steps share: the procedure's working days, or one working day for a 0-day procedure."""
    return Decimal(max(processing_days, 1) * day_seconds) / 3600


def default_plan(processing_days, day_seconds):
    total = total_hours(processing_days, day_seconds)
    desk = min(total * DESK_SHARE, DESK_SHARE_MAX_HOURS)
    shares = (desk, total - 2 * desk, desk)
    return tuple(
        PlannedStep(number, name, performer, None, round(hours * 3600))
        for number, ((name, performer), hours) in enumerate(zip(DEFAULT_STEPS, shares, strict=True), start=1)
    )


def _planned(process):
    return tuple(
        PlannedStep(step.number, step.name, step.performer, step.performer_unit_id, round(step.hours * 3600))
        for step in sorted(process.steps.all(), key=lambda step: step.number)
    )


class Plans:
    """Every active process read once (two queries), for a request or a batch: plan(procedure, unit_id)."""

    def __init__(self, day_seconds, procedure_ids=None):
        self.day_seconds = day_seconds
        processes = Process.objects.filter(active=True).prefetch_related("steps")
        if procedure_ids is not None:
            processes = processes.filter(procedure_id__in=procedure_ids)
        self._plans = {(process.procedure_id, process.unit_id): _planned(process) for process in processes}

    def plan(self, procedure, unit_id):
        """The steps of `procedure` at the unit `unit_id`: its own process, the default one, or the built-in one."""
        found = self._plans.get((procedure.pk, unit_id)) or self._plans.get((procedure.pk, None))
        return found or default_plan(procedure.processing_days, self.day_seconds)


def plan_for(procedure, unit_id, work_calendar):
    """The process of one dossier (one or two queries)."""
    return Plans(work_calendar.working_day_seconds, procedure_ids=[procedure.pk]).plan(procedure, unit_id)


def step_of(plan, number):
    return next((step for step in plan if step.number == number), None)


def hours_text(hours):
    """Working hours as a user writes them: 8 → '8', 0.50 → '0,5' (the decimal comma, no trailing zeros)."""
    return f"{Decimal(hours).normalize():f}".replace(".", ",")


def shares_problem(plan, processing_days, day_seconds):
    """Why a process's shares do not add up to the procedure's time (a message), or '' when they do."""
    total = total_hours(processing_days, day_seconds)
    given = sum((step.hours for step in plan), Decimal(0))
    if abs(given - total) > Decimal("0.01"):
        return f"tổng thời gian các bước {hours_text(given)} giờ, khác thời hạn của thủ tục {hours_text(total)} giờ"
    return ""
