"""The counters of EXCHANGE_FORMAT.md for a scope and a period: the one definition every view, export and letter uses.

Each grouping (by unit, by field) is one aggregate query. The period is in WHERE (received before its end, not
resolved or ended before its start); the counters are FILTERed counts over that set.
"""

from dataclasses import asdict, dataclass, fields

from django.db.models import Count, F, Q

from cases.models import Channel, Dossier, Field, Unit
from cases.outcome import with_days

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


def counter_conditions(period):
    """{counter: Q} over the dossiers `relevant()` to the period; received_total is all of them."""
    start, end, last_day = period.start_at, period.end_at, period.last_day_at
    in_period = Q(received_at__gte=start)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    # Open at the period's end: not resolved and not refused/withdrawn by then.
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
        "resolved_early": resolved & Q(resolved_day__lt=F("due_day")),
        "resolved_on_time": resolved & Q(resolved_day=F("due_day")),
        "resolved_late": resolved & Q(resolved_day__gt=F("due_day")),
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
    rows = with_days(relevant(queryset, period)).values(key).order_by().annotate(**_aggregates(period))
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


# --- the 12-month trend -------------------------------------------------------------------------------
@dataclass
class MonthPoint:
    month: object  # date of the month's first day
    received: int = 0
    received_online: int = 0
    resolved: int = 0
    resolved_timely: int = 0

    @property
    def on_time_rate(self):
        return round(100 * self.resolved_timely / self.resolved, RATE_DIGITS) if self.resolved else None

    @property
    def online_rate(self):
        return round(100 * self.received_online / self.received, RATE_DIGITS) if self.received else None


def trend(last_month, scope=None, queryset=None, months=12):
    """Received, resolved, on-time and online rates for the `months` months ending with `last_month` (2 queries).

    On-time here means resolved on or before the due day, counted in the month of resolution.
    """
    from django.db.models.functions import TruncMonth

    from cases.outcome import local_tz
    from reports.periods import date_range, months_before

    months_list = months_before(last_month.start, months)
    window = date_range(months_list[0].start, months_list[-1].end)
    dossiers = in_scope(scope, queryset)
    tz = local_tz()
    points = {period.start: MonthPoint(period.start) for period in months_list}
    received = (
        dossiers.filter(received_at__gte=window.start_at, received_at__lt=window.end_at)
        .annotate(month=TruncMonth("received_at", tzinfo=tz))
        .values("month")
        .order_by()
        .annotate(received=Count("id"), received_online=Count("id", filter=Q(channel=Channel.ONLINE)))
    )
    for row in received:
        point = points[_as_date(row["month"])]
        point.received, point.received_online = row["received"], row["received_online"]
    resolved = (
        with_days(dossiers.filter(resolved_at__gte=window.start_at, resolved_at__lt=window.end_at))
        .annotate(month=TruncMonth("resolved_at", tzinfo=tz))
        .values("month")
        .order_by()
        .annotate(resolved=Count("id"), resolved_timely=Count("id", filter=Q(resolved_day__lte=F("due_day"))))
    )
    for row in resolved:
        point = points[_as_date(row["month"])]
        point.resolved, point.resolved_timely = row["resolved"], row["resolved_timely"]
    return list(points.values())


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# --- online service groups (seed 003) -----------------------------------------------------------------
ONLINE_GROUPS = [
    ("full", "Có hồ sơ trực tuyến toàn trình"),
    ("partial", "Chỉ có hồ sơ trực tuyến một phần"),
    ("zero", "Có hồ sơ thuộc thủ tục trực tuyến nhưng không hồ sơ nào nộp trực tuyến (0%)"),
    ("none", "Không phát sinh hồ sơ thuộc thủ tục có dịch vụ công trực tuyến"),
]


def online_groups(period, scope=None, queryset=None):
    """Units grouped the way seed 003 groups communes, from the dossiers they received in the period.

    Returns [(key, label, [(unit, online count, received count of online-capable procedures)])].
    """
    from cases.models import OnlineLevel

    dossiers = in_scope(scope, queryset).filter(received_at__gte=period.start_at, received_at__lt=period.end_at)
    rows = (
        dossiers.exclude(procedure__online_level=OnlineLevel.NONE)
        .values("unit_id", "procedure__online_level")
        .order_by()
        .annotate(received=Count("id"), online=Count("id", filter=Q(channel=Channel.ONLINE)))
    )
    per_unit = {}
    for row in rows:
        entry = per_unit.setdefault(row["unit_id"], {"received": 0, "online": 0, "full": 0})
        entry["received"] += row["received"]
        entry["online"] += row["online"]
        if row["procedure__online_level"] == OnlineLevel.FULL:
            entry["full"] += row["online"]
    units = Unit.objects.subtree(scope) if scope is not None else Unit.objects.all()
    groups = {key: [] for key, _ in ONLINE_GROUPS}
    for unit in units:
        entry = per_unit.get(unit.pk)
        if entry is None:
            key = "none"
            entry = {"received": 0, "online": 0}
        elif entry["full"]:
            key = "full"
        elif entry["online"]:
            key = "partial"
        else:
            key = "zero"
        groups[key].append((unit, entry["online"], entry["received"]))
    return [(key, label, groups[key]) for key, label in ONLINE_GROUPS]
