"""The dossier page's "where the time was lost" block (templates/cases/_late_steps.html): for a late or overdue
dossier, the steps that overran and by how many working hours (cases.desk.outcome.late_steps)."""

from django import template
from django.utils import timezone

from cases.catalogue.calendar import calendar
from cases.core.formats import number
from cases.desk import outcome

register = template.Library()


def _hours(seconds):
    return number(seconds / 3600, 1)


@register.inclusion_tag("cases/_late_steps.html")
def late_steps(dossier, now=None):
    kind = outcome.outcome_of(dossier, now)
    if kind not in (outcome.LATE, outcome.OPEN_OVERDUE):
        return {"shown": False}
    work_calendar = calendar()
    steps = list(dossier.steps.select_related("holder", "unit").order_by("handed_at", "id"))
    traced = outcome.late_steps(steps, work_calendar, now)
    overran = [
        {"step": step, "hours": _hours(seconds), "label": outcome.STEP_LABELS[outcome.step_outcome(step, now)]}
        for step, seconds in traced
    ]
    # Time between a hand-over and its take-up (or now, for a step nobody took up) belongs to no step's share.
    moment = now or timezone.now()
    waited = sum(
        work_calendar.working_seconds_between(s.handed_at, s.taken_at or moment)
        for s in steps
        if s.taken_at or s.finished_at is None
    )
    return {
        "shown": True,
        "dossier": dossier,
        "late": kind == outcome.LATE,
        "has_steps": bool(steps),
        "overran": overran,
        "total": _hours(sum(seconds for _, seconds in traced)),
        "waited": _hours(waited) if waited else "",
    }


@register.simple_tag
def overran_steps(dossier):
    """[(step, hours text)] of the dossier's steps that overran, the most late first: the apology form's choices (the
    first is what issue_apology records when none is chosen)."""
    steps = dossier.steps.select_related("holder", "unit").order_by("handed_at", "id")
    return [(step, _hours(seconds)) for step, seconds in outcome.late_steps(steps, calendar())]
