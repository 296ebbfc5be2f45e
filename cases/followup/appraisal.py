"""Nội vụ's appraisal: each unit and each official with their figures and a rating.

Units' figures come from the tally (the dashboard's and Biểu II.06a's definitions); officials' figures from the
steps they held (reports.figures.steps, the definition the step export and the dashboard share): steps handled,
early / on time / late, working hours late, sent back. Satisfaction, per unit and per official, from
reports.figures.satisfaction (the dashboard's and the letter's definition, and its rule of whom a rating counts
for). The rating follows settings.APPRAISAL_RULES,
an ordered list of (label, conditions) where the first rule whose conditions all hold wins; the workbook
(reports.documents.appraisal) writes the rule out from the same setting.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import timezone

from cases.core.formats import number, percent_limit
from cases.desk.models import Dossier
from reports.figures.counters import rate, unit_ids
from reports.figures.officials import by_official, step_figures
from reports.figures.satisfaction import Satisfied, satisfaction_by_official, satisfaction_counts
from reports.figures.steps import NO_HOLDER, StepCounters
from reports.figures.tally import tally

from .apologies import apology_counts
from .models import Explanation

NO_DATA = "Chưa đủ số liệu đánh giá"
NO_RULE = "Chưa xếp loại (không khớp mức nào)"

# condition → (measure, "min" or "max", phrase for the limit, phrase when the limit is 0)
CONDITIONS = {
    "min_on_time_rate": (
        "on_time_rate",
        "min",
        "tỷ lệ hồ sơ giải quyết đúng hạn (kể cả trước hạn) trên tổng số hồ sơ đã giải quyết đạt từ {value} trở lên",
        None,
    ),
    "min_online_rate": (
        "online_rate",
        "min",
        "tỷ lệ hồ sơ tiếp nhận trực tuyến trên số hồ sơ tiếp nhận trong kỳ đạt từ {value} trở lên",
        None,
    ),
    "min_digitized_rate": (
        "digitized_rate",
        "min",
        "tỷ lệ hồ sơ tiếp nhận trong kỳ đã số hóa đạt từ {value} trở lên",
        None,
    ),
    "max_late": (
        "late",
        "max",
        "không quá {value} hồ sơ giải quyết quá hạn",
        "không có hồ sơ giải quyết quá hạn",
    ),
    "max_overdue": (
        "overdue",
        "max",
        "không quá {value} hồ sơ đang giải quyết quá hạn vào ngày cuối kỳ",
        "không có hồ sơ đang giải quyết quá hạn vào ngày cuối kỳ",
    ),
    "max_unanswered_explanations": (
        "unanswered_explanations",
        "max",
        "không quá {value} yêu cầu giải trình đã quá hạn mà chưa được trả lời",
        "không có yêu cầu giải trình nào đã quá hạn mà chưa được trả lời",
    ),
    "max_unissued_apologies": (
        "unissued_apologies",
        "max",
        "không quá {value} hồ sơ quá hạn chưa lập phiếu xin lỗi, hẹn lại ngày trả kết quả",
        "mọi hồ sơ quá hạn đều đã có phiếu xin lỗi, hẹn lại ngày trả kết quả",
    ),
}
RATE_MEASURES = {"on_time_rate", "online_rate", "digitized_rate"}
# Measured for a unit only: an official is rated on the dossiers they handled.
UNIT_ONLY_MEASURES = {"online_rate", "digitized_rate", "unanswered_explanations", "unissued_apologies"}


# --- the rating rule ----------------------------------------------------------------------------------
def rules(setting=None):
    """The rule as [(label, {condition: limit})], checked: an unknown condition is a configuration error."""
    setting = settings.APPRAISAL_RULES if setting is None else setting
    checked = []
    for entry in setting:
        label, conditions = entry
        unknown = set(conditions) - set(CONDITIONS)
        if unknown:
            known = ", ".join(CONDITIONS)
            raise ImproperlyConfigured(f"APPRAISAL_RULES «{label}»: unknown {', '.join(sorted(unknown))} ({known})")
        checked.append((str(label), {key: float(limit) for key, limit in conditions.items()}))
    if not checked:
        raise ImproperlyConfigured("APPRAISAL_RULES is empty")
    return checked


def rating(measures, rule=None):
    """The label of the first rule whose conditions all hold; NO_DATA when nothing was resolved.

    `measures` maps the names of CONDITIONS' measures to values; None means "not measured here" (a rate without a
    base, a unit's explanations for an official) and does not count against.
    """
    if not measures.get("resolved"):
        return NO_DATA
    for label, conditions in rules(rule):
        if all(
            _holds(measures.get(CONDITIONS[key][0]), CONDITIONS[key][1], limit) for key, limit in conditions.items()
        ):
            return label
    return NO_RULE


def _holds(value, kind, limit):
    if value is None:
        return True
    return value >= limit if kind == "min" else value <= limit


def _limit_text(key, limit):
    measure, _, phrase, zero_phrase = CONDITIONS[key]
    if measure in RATE_MEASURES:
        return phrase.format(value=percent_limit(limit))
    if limit == 0 and zero_phrase:
        return zero_phrase
    return phrase.format(value=number(int(limit)))


def rule_lines(rule=None):
    """The rule in Vietnamese, one line per level, from the same setting the rating uses."""
    lines = []
    for index, (label, conditions) in enumerate(rules(rule), start=1):
        text = "; ".join(_limit_text(key, limit) for key, limit in conditions.items()) or "các trường hợp còn lại"
        lines.append(f"{index}. «{label}»: {text[0].upper()}{text[1:]}.")
    return lines


def rule_notes(rule=None):
    notes = [
        "Xét lần lượt từ mức thứ nhất trở xuống; đơn vị, cán bộ được xếp vào mức đầu tiên mà mọi điều kiện"
        " của mức đó đều đạt.",
        f"Đơn vị không có hồ sơ đã giải quyết, cán bộ không có bước xử lý hoàn thành trong kỳ: «{NO_DATA}».",
        "Cán bộ được xét theo các bước xử lý hồ sơ do mình đảm nhận: tỷ lệ đúng hạn là tỷ lệ bước hoàn thành"
        " đúng hạn (kể cả trước hạn), số hồ sơ quá hạn là số bước hoàn thành trễ hạn, số hồ sơ đang quá hạn là số"
        " bước đang giữ quá hạn vào cuối kỳ; các điều kiện về tỷ lệ trực tuyến, số hóa, phiếu xin lỗi và giải trình"
        " là của đơn vị, không xét cho từng cán bộ.",
        f"Các bước không ghi người xử lý (dòng «{NO_HOLDER}») không xếp loại.",
        "Tỷ lệ không tính được (không có hồ sơ làm mẫu số) thì điều kiện về tỷ lệ đó không xét.",
    ]
    if not any(not conditions for _, conditions in rules(rule)):
        notes.append(f"Không khớp mức nào: «{NO_RULE}».")
    return notes


# --- the figures ----------------------------------------------------------------------------------------
@dataclass
class UnitAppraisal:
    unit: object
    counters: object
    received_in_period: int = 0  # the digitised rate's base, counted with it
    digitized: int = 0
    apologies_owed: int = 0
    apologies_issued: int = 0
    explanations_owed: int = 0
    explanations_answered: int = 0
    satisfaction: Satisfied = field(default_factory=Satisfied)
    rating: str = ""

    @property
    def timely(self):
        return self.counters.resolved_timely

    @property
    def digitized_rate(self):
        return rate(self.digitized, self.received_in_period)

    def measures(self):
        c = self.counters
        return {
            "resolved": c.resolved_total,
            "on_time_rate": c.on_time_rate,
            "online_rate": c.online_rate,
            "digitized_rate": self.digitized_rate,
            "late": c.resolved_late,
            "overdue": c.in_progress_overdue,
            "unanswered_explanations": self.explanations_owed - self.explanations_answered,
            "unissued_apologies": self.apologies_owed - self.apologies_issued,
        }


@dataclass
class OfficialAppraisal:
    """One official's steps at one unit (reports.figures.steps): handled, early / on time / late, working hours late,
    sent back, held overdue at the period's end."""

    handler_id: int | None
    full_name: str
    username: str
    unit: object
    counters: StepCounters
    recorded: bool = True  # False: the steps nobody was recorded as holding (never rated)
    satisfaction: Satisfied = field(default_factory=Satisfied)
    rating: str = ""

    def measures(self):
        c = self.counters
        measures = {"resolved": c.handled, "on_time_rate": c.on_time_rate, "late": c.late, "overdue": c.overdue}
        return measures | dict.fromkeys(UNIT_ONLY_MEASURES)


