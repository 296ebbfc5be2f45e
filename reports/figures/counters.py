"""The counters of EXCHANGE_FORMAT.md and their rates: the one definition every view, export and letter uses.

Each counter is a named condition over the dossiers `relevant()` to a period (in WHERE: received before its end,
not resolved or ended before its start); live figures are FILTERed counts of one aggregate query per grouping.
Frozen periods (reports.figures.freeze) store the same counters; `compose` joins consecutive parts exactly.
"""

import operator
from dataclasses import asdict, dataclass, fields
from functools import reduce

from django.db.models import Count, Q

from cases.catalogue.models import Unit
from cases.core.formats import RATE_DIGITS
from cases.desk.models import Dossier
from cases.desk.outcome import resolved_early_q, resolved_late_q, resolved_on_time_q, with_days
from cases.desk.states import Channel


def rate(part, whole):
    """part / whole × 100, rounded as every figure of the portal is; None when there is nothing to divide by."""
    return round(100 * part / whole, RATE_DIGITS) if whole else None


@dataclass
class Counters:
    received_total: int = 0
    received_in_period: int = 0
    carried_over: int = 0
    received_online: int = 0
    received_direct: int = 0
    received_postal: int = 0
    resolved_total: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress_total: int = 0
    in_progress_within_deadline: int = 0
    in_progress_overdue: int = 0

    @property
    def resolved_timely(self):
        """Resolved early or on time: the numerator of the on-time rate."""
        return self.resolved_early + self.resolved_on_time

    @property
    def received_direct_or_postal(self):
        """Biểu II.06a's "trực tiếp, bưu chính" column."""
        return self.received_direct + self.received_postal

    @property
    def on_time_rate(self):
        """(early + on time) / resolved × 100; None when nothing was resolved."""
        return rate(self.resolved_timely, self.resolved_total)

    @property
    def late_rate(self):
        return rate(self.resolved_late, self.resolved_total)

    @property
    def online_rate(self):
        """Received online / received in the period × 100; None when nothing was received."""
        return rate(self.received_online, self.received_in_period)

    @property
    def timely_share(self):
        """Resolved on time plus still within deadline, over resolved plus open (Decision 766's timeliness)."""
        timely = self.resolved_timely + self.in_progress_within_deadline
        return rate(timely, self.resolved_total + self.in_progress_total)

    @property
    def has_late_or_overdue(self):
        return bool(self.resolved_late or self.in_progress_overdue)

    def __add__(self, other):
        return Counters(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self):
        return {**asdict(self), "on_time_rate": self.on_time_rate, "online_rate": self.online_rate}


COUNTER_NAMES = [f.name for f in fields(Counters)]


def counter_conditions(period):
    """{counter: Q} over the dossiers `relevant()` to the period; received_total is all of them."""
    start, end, last_day = period.start_at, period.end_at, period.last_day_at
    in_period = Q(received_at__gte=start)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    # Open at the period's end: not resolved and not refused/withdrawn by then; overdue when due before the last day
    # (cases.desk.outcome: the period's rule, not the desk's live one).
    still_open = (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)) & (
        Q(ended_at__isnull=True) | Q(ended_at__gte=end)
    )
    return {
        "received_total": Q(),
        "received_in_period": in_period,
        "carried_over": Q(received_at__lt=start),
        "received_online": in_period & Q(channel=Channel.ONLINE),
        "received_direct": in_period & Q(channel=Channel.DIRECT),
        "received_postal": in_period & Q(channel=Channel.POSTAL),
        "resolved_total": resolved,
        "resolved_early": resolved & resolved_early_q(),
        "resolved_on_time": resolved & resolved_on_time_q(),
        "resolved_late": resolved & resolved_late_q(),
        "in_progress_total": still_open,
        "in_progress_within_deadline": still_open & Q(due_at__gte=last_day),
        "in_progress_overdue": still_open & Q(due_at__lt=last_day),
    }


def _aggregates(period):
    conditions = counter_conditions(period)
    return {name: Count("id", filter=condition) for name, condition in conditions.items() if name != "received_total"}


def behind(queryset, period, counter):
    """The dossiers behind one counter: what a number on the dashboard links to."""
    condition = counter_conditions(period)[counter]
    return with_days(relevant(queryset, period)).filter(condition)


