"""The steps' figures (DOMAIN.md, "The process inside a unit"): the one definition of what is counted for a unit, a
department (the kind of step: desk, specialists, leader, liên thông) and an official, read by the officials sheet,
the dashboard, explanations, the dossier list's links, the freeze and the benchmarks.

Counted from DossierStep rows, by the step's unit and holder (the official of a step is the person who held it):
- handled: steps finished in the period (handed on, sent back, or ended with the dossier);
- early / on time / late: of those, as cases.desk.outcome.step_outcome classifies them (the same rule in SQL:
  step_early_q, step_on_time_q, step_late_q);
- seconds late: the working time past their due time of the late ones (cases.desk.outcome.step_seconds_late);
- sent back: of the handled, those the official ended by sending the dossier back to an earlier step;
- overdue: held past their due time at the period's end (for a running period, now): a stock, not a flow.

A step export (EXCHANGE_FORMAT.md, "Dossier steps") carries every column these need: the same rows give the same
counts. Frozen periods store these counters (reports.models.FrozenSteps) beside the dossiers' (reports.freeze).
"""

from dataclasses import asdict, dataclass, fields

from django.db.models import Count, Q
from django.utils import timezone

from cases.catalogue.calendar import calendar as load_calendar
from cases.core.formats import number
from cases.desk.models import DossierStep
from cases.desk.outcome import step_early_q, step_late_q, step_on_time_q, step_seconds_late, with_step_days
from cases.desk.states import StepEnd
from reports.models import FrozenSteps

from .counters import rate

# What a row of step figures is counted for: the unit holding the step, the kind of step, the official.
KEYS = ("unit_id", "performer", "holder_id", "holder_name")
NO_HOLDER = "(Chưa ghi người xử lý)"


@dataclass
class StepCounters:
    handled: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    seconds_late: int = 0
    sent_back: int = 0
    overdue: int = 0

    @property
    def timely(self):
        return self.early + self.on_time

    @property
    def on_time_rate(self):
        """(early + on time) / handled × 100, as the dossiers' on-time rate; None when nothing was handled."""
        return rate(self.timely, self.handled)

    @property
    def hours_late(self):
        """Working hours late, to one decimal (the sheet's and the pages' figure)."""
        return round(self.seconds_late / 3600, 1)

    @property
    def hours_late_text(self):
        return number(self.hours_late, 1)

    def __add__(self, other):
        return StepCounters(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self):
        return asdict(self)


STEP_COUNTER_NAMES = [f.name for f in fields(StepCounters)]
FLOWS = [name for name in STEP_COUNTER_NAMES if name != "overdue"]
# Counted in one aggregate; seconds_late is summed from the late rows with the calendar.
COUNTED = ["handled", "early", "on_time", "late", "sent_back"]


def finished_q(period):
    return Q(finished_at__gte=period.start_at, finished_at__lt=period.end_at)


def _classes():
    """{counter: Q} sorting finished steps (over with_step_days); the period goes in WHERE, not in each FILTER."""
    return {
        "early": step_early_q(),
        "on_time": step_on_time_q(),
        "late": step_late_q(),
        "sent_back": Q(end=StepEnd.SENT_BACK),
    }


def step_conditions(period):
    """{counter: Q} over DossierStep annotated with_step_days: the flows of the period."""
    finished = finished_q(period)
    return {"handled": finished} | {name: finished & condition for name, condition in _classes().items()}


def overdue_at_q(moment):
    """Held past its due time at `moment`: taken up, due before it, not finished by then."""
    return Q(due_at__lt=moment) & (Q(finished_at__isnull=True) | Q(finished_at__gte=moment))


def stock_moment(period, now=None):
    """The moment a period's stock is counted at: its end, or now while it runs."""
    return min(period.end_at, now or timezone.now())


def _in_units(queryset, unit_ids):
    return queryset if unit_ids is None else queryset.filter(unit_id__in=list(unit_ids))


def live(period, unit_ids=None, now=None, work_calendar=None, stock=True):
    """{(unit id, performer, holder id, holder name): StepCounters} computed from the steps (three queries).

    `unit_ids`: the units whose steps count (a literal list: the (unit, finished_at) index serves it); None: all.
    `stock`: count the steps held overdue at the end; a part that is not a period's last needs only its flows (the
    stock at an early end reads every step finished since).
    """
    steps = _in_units(DossierStep.objects.all(), unit_ids)
    result = {}

    def row(key):
        found = result.get(key)
        if found is None:
            found = result[key] = StepCounters()
        return found

    flows = (
        with_step_days(steps.filter(finished_q(period)))
        .values(*KEYS)
        .order_by()
        .annotate(handled=Count("id"), **{name: Count("id", filter=q) for name, q in _classes().items()})
    )
    for values in flows:
        counters = row(tuple(values[key] for key in KEYS))
        for name in COUNTED:
            setattr(counters, name, values[name])
    late_rows = steps.filter(finished_q(period) & step_late_q()).order_by().values_list(*KEYS, "due_at", "finished_at")
    for *key, due_at, finished_at in late_rows.iterator(chunk_size=5000):
        work_calendar = work_calendar or load_calendar()  # read only when something was late
        row(tuple(key)).seconds_late += _seconds_late(due_at, finished_at, work_calendar)
    if not stock:
        return result
    held = steps.filter(overdue_at_q(stock_moment(period, now))).values(*KEYS).order_by().annotate(count=Count("id"))
    for values in held:
        row(tuple(values[key] for key in KEYS)).overdue = values["count"]
    return result


