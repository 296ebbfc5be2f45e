"""The 12-month trend: received, resolved, on-time and online rates month by month, from the same parts as the
tally (frozen months and the running month's rollup from their stored figures, the rest live)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.desk.models import Dossier
from cases.desk.outcome import local_tz, resolved_timely_q, with_days
from cases.desk.states import Channel

from .counters import Counters, rate, report_units, unit_ids
from .freeze import frozen_figures, segments
from .periods import date_range, months_before


@dataclass
class MonthPoint:
    month: object  # date of the month's first day
    received: int = 0
    received_online: int = 0
    resolved: int = 0
    resolved_timely: int = 0

    @property
    def on_time_rate(self):
        """The same formula as Counters.on_time_rate, for the month."""
        return rate(self.resolved_timely, self.resolved)

    @property
    def online_rate(self):
        return rate(self.received_online, self.received)


def trend(last_month, scope=None, allowed_units=None, months=12, units=None, known=None):
    """Received, resolved, on-time and online rates for the `months` months ending with `last_month`.

    Each month adds up its parts as the tally cuts them: frozen months and the running month's rollup from their
    stored figures, the rest live (two queries for all of it). On-time here means resolved on or before the due
    day, counted in the month of resolution. `units` (ids) saves looking the scope's units up again; `known` (a
    Tally's live_totals) saves counting again what the tally has just counted live.
    """
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
        .annotate(resolved=Count("id"), resolved_timely=Count("id", filter=resolved_timely_q()))
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
    point.resolved_timely += counters.resolved_timely


def _month_pieces(part):
    """A live part cut at month boundaries (a live run of several months becomes its months)."""
    start = part.start
    while start <= part.end:
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(part.end, next_month - timedelta(days=1))
        yield date_range(start, end)
        start = end + timedelta(days=1)


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value
