"""The directive-style Vietnamese text the office pastes into its letters (seeds 000, 001, 002).

Everything here reads a reports.figures.tally.Tally; no figure is computed twice.
"""

from django.conf import settings

from cases.catalogue.models import Level
from cases.core.formats import count, number, percent, percent_limit


def _scope_name(tally):
    return tally.scope.name if tally.scope else "toàn hệ thống"


def summary(tally):
    """The figures paragraph, in the manner of seed 001."""
    t = tally.totals
    period = tally.period.range_text
    carried = f" (có {number(t.carried_over)} hồ sơ của kỳ trước chuyển qua)" if t.carried_over else ""
    text = [
        f"{period[0].upper()}{period[1:]}, các cơ quan, đơn vị thuộc {_scope_name(tally)} đã tiếp nhận"
        f" {number(t.received_total)} hồ sơ{carried}; đã giải quyết, trả kết quả {number(t.resolved_total)} hồ sơ."
    ]
    if t.resolved_total:
        text.append(
            f"Số hồ sơ giải quyết đúng hạn và trước hạn {number(t.resolved_timely)} hồ sơ"
            f" (đạt tỷ lệ {percent(t.on_time_rate)}),"
            f" trong đó trước hạn {number(t.resolved_early)} hồ sơ; số hồ sơ giải quyết quá hạn"
            f" {number(t.resolved_late)} hồ sơ (chiếm tỷ lệ {percent(t.late_rate)})."
        )
    text.append(
        f"Số hồ sơ đang giải quyết {number(t.in_progress_total)} hồ sơ, trong đó trong hạn"
        f" {number(t.in_progress_within_deadline)} hồ sơ, quá hạn {number(t.in_progress_overdue)} hồ sơ."
    )
    if t.received_in_period:
        text.append(
            f"Hồ sơ nộp trực tuyến {number(t.received_online)} hồ sơ, đạt tỷ lệ {percent(t.online_rate)} số hồ sơ"
            f" tiếp nhận trong kỳ (chỉ tiêu trên {percent_limit(settings.TARGET_ONLINE_RATE)})."
        )
    return " ".join(text)


def late_units(tally):
    """Units named one by one, in the manner of seed 000: 'UBND xã Pú Hồng (01 hồ sơ đã giải quyết quá hạn)'."""
    parts = []
    for row in tally.units_with_late_or_overdue():
        c = row.counters
        what = []
        if c.resolved_late:
            what.append(f"{count(c.resolved_late)} hồ sơ TTHC đã giải quyết quá hạn")
        if c.in_progress_overdue:
            what.append(f"{count(c.in_progress_overdue)} hồ sơ TTHC đang giải quyết quá hạn")
        parts.append(f"{row.unit.label} ({', '.join(what)})")
    return parts


def below_target_units(tally):
    target = settings.TARGET_ON_TIME_RATE
    return [
        f"{row.unit.label} ({percent(row.counters.on_time_rate)})"
        for row in tally.units
        if row.counters.on_time_rate is not None and row.counters.on_time_rate < target
    ]


def online_by_unit(tally):
    """Seed 002: online counts by office and commune, and the units with none."""
    with_online = [row for row in tally.units if row.counters.received_online]
    without = [row for row in tally.units if row.counters.received_in_period and not row.counters.received_online]
    return (
        [f"{row.unit.label} {number(row.counters.received_online)} hồ sơ" for row in with_online],
        [row.unit.label for row in without],
    )


def paragraphs(tally):
    """The whole text: figures, then the named units, the units below target, the online counts."""
    result = [summary(tally)]
    named = late_units(tally)
    if named:
        result.append("Các cơ quan, đơn vị có hồ sơ giải quyết quá hạn: " + "; ".join(named) + ".")
    below = below_target_units(tally)
    if below:
        result.append(
            f"Các cơ quan, đơn vị có tỷ lệ giải quyết đúng hạn dưới {percent_limit(settings.TARGET_ON_TIME_RATE)}: "
            + "; ".join(below)
            + "."
        )
    online, none = online_by_unit(tally)
    if online:
        result.append("Số hồ sơ trực tuyến theo đơn vị: " + "; ".join(online) + ".")
    if none:
        result.append("Các đơn vị chưa phát sinh hồ sơ trực tuyến: " + "; ".join(none) + ".")
    return result


def satisfaction(tally, rows, total):
    """The letter's satisfaction paragraph, over reports.figures.satisfaction.satisfaction_rows(tally)."""
    if not total.rated:
        return "Trong kỳ, chưa có đánh giá mức độ hài lòng nào của người dân."
    unrated = len(tally.units) - len(rows)
    text = (
        f"Người dân đã gửi {number(total.rated)} đánh giá mức độ hài lòng, trong đó hài lòng và rất hài lòng"
        f" {number(total.satisfied)} đánh giá (đạt tỷ lệ {percent(total.rate)}), không hài lòng"
        f" {number(total.not_satisfied)} đánh giá. Kết quả theo từng đơn vị"
    )
    if unrated:
        text += f" ({number(unrated)} đơn vị chưa có đánh giá nào trong kỳ, không ghi trong bảng)"
    return text + ":"


def text(tally):
    return "\n\n".join(paragraphs(tally))


def level_label(level):
    return Level(level).label if level else ""