class _Ended:
    """The two moments step_seconds_late reads, without building a model instance per row."""

    __slots__ = ("due_at", "finished_at")

    def __init__(self, due_at, finished_at):
        self.due_at, self.finished_at = due_at, finished_at


def _seconds_late(due_at, finished_at, work_calendar):
    return step_seconds_late(_Ended(due_at, finished_at), work_calendar)


def compose(pieces):
    """Join consecutive periods' step figures: flows add up, the overdue stock is the last part's."""
    result = {}
    last = len(pieces) - 1
    for index, figures in enumerate(pieces):
        for key, counters in figures.items():
            total = result.get(key)
            if total is None:
                total = result[key] = StepCounters()
            for name in FLOWS:
                setattr(total, name, getattr(total, name) + getattr(counters, name))
            if index == last:
                total.overdue = counters.overdue
    return result


def frozen(freeze_ids, unit_ids=None):
    """{freeze id: {key: StepCounters}} stored by the freezes (one query)."""
    rows = FrozenSteps.objects.filter(freeze_id__in=list(freeze_ids))
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=list(unit_ids))
    result = {pk: {} for pk in freeze_ids}
    for values in rows.values("freeze_id", *KEYS, *STEP_COUNTER_NAMES):
        key = tuple(values[key] for key in KEYS)
        result[values["freeze_id"]][key] = StepCounters(**{name: values[name] for name in STEP_COUNTER_NAMES})
    return result


def store(freeze, period, work_calendar=None):
    """Store the period's step figures of every unit with the freeze (reports.freeze.freeze)."""
    figures = live(period, None, now=period.end_at, work_calendar=work_calendar)
    FrozenSteps.objects.bulk_create(
        (
            FrozenSteps(freeze=freeze, **dict(zip(KEYS, key, strict=True)), **counters.as_dict())
            for key, counters in figures.items()
        ),
        batch_size=2000,
    )


# --- the open steps now, and the dossiers behind a number ------------------------------------------------------
# What a link from a step figure lists (the dossier list's `buoc_tt` filter), and what each means.
OPEN, WAITING, OVERDUE, LATE, HANDLED, SENT_BACK = "dang_giu", "cho_nhan", "dang_qua_han", "tre_han", "xu_ly", "tra_lai"
BEHIND_LABELS = {
    OPEN: "Hồ sơ đang ở bước",
    WAITING: "Hồ sơ đã chuyển đến, chưa có người nhận",
    OVERDUE: "Hồ sơ đang ở bước quá hạn",
    LATE: "Hồ sơ có bước hoàn thành trễ hạn",
    HANDLED: "Hồ sơ có bước đã xử lý",
    SENT_BACK: "Hồ sơ được trả lại bước trước",
}
PERIOD_KINDS = {LATE, HANDLED, SENT_BACK}


def behind_q(kind, period=None, now=None):
    """The steps behind a figure: a condition over DossierStep (none of these needs with_step_days)."""
    now = now or timezone.now()
    if kind == OPEN:
        return Q(finished_at__isnull=True)
    if kind == WAITING:
        return Q(finished_at__isnull=True, taken_at__isnull=True)
    if kind == OVERDUE:
        return Q(finished_at__isnull=True, due_at__lt=now)
    conditions = step_conditions(period)
    return {LATE: conditions["late"], HANDLED: conditions["handled"], SENT_BACK: conditions["sent_back"]}[kind]


def waiting(unit_ids=None, now=None):
    """The open steps now, by unit, step and holder: [{unit_id, number, name, performer, holder_id, holder_name,
    open, not_taken, overdue}] (one query over the open-step index)."""
    now = now or timezone.now()
    steps = _in_units(DossierStep.objects.filter(finished_at__isnull=True), unit_ids)
    return list(
        steps.values("unit_id", "number", "name", "performer", "holder_id", "holder_name")
        .order_by()
        .annotate(
            open=Count("id"),
            not_taken=Count("id", filter=Q(taken_at__isnull=True)),
            overdue=Count("id", filter=Q(due_at__lt=now)),
        )
    )


def responsible(dossiers, now=None, work_calendar=None):
    """The steps that overran in the given dossiers (finished after their due time, or held past it now): {(dossier's
    unit id, step's unit id, step name, performer, holder id, holder name): [dossier ids, steps, working seconds
    late]} — what an explanation names as responsible for the dossiers it lists."""
    now = now or timezone.now()
    rows = (
        DossierStep.objects.filter(dossier_id__in=dossiers.values("pk"))
        .filter(step_late_q() | Q(finished_at__isnull=True, due_at__lt=now))
        .order_by()
        .values_list("dossier__unit_id", "unit_id", "name", "performer", "holder_id", "holder_name", "dossier_id",
                     "due_at", "finished_at")
    )  # fmt: skip
    found = {}
    for *key, dossier_id, due_at, finished_at in rows:
        entry = found.setdefault(tuple(key), [set(), 0, 0])
        work_calendar = work_calendar or load_calendar()
        entry[0].add(dossier_id)
        entry[1] += 1
        entry[2] += step_seconds_late(_Ended(due_at, finished_at), work_calendar, now)
    return found
