"""The figures of a scope and a period: frozen months read from their freeze, the rest live, composed exactly.

`tally()` is what the dashboard, the `tally` command, the spreadsheets, the letter and Nội vụ's workbooks read.
"""

from dataclasses import dataclass

from django.utils import timezone

from cases.catalogue.models import Field, OnlineLevel, Unit
from cases.catalogue.units import with_labels
from cases.core.text import fold

from .counters import Counters, compose, live_figures, report_units
from .freeze import frozen_figures, segments

# Each report reads the figures by one or more of these groupings ("dimensions").
DIMENSIONS = {"unit": (0,), "field": (1,), "unit_level": (0, 2)}
FROZEN_KEYS = {"unit": ("unit_id",), "field": ("field_id",), "unit_level": ("unit_id", "online_level")}


def figures(period, units, dimensions=("unit", "field"), live_totals=None):
    """({dimension: {key: Counters}}, freezes): frozen months read from their freeze, the rest live, composed.

    `live_totals`, a dict, receives each live part's totals by (first day, last day), for the trend to reuse.
    """
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
    units = with_labels(report_units(scope, allowed_units).select_related("parent"))
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