@dataclass
class Appraisal:
    period: object
    scope: object
    units: list
    officials: list
    rule: list

    @property
    def rule_lines(self):
        return rule_lines(self.rule)

    @property
    def rule_notes(self):
        return rule_notes(self.rule)


def _noop(percent_done, message):
    pass


def appraise(period, scope=None, allowed_units=None, rule=None, progress=_noop):
    """Every unit of the scope and every official who handled its dossiers, rated. A handful of queries in all."""
    rule = rules(rule)
    # As reports.tally does: a running period is counted up to today, open dossiers overdue as of today.
    today = timezone.localdate()
    period = period.up_to(today)
    progress(5, "Đang tính số liệu các đơn vị")
    result = tally(period, scope=scope, allowed_units=allowed_units, by_field=False)
    units = [row.unit.pk for row in result.units]
    progress(30, "Đang tính tỷ lệ số hóa, phiếu xin lỗi, giải trình")
    digitized = _digitized(period, units)
    owed = {row.unit.pk: row.counters.resolved_late + row.counters.in_progress_overdue for row in result.units}
    apologies = apology_counts(period, units, owed=owed)
    explanations = _explanations(period, units, today)
    satisfied = satisfaction_counts(period, units)
    unit_rows = []
    for row in result.units:
        pk = row.unit.pk
        received, digitised = digitized.get(pk, (0, 0))
        owed, issued = apologies.get(pk, (0, 0))
        asked, answered = explanations.get(pk, (0, 0))
        item = UnitAppraisal(row.unit, row.counters, received, digitised, owed, issued, asked, answered)
        item.satisfaction = satisfied.get(pk, Satisfied())
        item.rating = rating(item.measures(), rule)
        unit_rows.append(item)
    progress(45, "Đang tính số liệu từng cán bộ")
    officials = _officials(period, [row.unit for row in result.units])
    for item in officials:
        # The rule rates people: the steps nobody was recorded as holding get no rating.
        item.rating = rating(item.measures(), rule) if item.recorded else ""
    return Appraisal(period=period, scope=scope, units=unit_rows, officials=officials, rule=rule)


