"""The counters of EXCHANGE_FORMAT.md for a scope and a period: the one definition every view, export and letter uses.

Each grouping (by unit, by field) is one aggregate query. The period is in WHERE (received before its end, not
resolved or ended before its start); the counters are FILTERed counts over that set.
"""

from dataclasses import asdict, dataclass, fields

from django.db.models import Count, F, Q

from cases.models import Channel, Dossier, Field, Unit
from cases.outcome import local_date

RATE_DIGITS = 2


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
    def on_time_rate(self):
        """(early + on time) / resolved × 100; None when nothing was resolved."""
        if not self.resolved_total:
            return None
        return round(100 * (self.resolved_early + self.resolved_on_time) / self.resolved_total, RATE_DIGITS)

    @property
    def late_rate(self):
        if not self.resolved_total:
            return None
        return round(100 * self.resolved_late / self.resolved_total, RATE_DIGITS)

    @property
    def online_rate(self):
        """Received online / received in the period × 100; None when nothing was received."""
        if not self.received_in_period:
            return None
        return round(100 * self.received_online / self.received_in_period, RATE_DIGITS)

    @property
    def timely_share(self):
        """Resolved on time plus still within deadline, over resolved plus open (Decision 766's timeliness)."""
        base = self.resolved_total + self.in_progress_total
        if not base:
            return None
        timely = self.resolved_early + self.resolved_on_time + self.in_progress_within_deadline
        return round(100 * timely / base, RATE_DIGITS)

    @property
    def has_late_or_overdue(self):
        return bool(self.resolved_late or self.in_progress_overdue)

    def __add__(self, other):
        return Counters(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self):
        return {**asdict(self), "on_time_rate": self.on_time_rate, "online_rate": self.online_rate}


COUNTER_NAMES = [f.name for f in fields(Counters)]


def _aggregates(period):
    start, end, last_day = period.start_at, period.end_at, period.last_day_at
    in_period = Q(received_at__gte=start)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    # Open at the period's end: not resolved and not refused/withdrawn by then.
    still_open = (Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)) & (
        Q(ended_at__isnull=True) | Q(ended_at__gte=end)
    )
    return {
        "received_in_period": Count("id", filter=in_period),
        "carried_over": Count("id", filter=Q(received_at__lt=start)),
        "received_online": Count("id", filter=in_period & Q(channel=Channel.ONLINE)),
        "received_direct": Count("id", filter=in_period & Q(channel=Channel.DIRECT)),
        "received_postal": Count("id", filter=in_period & Q(channel=Channel.POSTAL)),
        "resolved_total": Count("id", filter=resolved),
        "resolved_early": Count("id", filter=resolved & Q(resolved_day__lt=F("due_day"))),
        "resolved_on_time": Count("id", filter=resolved & Q(resolved_day=F("due_day"))),
        "resolved_late": Count("id", filter=resolved & Q(resolved_day__gt=F("due_day"))),
        "in_progress_total": Count("id", filter=still_open),
        "in_progress_within_deadline": Count("id", filter=still_open & Q(due_at__gte=last_day)),
        "in_progress_overdue": Count("id", filter=still_open & Q(due_at__lt=last_day)),
    }


def in_scope(scope, queryset=None):
    """Dossiers of `scope` and every unit below it (all units when scope is None)."""
    queryset = Dossier.objects.all() if queryset is None else queryset
    if scope is None:
        return queryset
    return queryset.filter(unit__in=Unit.objects.subtree(scope).values("pk"))


def relevant(queryset, period):
    """The dossiers a period's counters can touch: received before its end, still open at its start."""
    return (
        queryset.filter(received_at__lt=period.end_at)
        .exclude(resolved_at__lt=period.start_at)
        .exclude(ended_at__lt=period.start_at)
    )


def grouped(queryset, period, key):
    """{key value: Counters} in one aggregate query."""
    rows = (
        relevant(queryset, period)
        .annotate(resolved_day=local_date("resolved_at"), due_day=local_date("due_at"))
        .values(key)
        .order_by()
        .annotate(**_aggregates(period))
    )
    result = {}
    for row in rows:
        group = row.pop(key)
        counters = Counters(**row)
        counters.received_total = counters.received_in_period + counters.carried_over
        result[group] = counters
    return result


@dataclass
class UnitRow:
    unit: Unit
    counters: Counters


@dataclass
class FieldRow:
    field: Field
    counters: Counters


@dataclass
class Tally:
    period: object
    scope: Unit | None
    totals: Counters
    units: list
    fields: list

    def units_with_late_or_overdue(self):
        return [row for row in self.units if row.counters.has_late_or_overdue]


def tally(period, scope=None, queryset=None, by_field=True):
    """The counters for a scope (a unit and everything below it, or everything) and a period.

    `units` has one row for every unit in scope (zero rows included) counting that unit's own dossiers.
    `queryset` narrows the dossiers further (e.g. access.visible_to(user)).
    """
    dossiers = in_scope(scope, queryset)
    per_unit = grouped(dossiers, period, "unit_id")
    units = Unit.objects.subtree(scope) if scope is not None else Unit.objects.all()
    unit_rows = [UnitRow(unit, per_unit.get(unit.pk, Counters())) for unit in units.select_related("parent")]
    totals = sum((row.counters for row in unit_rows), Counters())
    field_rows = []
    if by_field:
        per_field = grouped(dossiers, period, "procedure__field_id")
        field_by_id = Field.objects.in_bulk(list(per_field))
        field_rows = sorted(
            (FieldRow(field_by_id[pk], counters) for pk, counters in per_field.items()), key=lambda r: r.field.name
        )
    return Tally(period=period, scope=scope, totals=totals, units=unit_rows, fields=field_rows)
