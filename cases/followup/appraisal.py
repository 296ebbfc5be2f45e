"""Nội vụ's appraisal: each unit and each official with their figures and a rating.

Figures come from the tally (the dashboard's and Biểu II.06a's definitions); the officials' counts are one
aggregate query grouped by handler over the same `counter_conditions`. The rating follows settings.APPRAISAL_RULES,
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
from cases.desk.outcome import with_days
from reports.figures.counters import counter_conditions, rate, relevant, unit_ids
from reports.figures.service_index import Digitisation, Satisfied, digitisation_counts, satisfaction_counts
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
        f"Đơn vị, cán bộ không có hồ sơ đã giải quyết trong kỳ: «{NO_DATA}».",
        "Cán bộ được xét theo các hồ sơ do mình xử lý (tỷ lệ đúng hạn, số hồ sơ quá hạn); các điều kiện về tỷ lệ"
        " trực tuyến, số hóa, phiếu xin lỗi và giải trình là của đơn vị, không xét cho từng cán bộ.",
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
    rating: str = ""
    # Ratings given in the period to the unit's dossiers (shown, not part of the rating rule).
    satisfaction: Satisfied = field(default_factory=Satisfied)

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
    handler_id: int | None
    full_name: str
    username: str
    unit: object
    handled: int = 0  # resolved in the period
    early: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # open and overdue at the period's end
    rating: str = ""
    # Ratings given in the period to the dossiers they handled.
    satisfaction: Satisfied = field(default_factory=Satisfied)

    @property
    def timely(self):
        return self.early + self.on_time

    @property
    def on_time_rate(self):
        """The same formula as Counters.on_time_rate."""
        return rate(self.timely, self.handled)

    def measures(self):
        measures = {"resolved": self.handled, "on_time_rate": self.on_time_rate, "late": self.late}
        measures["overdue"] = self.overdue
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
    digitized = digitisation_counts(period, units)
    owed = {row.unit.pk: row.counters.resolved_late + row.counters.in_progress_overdue for row in result.units}
    apologies = apology_counts(period, units, owed=owed)
    explanations = _explanations(period, units, today)
    satisfied = satisfaction_counts(period, units)
    unit_rows = []
    for row in result.units:
        pk = row.unit.pk
        counted = digitized.get(pk, Digitisation())
        received, digitised = counted.received, counted.papers
        owed, issued = apologies.get(pk, (0, 0))
        asked, answered = explanations.get(pk, (0, 0))
        item = UnitAppraisal(row.unit, row.counters, received, digitised, owed, issued, asked, answered)
        item.satisfaction = satisfied.get(pk, Satisfied())
        item.rating = rating(item.measures(), rule)
        unit_rows.append(item)
    progress(45, "Đang tính số liệu từng cán bộ")
    officials = _officials(period, units, {row.unit.pk: row.unit for row in result.units})
    by_official = satisfaction_counts(period, units, by=("dossier__unit_id", "dossier__handler_id"))
    for item in officials:
        item.rating = rating(item.measures(), rule)
        item.satisfaction = by_official.get((item.unit.pk, item.handler_id), Satisfied())
    return Appraisal(period=period, scope=scope, units=unit_rows, officials=officials, rule=rule)


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


def _officials(period, units, unit_by_id):
    """One aggregate query grouped by handler (and unit), with the counters' own conditions."""
    conditions = counter_conditions(period)
    counts = {
        "handled": conditions["resolved_total"],
        "early": conditions["resolved_early"],
        "on_time": conditions["resolved_on_time"],
        "late": conditions["resolved_late"],
        "overdue": conditions["in_progress_overdue"],
    }
    rows = (
        with_days(relevant(Dossier.objects.filter(unit_id__in=unit_ids(units)), period))
        .values("handler_id", "handler__username", "handler__first_name", "handler__last_name", "unit_id")
        .order_by()
        .annotate(**{name: Count("id", filter=condition) for name, condition in counts.items()})
        .filter(Q(handled__gt=0) | Q(overdue__gt=0))
    )
    result = []
    for row in rows:
        if row["handler_id"] is None:
            full_name, username = "(Chưa ghi người xử lý)", ""
        else:
            # As formats.display_name writes a user (first and last name, else the login), from the row's values.
            full_name = f"{row['handler__first_name']} {row['handler__last_name']}".strip() or row["handler__username"]
            username = row["handler__username"]
        result.append(
            OfficialAppraisal(
                handler_id=row["handler_id"],
                full_name=full_name,
                username=username,
                unit=unit_by_id[row["unit_id"]],
                **{name: row[name] for name in counts},
            )
        )
    # Tree order of units, then by name; the dossiers without a handler last in their unit.
    result.sort(key=lambda item: (item.unit.path, item.handler_id is None, item.full_name.casefold(), item.username))
    return result