def behind_any(queryset, period, counters):
    """The dossiers behind any of several counters (e.g. late or overdue: what an explanation lists)."""
    conditions = counter_conditions(period)
    condition = reduce(operator.or_, (conditions[counter] for counter in counters))
    return with_days(relevant(queryset, period)).filter(condition)


def relevant(queryset, period):
    """The dossiers a period's counters can touch: received before its end, not resolved or ended before its start.

    Written as an OR of conditions each served by an index (received, resolved, open dossiers), so a month out
    of years of history reads only its own rows.
    """
    start, end = period.start_at, period.end_at
    touches = (
        Q(received_at__gte=start)
        | Q(resolved_at__gte=start)
        | Q(resolved_at__isnull=True, ended_at__isnull=True)
        | Q(ended_at__gte=start)
    )
    return queryset.filter(touches, received_at__lt=end).exclude(resolved_at__lt=start).exclude(ended_at__lt=start)


def report_units(scope=None, allowed_units=None):
    """The units a report covers: the scope's subtree (everything without a scope), within what the reader may see."""
    units = Unit.objects.subtree(scope) if scope is not None else Unit.objects.all()
    if allowed_units is not None:
        units = units.filter(pk__in=allowed_units.values("pk"))
    return units


def unit_ids(units):
    """The units' ids as a literal list: `unit_id IN (…)` lets every (unit, date) index serve the period's OR.

    Takes a queryset of units, or a list of units or ids.
    """
    if isinstance(units, list | tuple | set | frozenset):
        return [getattr(unit, "pk", unit) for unit in units]
    return list(units.values_list("pk", flat=True))


def live_figures(period, units):
    """{(unit id, field id, online level): Counters} computed from the dossiers, in one aggregate query."""
    dossiers = Dossier.objects.filter(unit_id__in=unit_ids(units))
    keys = ("unit_id", "procedure__field_id", "procedure__online_level")
    rows = with_days(relevant(dossiers, period)).values(*keys).order_by().annotate(**_aggregates(period))
    result = {}
    for row in rows:
        key = tuple(row.pop(name) for name in keys)
        result[key] = Counters(**row)
    return result


FLOWS = [
    "received_in_period",
    "received_online",
    "received_direct",
    "received_postal",
    "resolved_total",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
]
STOCKS = ["in_progress_total", "in_progress_within_deadline", "in_progress_overdue"]


_FLOW_INDEXES = [COUNTER_NAMES.index(name) for name in FLOWS]
_STOCK_INDEXES = [COUNTER_NAMES.index(name) for name in STOCKS]
_CARRIED = COUNTER_NAMES.index("carried_over")


def compose(segments):
    """Join consecutive periods' figures: flows add up, carried-over is the first's, open stocks the last's."""
    totals = {}
    last = len(segments) - 1
    for index, figures in enumerate(segments):
        for key, counters in figures.items():
            values = tuple(counters.__dict__.values())  # field order; astuple() deep-copies, slowly
            total = totals.get(key)
            if total is None:
                total = totals[key] = [0] * len(COUNTER_NAMES)
            for position in _FLOW_INDEXES:
                total[position] += values[position]
            if index == 0:
                total[_CARRIED] = values[_CARRIED]
            if index == last:
                for position in _STOCK_INDEXES:
                    total[position] = values[position]
    result = {}
    for key, values in totals.items():
        counters = Counters(*values)
        counters.received_total = counters.received_in_period + counters.carried_over
        result[key] = counters
    return result


def received_for_other_units(period, unit_ids):
    """{receiving desk id: count} of the dossiers the desks among `unit_ids` took in during `period` for another
    unit (Decree 118/2025/NĐ-CP, "tiếp nhận không phụ thuộc địa giới"). Every counter above counts them at the unit
    that resolves them; this is the receiving desk's own count, kept apart (DOMAIN.md). A few rows a period: live."""
    rows = (
        Dossier.objects.filter(
            receiving_unit_id__in=unit_ids, received_at__gte=period.start_at, received_at__lt=period.end_at
        )
        .values("receiving_unit_id")
        .annotate(count=Count("id"))
    )
    return {row["receiving_unit_id"]: row["count"] for row in rows}
