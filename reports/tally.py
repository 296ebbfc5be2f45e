"""The counters of EXCHANGE_FORMAT.md for a scope and a period: the one definition every view, export and letter uses.

Each grouping (by unit, by field) is one aggregate query. The period is in WHERE (received before its end, not
resolved or ended before its start); the counters are FILTERed counts over that set.
"""

from dataclasses import asdict, dataclass, fields
from datetime import timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from cases.models import Channel, Dossier, Field, Unit
from cases.outcome import with_days
from cases.text import fold

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


# Each report reads the figures by one or more of these groupings ("dimensions").
DIMENSIONS = {"unit": (0,), "field": (1,), "unit_level": (0, 2)}
FROZEN_KEYS = {"unit": ("unit_id",), "field": ("field_id",), "unit_level": ("unit_id", "online_level")}


def figures(period, units, dimensions=("unit", "field"), live_totals=None):
    """({dimension: {key: Counters}}, freezes): frozen months read from their freeze, the rest live, composed.

    `live_totals`, a dict, receives each live part's totals by (first day, last day), for the trend to reuse.
    """
    from reports.freeze import frozen_figures, segments

    parts = segments(period)
    freezes = [freeze for _, freeze in parts if freeze is not None]
    frozen = {dim: frozen_figures(freezes, units, FROZEN_KEYS[dim]) for dim in dimensions} if freezes else {}
    composed = {dim: [] for dim in dimensions}
    for part, freeze in parts:
        live = live_figures(part, units) if freeze is None else None
        if live is not None and live_totals is not None:
            live_totals[(part.start, part.end)] = sum(live.values(), Counters())
        for dim in dimensions:
            composed[dim].append(_sum_by(live, DIMENSIONS[dim]) if freeze is None else frozen[dim][freeze.pk])
    return {dim: _single_keys(compose(pieces)) for dim, pieces in composed.items()}, freezes


def _single_keys(figures_by_key):
    """(7,) → 7, so one-column groupings are keyed by the plain id."""
    return {key[0] if len(key) == 1 else key: counters for key, counters in figures_by_key.items()}


def _active_during(unit, period):
    return (unit.valid_from is None or unit.valid_from <= period.end) and (
        unit.valid_to is None or unit.valid_to >= period.start
    )


def _sum_by(figures_by_key, positions):
    result = {}
    for key, counters in figures_by_key.items():
        group = tuple(key[position] for position in positions)
        result[group] = result.get(group, Counters()) + counters
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
    freezes: list = None
    # {(unit id, online level): Counters}, for the online-service groups.
    unit_levels: dict = None
    # {(first day, last day): Counters} of the parts computed live, for the trend to reuse.
    live_totals: dict = None

    def units_with_late_or_overdue(self):
        return [row for row in self.units if row.counters.has_late_or_overdue]

    @property
    def frozen_at(self):
        """When the newest frozen (reported) part was frozen; None when no closed month was read frozen."""
        return max((f.frozen_at for f in self.freezes or () if f.kind != "rollup"), default=None)

    @property
    def rolled_up(self):
        """The running month's nightly rollup read in place of its finished days, if any."""
        return next((f for f in self.freezes or () if f.kind == "rollup"), None)


def tally(period, scope=None, allowed_units=None, by_field=True):
    """The counters for a scope (a unit and everything below it, or everything) and a period.

    `units` has one row for every unit in scope (zero rows included) counting that unit's own dossiers;
    `allowed_units` narrows the units to what a reader may see (access.visible_units). A period still running is
    counted up to today: open dossiers are then overdue or within deadline as of today.
    """
    period = period.up_to(timezone.localdate())
    units = list(report_units(scope, allowed_units).select_related("parent"))
    live_totals = {}
    live_totals = {}
    dimensions = ("unit", "field", "unit_level") if by_field else ("unit",)
    by, freezes = figures(period, [unit.pk for unit in units], dimensions, live_totals=live_totals)
    per_unit, per_field = by["unit"], by.get("field", {})
    # A unit abolished or merged before the period (or created after it) with nothing to count is not listed;
    # with dossiers it is, under its own name: old dossiers keep the unit they had.
    unit_rows = [
        UnitRow(unit, per_unit.get(unit.pk, Counters()))
        for unit in units
        if unit.pk in per_unit or _active_during(unit, period)
    ]
    totals = sum((row.counters for row in unit_rows), Counters())
    field_rows = []
    if by_field:
        field_by_id = Field.objects.in_bulk(list(per_field))
        field_rows = sorted(
            (FieldRow(field_by_id[pk], counters) for pk, counters in per_field.items()),
            # Vietnamese order: Đ sorts with D, not after Z.
            key=lambda r: (fold(r.field.name), r.field.name),
        )
    return Tally(
        period=period,
        scope=scope,
        totals=totals,
        units=unit_rows,
        fields=field_rows,
        freezes=freezes,
        unit_levels=by.get("unit_level"),
        live_totals=live_totals,
    )


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


