"""The national service index (Decision 766/QĐ-TTg) as far as the portal can measure it: per unit of a scope and a
period, each group's points, the rule, the counts it came from and what the unit needs for full points.

The rules and weights are settings.SERVICE_INDEX_RULES (DOMAIN.md's defaults). Timeliness and online service read
the tally's counters; digitisation is counted here, satisfaction in reports.figures.satisfaction (the dashboard,
the letter and Nội vụ's appraisal read the same counts).
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q

from cases.core.formats import number, percent_limit
from cases.desk.models import Dossier

from .counters import Counters, counter_conditions, rate, relevant, unit_ids
from .satisfaction import Satisfied, satisfaction_counts
from .tally import tally

# (key, label) in the national portal's order; the measured ones are computed below.
GROUPS = [
    ("transparency", "Công khai, minh bạch"),
    ("timeliness", "Tiến độ giải quyết"),
    ("online", "Dịch vụ công trực tuyến"),
    ("payment", "Thanh toán trực tuyến"),
    ("digitisation", "Số hóa hồ sơ"),
    ("satisfaction", "Mức độ hài lòng"),
]
MEASURED = ("timeliness", "online", "digitisation", "satisfaction")
NOT_MEASURED = "Cổng chưa đo được nhóm chỉ số này"
NOTHING_TO_MEASURE = "Không có hồ sơ để tính trong kỳ"


# --- the counts -------------------------------------------------------------------------------------------------
@dataclass
class Digitisation:
    received: int = 0  # received in the period
    papers: int = 0  # of which the papers are digitised
    resolved: int = 0  # resolved in the period
    results: int = 0  # of which the result is digitised

    def __add__(self, other):
        return Digitisation(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self):
        return (self.received, self.papers, self.resolved, self.results)

    @property
    def papers_rate(self):
        return rate(self.papers, self.received)

    @property
    def results_rate(self):
        return rate(self.results, self.resolved)


def digitisation_counts(period, units):
    """{unit id: Digitisation}: the dossiers received and resolved in the period, and of those the digitised ones."""
    conditions = counter_conditions(period)
    received, resolved = conditions["received_in_period"], conditions["resolved_total"]
    rows = (
        relevant(Dossier.objects.filter(unit_id__in=unit_ids(units)), period)
        .filter(received | resolved)
        .values("unit_id")
        .order_by()
        .annotate(
            received=Count("id", filter=received),
            papers=Count("id", filter=received & Q(papers_digitized=True)),
            resolved=Count("id", filter=resolved),
            results=Count("id", filter=resolved & Q(result_digitized=True)),
        )
    )
    return {
        row["unit_id"]: Digitisation(row["received"], row["papers"], row["resolved"], row["results"]) for row in rows
    }


# --- the rules ----------------------------------------------------------------------------------------------
def rules(setting=None):
    """{group: {"points", "threshold", ...}} checked: every group known, points and thresholds positive."""
    setting = settings.SERVICE_INDEX_RULES if setting is None else setting
    known = {key for key, _ in GROUPS}
    unknown = set(setting) - known
    if unknown:
        raise ImproperlyConfigured(f"SERVICE_INDEX_RULES: unknown {', '.join(sorted(unknown))} ({', '.join(known)})")
    checked = {}
    for key, _ in GROUPS:
        entry = dict(setting.get(key, {"points": 0, "measured": False}))
        entry.setdefault("threshold", 100)
        entry["measured"] = key in MEASURED and entry.get("measured", True)
        if entry["points"] < 0 or not 0 < entry["threshold"] <= 100:
            raise ImproperlyConfigured(f"SERVICE_INDEX_RULES «{key}»: points ≥ 0 and 0 < threshold ≤ 100")
        if key == "digitisation" and not 0 <= entry.setdefault("result_weight", 0.5) <= 1:
            raise ImproperlyConfigured("SERVICE_INDEX_RULES «digitisation»: 0 ≤ result_weight ≤ 1")
        checked[key] = entry
    return checked


def _exact(value):
    return Fraction(str(value))


def _points(entry, share):
    """weight × min(1, share / threshold), two decimals rounded half up; None when nothing was measured."""
    if share is None:
        return None
    earned = _exact(entry["points"]) * min(Fraction(1), share * 100 / _exact(entry["threshold"]))
    value = Decimal(earned.numerator) / Decimal(earned.denominator)
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _short_of(entry, part, whole):
    """How many more of `whole` must count in `part` to reach the threshold (0 when reached)."""
    return max(0, math.ceil(_exact(entry["threshold"]) * whole / 100) - part)


def _weight_text(value):
    """½ for a half; otherwise as a percentage limit."""
    return "½" if _exact(value) == Fraction(1, 2) else percent_limit(float(value) * 100)


def _full_at(entry):
    threshold = entry["threshold"]
    if threshold >= 100:
        return ""
    return f"; đạt từ {percent_limit(threshold)} trở lên được đủ {number(entry['points'])} điểm"


def rule_text(key, entry):
    """The rule in Vietnamese, from the same setting the points use."""
    if not entry["measured"]:
        return NOT_MEASURED
    points = number(entry["points"])
    if key == "timeliness":
        text = (
            f"{points} × (hồ sơ giải quyết trước hạn + đúng hạn + đang giải quyết trong hạn)"
            " / (hồ sơ đã giải quyết + đang giải quyết)"
        )
    elif key == "online":
        text = f"{points} × tỷ lệ hồ sơ tiếp nhận trực tuyến trên hồ sơ tiếp nhận trong kỳ"
    elif key == "digitisation":
        result_weight = _exact(entry["result_weight"])
        text = (
            f"{points} × ({_weight_text(result_weight)} × tỷ lệ hồ sơ đã giải quyết có kết quả được số hóa"
            f" + {_weight_text(1 - result_weight)} × tỷ lệ hồ sơ tiếp nhận có thành phần hồ sơ được số hóa)"
        )
    else:
        text = f"{points} × tỷ lệ hài lòng (đánh giá hài lòng, rất hài lòng / số đánh giá trong kỳ)"
    if entry["threshold"] < 100:
        text += f" / {percent_limit(entry['threshold'])}"
    return text + _full_at(entry)


# --- the index ------------------------------------------------------------------------------------------------
@dataclass
class Group:
    key: str
    label: str
    weight: float
    points: float | None  # None: not measured, or nothing to measure
    rule: str
    counts: list = field(default_factory=list)  # [(label, value)] the points came from
    needs: list = field(default_factory=list)  # what the unit needs for full points, one phrase each
    measured: bool = True

    @property
    def full(self):
        return self.points is not None and self.points >= self.weight


def _timeliness(entry, c):
    timely = c.resolved_timely + c.in_progress_within_deadline
    whole = c.resolved_total + c.in_progress_total
    share = Fraction(timely, whole) if whole else None
    counts = [
        ("Giải quyết trước hạn", c.resolved_early),
        ("Giải quyết đúng hạn", c.resolved_on_time),
        ("Giải quyết quá hạn", c.resolved_late),
        ("Đang giải quyết trong hạn", c.in_progress_within_deadline),
        ("Đang giải quyết quá hạn", c.in_progress_overdue),
    ]
    needs = []
    if whole and _short_of(entry, timely, whole):
        if entry["threshold"] >= 100:
            if c.resolved_late:
                needs.append(f"{number(c.resolved_late)} hồ sơ giải quyết quá hạn")
            if c.in_progress_overdue:
                needs.append(f"{number(c.in_progress_overdue)} hồ sơ đang giải quyết quá hạn")
        else:
            needs.append(f"thêm {number(_short_of(entry, timely, whole))} hồ sơ giải quyết đúng hạn")
    return share, counts, needs


def _online(entry, c):
    share = Fraction(c.received_online, c.received_in_period) if c.received_in_period else None
    counts = [("Tiếp nhận trong kỳ", c.received_in_period), ("Tiếp nhận trực tuyến", c.received_online)]
    short = _short_of(entry, c.received_online, c.received_in_period)
    return share, counts, [f"thêm {number(short)} hồ sơ trực tuyến"] if share is not None and short else []


def _digitisation(entry, d):
    result_weight = _exact(entry["result_weight"])
    results = Fraction(d.results, d.resolved) if d.resolved else None
    papers = Fraction(d.papers, d.received) if d.received else None
    if results is None and papers is None:
        share = None
    elif results is None or papers is None:
        share = results if papers is None else papers  # the half with something to measure stands alone
    else:
        share = result_weight * results + (1 - result_weight) * papers
    counts = [
        ("Hồ sơ đã giải quyết", d.resolved),
        ("Có kết quả được số hóa", d.results),
        ("Hồ sơ tiếp nhận trong kỳ", d.received),
        ("Có thành phần hồ sơ được số hóa", d.papers),
    ]
    needs = []
    if d.resolved and (short := _short_of(entry, d.results, d.resolved)):
        needs.append(f"số hóa thêm {number(short)} kết quả")
    if d.received and (short := _short_of(entry, d.papers, d.received)):
        needs.append(f"số hóa thêm {number(short)} hồ sơ (thành phần hồ sơ)")
    return share, counts, needs


def _satisfaction(entry, s):
    share = Fraction(s.satisfied, s.rated) if s.rated else None
    counts = [("Số đánh giá", s.rated), ("Hài lòng, rất hài lòng", s.satisfied), ("Không hài lòng", s.not_satisfied)]
    needs = []
    if s.rated and (short := _short_of(entry, s.satisfied, s.rated)):
        if entry["threshold"] >= 100:
            needs.append(f"{number(s.not_satisfied)} đánh giá không hài lòng")
        else:
            needs.append(f"thêm {number(short)} đánh giá hài lòng")
    return share, counts, needs


# group → (its measure, which counts it reads)
MEASURES = {
    "timeliness": (_timeliness, "counters"),
    "online": (_online, "counters"),
    "digitisation": (_digitisation, "digitisation"),
    "satisfaction": (_satisfaction, "satisfaction"),
}


@dataclass
class UnitIndex:
    unit: object  # a Unit, or None for the scope's totals
    counters: Counters
    digitisation: Digitisation
    satisfaction: Satisfied
    groups: list

    def group(self, key):
        return next(group for group in self.groups if group.key == key)

    @property
    def measured_points(self):
        values = [group.points for group in self.groups if group.points is not None]
        return round(sum(values), 2) if values else None

    @property
    def measured_max(self):
        return sum(group.weight for group in self.groups if group.points is not None)


def score(unit, counters, digitisation, satisfaction, rule=None):
    """A UnitIndex: every group of GROUPS with its points, rule, counts and needs."""
    rule = rules(rule)
    groups = []
    for key, label in GROUPS:
        entry = rule[key]
        if not entry["measured"]:
            groups.append(Group(key, label, entry["points"], None, NOT_MEASURED, measured=False))
            continue
        measure, source = MEASURES[key]
        share, counts, needs = measure(entry, {"counters": counters, "digitisation": digitisation,
                                               "satisfaction": satisfaction}[source])  # fmt: skip
        points = _points(entry, share)
        needs = needs if points is not None else []
        groups.append(Group(key, label, entry["points"], points, rule_text(key, entry), counts, needs))
    return UnitIndex(unit, counters, digitisation, satisfaction, groups)


@dataclass
class ServiceIndex:
    period: object
    scope: object
    units: list
    totals: UnitIndex


def service_index(period, scope=None, allowed_units=None, rule=None):
    """The index of every unit of the scope (tally's rows) and of the whole scope, for a period."""
    rule = rules(rule)
    result = tally(period, scope=scope, allowed_units=allowed_units, by_field=False)
    units = [row.unit.pk for row in result.units]
    digitised = digitisation_counts(result.period, units)
    satisfied = satisfaction_counts(result.period, units)
    rows = [
        score(
            row.unit,
            row.counters,
            digitised.get(row.unit.pk, Digitisation()),
            satisfied.get(row.unit.pk, Satisfied()),
            rule,
        )
        for row in result.units
    ]
    totals = score(
        None,
        result.totals,
        sum((row.digitisation for row in rows), Digitisation()),
        sum((row.satisfaction for row in rows), Satisfied()),
        rule,
    )
    return ServiceIndex(period=result.period, scope=scope, units=rows, totals=totals)
