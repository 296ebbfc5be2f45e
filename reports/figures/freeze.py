"""Chốt số liệu: store a closed period's counters (the dossiers' and the steps'), and read them back in place of live
figures.

A report of a period made of whole months reads each frozen month from its freeze and computes the other months
live; reports.figures.counters.compose joins the parts. A statistical period (15th–14th) reads its own freeze when
it has one.
"""

import calendar as month_calendar
from datetime import timedelta

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from cases.catalogue.models import Unit
from cases.desk.models import Dossier
from reports.models import Freeze, FreezeKind, FrozenFigures, FrozenSteps

from . import periods
from . import steps as step_figures
from .counters import COUNTER_NAMES, Counters, live_figures, unit_ids

# What a freeze stores: every counter but received_total, which is the sum of two of them.
FROZEN_COUNTERS = [name for name in COUNTER_NAMES if name != "received_total"]


class FreezeRefused(ValueError):
    """A freeze the rules do not allow; the message is Vietnamese."""


def _pieces(period):
    """The period cut at month boundaries: [(part, whole month?)]; a partial first or last month is not whole."""
    pieces, start = [], period.start
    while start <= period.end:
        last_of_month = start.replace(day=month_calendar.monthrange(start.year, start.month)[1])
        end = min(last_of_month, period.end)
        whole = start.day == 1 and end == last_of_month
        pieces.append((periods.month(start.year, start.month) if whole else periods.date_range(start, end), whole))
        start = end + timedelta(days=1)
    return pieces


def segments(period):
    """[(part, freeze or None)] covering the period in order: each frozen month alone, everything else in live runs.

    A running year (01/01 to today) is its frozen months plus the current month so far, computed live.
    """
    if period.start.day == 15 and period.end.day == 14:
        found = Freeze.objects.filter(
            kind=FreezeKind.STAT_MONTH, start=period.start, end=period.end, current=True
        ).first()
        if found:
            return [(period, found)]
    pieces = _pieces(period)
    whole_starts = [part.start for part, whole in pieces if whole]
    month_starts = [part.start for part, _ in pieces if part.start.day == 1]
    frozen, rollups = {}, {}
    if month_starts:
        wanted = Q(kind=FreezeKind.MONTH, start__in=whole_starts) | Q(kind=FreezeKind.ROLLUP, start__in=month_starts)
        for stored in Freeze.objects.filter(wanted, current=True):
            (rollups if stored.kind == FreezeKind.ROLLUP else frozen)[stored.start] = stored
    result, run = [], []

    def flush():
        if run:
            result.append((periods.date_range(run[0].start, run[-1].end), None))
            run.clear()

    for part, whole in pieces:
        freeze = frozen.get(part.start) if whole else None
        rollup = rollups.get(part.start) if freeze is None else None
        if rollup is not None and rollup.end <= part.end:
            # The month's finished days from last night's rollup; the days since, live.
            flush()
            result.append((periods.date_range(part.start, rollup.end), rollup))
            if rollup.end < part.end:
                run.append(periods.date_range(rollup.end + timedelta(days=1), part.end))
            continue
        if freeze is None:
            run.append(part)
            continue
        flush()
        result.append((part, freeze))
    flush()
    return result


def frozen_figures(freezes, units, keys):
    """{freeze id: {key tuple: Counters}} for the given freezes, summed in the database by `keys` (one query)."""
    rows = (
        FrozenFigures.objects.filter(freeze__in=[f.pk for f in freezes], unit_id__in=unit_ids(units))
        .values("freeze_id", *keys)
        .order_by()
        .annotate(**{f"sum_{name}": Sum(name) for name in FROZEN_COUNTERS})
    )
    result = {freeze.pk: {} for freeze in freezes}
    for row in rows:
        key = tuple(row[name] for name in keys)
        result[row["freeze_id"]][key] = Counters(**{name: row[f"sum_{name}"] for name in FROZEN_COUNTERS})
    return result


def is_closed(period, today=None):
    return period.end < (today or timezone.localdate())


@transaction.atomic
def freeze(period, kind=FreezeKind.MONTH, by=None, reason=""):
    """Store the period's live counters for every unit and field. A second freeze needs a reason; the first stays."""
    if not is_closed(period):
        raise FreezeRefused(f"Kỳ {period.label} chưa kết thúc, chưa thể chốt số liệu.")
    previous = Freeze.objects.select_for_update().filter(kind=kind, start=period.start, current=True).first()
    if previous is not None and kind == FreezeKind.ROLLUP:
        # A rollup is a cache of the running month: last night's is replaced, not kept as history.
        FrozenFigures.objects.filter(freeze=previous).delete()
        FrozenSteps.objects.filter(freeze=previous).delete()
        previous.delete()
        previous = None
    if previous is not None and not (reason or "").strip():
        raise FreezeRefused(
            f"Kỳ {period.label} đã chốt lúc {timezone.localtime(previous.frozen_at):%H:%M %d/%m/%Y}; "
            "chốt lại cần ghi lý do."
        )
    if previous is not None:
        previous.current = False
        previous.save(update_fields=["current"])
    created = Freeze.objects.create(
        kind=kind, start=period.start, end=period.end, frozen_by=by, reason=reason or "", with_steps=True
    )
    figures = live_figures(period, Unit.objects.all())
    FrozenFigures.objects.bulk_create(
        (
            FrozenFigures(
                freeze=created,
                unit_id=unit_id,
                field_id=field_id,
                online_level=online_level,
                **{name: getattr(counters, name) for name in FROZEN_COUNTERS},
            )
            for (unit_id, field_id, online_level), counters in figures.items()
        ),
        batch_size=2000,
    )
    step_figures.store(created, period)
    return created


def freeze_closed_months(until=None, by=None):
    """Freeze every closed calendar month that has dossiers and no freeze yet (the job of the 1st)."""
    until = until or timezone.localdate()
    first = Dossier.objects.order_by("received_at").values_list("received_at", flat=True).first()
    if first is None:
        return []
    first_day = timezone.localtime(first).date().replace(day=1)
    count = (until.year - first_day.year) * 12 + until.month - first_day.month
    months = periods.months_before(until.replace(day=1), count + 1)[:-1] if count > 0 else []
    done = set(Freeze.objects.filter(kind=FreezeKind.MONTH, current=True).values_list("start", flat=True))
    return [freeze(month, by=by) for month in months if month.start not in done]


def freeze_due_periods(today=None):
    """What the job of the 1st and the 15th freezes: every closed month not yet frozen, and the statistical month
    just closed. Returns the labels of what it froze."""
    today = today or timezone.localdate()
    done = [f"tháng {f.start:%m/%Y}" for f in freeze_closed_months(until=today)]
    stat = periods.statistical_month(today.year, today.month)
    if stat.end < today and not Freeze.objects.filter(kind=FreezeKind.STAT_MONTH, start=stat.start, current=True):
        freeze(stat, kind=FreezeKind.STAT_MONTH)
        done.append(stat.label)
    return done


def roll_up_running_month(today=None):
    """Each night: sum the running month's finished days, so reports of this month only count today live.

    On the 1st there is nothing finished in the new month (the closed month is frozen by freeze_period).
    """
    today = today or timezone.localdate()
    if today.day == 1:
        return None
    return freeze(periods.date_range(today.replace(day=1), today - timedelta(days=1)), kind=FreezeKind.ROLLUP)