def trend(last_month, scope=None, allowed_units=None, months=12, units=None, known=None):
    """Received, resolved, on-time and online rates for the `months` months ending with `last_month`.

    Each month adds up its parts as the tally cuts them: frozen months and the running month's rollup from their
    stored figures, the rest live (two queries for all of it). On-time here means resolved on or before the due
    day, counted in the month of resolution. `units` (ids) saves looking the scope's units up again; `known` (a
    Tally's live_totals) saves counting again what the tally has just counted live.
    """
    from django.db.models.functions import TruncMonth

    from cases.outcome import local_tz
    from reports.freeze import frozen_figures, segments
    from reports.periods import date_range, months_before

    months_list = months_before(last_month.start, months)
    units = unit_ids(report_units(scope, allowed_units) if units is None else units)
    points = {period.start: MonthPoint(period.start) for period in months_list}
    today = timezone.localdate()
    window = date_range(months_list[0].start, min(months_list[-1].end, max(today, months_list[0].start)))
    parts = segments(window)
    freezes = [freeze for _, freeze in parts if freeze is not None]
    stored = frozen_figures(freezes, units, ()) if freezes else {}
    to_count = []
    for part, freeze in parts:
        if freeze is not None:
            _add_flows(points[part.start.replace(day=1)], stored[freeze.pk].get((), Counters()))
            continue
        for piece in _month_pieces(part):
            reused = (known or {}).get((piece.start, min(piece.end, today)))
            if reused is None:
                to_count.append(piece)
            else:
                _add_flows(points[piece.start.replace(day=1)], reused)
    if not to_count:
        return list(points.values())
    dossiers = Dossier.objects.filter(unit_id__in=units)
    tz = local_tz()
    received_in = Q()
    resolved_in = Q()
    for piece in to_count:
        received_in |= Q(received_at__gte=piece.start_at, received_at__lt=piece.end_at)
        resolved_in |= Q(resolved_at__gte=piece.start_at, resolved_at__lt=piece.end_at)
    received = (
        dossiers.filter(received_in)
        .annotate(month=TruncMonth("received_at", tzinfo=tz))
        .values("month")
        .order_by()
        .annotate(received=Count("id"), received_online=Count("id", filter=Q(channel=Channel.ONLINE)))
    )
    for row in received:
        point = points[_as_date(row["month"])]
        point.received += row["received"]
        point.received_online += row["received_online"]
    resolved = (
        with_days(dossiers.filter(resolved_in))
        .annotate(month=TruncMonth("resolved_at", tzinfo=tz))
        .values("month")
        .order_by()
        .annotate(resolved=Count("id"), resolved_timely=Count("id", filter=Q(resolved_day__lte=F("due_day"))))
    )
    for row in resolved:
        point = points[_as_date(row["month"])]
        point.resolved += row["resolved"]
        point.resolved_timely += row["resolved_timely"]
    return list(points.values())


def _add_flows(point, counters):
    point.received += counters.received_in_period
    point.received_online += counters.received_online
    point.resolved += counters.resolved_total
    point.resolved_timely += counters.resolved_early + counters.resolved_on_time


def _month_pieces(part):
    """A live part cut at month boundaries (a live run of several months becomes its months)."""
    from reports.periods import date_range

    start = part.start
    while start <= part.end:
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(part.end, next_month - timedelta(days=1))
        yield date_range(start, end)
        start = end + timedelta(days=1)


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# --- online service groups (seed 003) -----------------------------------------------------------------
ONLINE_GROUPS = [
    ("full", "Có hồ sơ trực tuyến toàn trình"),
    ("partial", "Chỉ có hồ sơ trực tuyến một phần"),
    ("zero", "Có hồ sơ thuộc thủ tục trực tuyến nhưng không hồ sơ nào nộp trực tuyến (0%)"),
    ("none", "Không phát sinh hồ sơ thuộc thủ tục có dịch vụ công trực tuyến"),
]


def online_groups(result):
    """Units grouped the way seed 003 groups communes, from what they received in the tally's period.

    Returns [(key, label, [(unit, online count, received count of online-capable procedures)])].
    """
    from cases.models import OnlineLevel

    per_unit = {}
    for (unit_id, level), counters in (result.unit_levels or {}).items():
        if level == OnlineLevel.NONE or not counters.received_in_period:
            continue
        entry = per_unit.setdefault(unit_id, {"received": 0, "online": 0, "full": 0})
        entry["received"] += counters.received_in_period
        entry["online"] += counters.received_online
        if level == OnlineLevel.FULL:
            entry["full"] += counters.received_online
    groups = {key: [] for key, _ in ONLINE_GROUPS}
    for row in result.units:
        entry = per_unit.get(row.unit.pk)
        if entry is None:
            key, entry = "none", {"received": 0, "online": 0}
        elif entry["full"]:
            key = "full"
        elif entry["online"]:
            key = "partial"
        else:
            key = "zero"
        groups[key].append((row.unit, entry["online"], entry["received"]))
    return [(key, label, groups[key]) for key, label in ONLINE_GROUPS]