def _digitized(period, units):
    """{unit id: (received in the period, of which papers digitised)}."""
    rows = (
        Dossier.objects.filter(
            unit_id__in=unit_ids(units), received_at__gte=period.start_at, received_at__lt=period.end_at
        )
        .values("unit_id")
        .order_by()
        .annotate(received=Count("id"), digitized=Count("id", filter=Q(papers_digitized=True)))
    )
    return {row["unit_id"]: (row["received"], row["digitized"]) for row in rows}


def _explanations(period, units, today):
    """{unit id: (explanations owed, of which answered)} for requests overlapping the period.

    An explanation is owed once it is answered or its deadline is over: one still within its deadline counts
    neither for nor against the unit (asking on 01/12 for an answer by 31/12 does not lower a rating that day).
    """
    rows = (
        Explanation.objects.filter(
            Q(answered_at__isnull=False) | Q(request__deadline__lt=today),
            unit_id__in=unit_ids(units),
            request__period_start__lte=period.end,
            request__period_end__gte=period.start,
        )
        .values("unit_id")
        .order_by()
        .annotate(asked=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)))
    )
    return {row["unit_id"]: (row["asked"], row["answered"]) for row in rows}


def _officials(period, units):
    """Per official and unit, from the steps they held (reports.figures.officials: frozen months and live ones), with
    the ratings of the dossiers they held steps of."""
    figures = step_figures(period, units)
    satisfied = satisfaction_by_official(period, units)
    for unit_id, holder_id, holder_name in satisfied:
        # A dossier rated in the period whose steps were finished before it: its officials get a row all the same.
        figures.setdefault((unit_id, "", holder_id, holder_name), StepCounters())
    rows = by_official(figures, units)
    return [
        OfficialAppraisal(
            handler_id=row.person.holder_id,
            full_name=row.person.full_name,
            username=row.person.username,
            unit=row.unit,
            counters=row.counters,
            recorded=row.person.recorded,
            satisfaction=satisfied.get((row.unit.pk, row.person.holder_id, row.person.holder_name), Satisfied()),
        )
        for row in rows
    ]
