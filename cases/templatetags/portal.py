"""Template helpers of the desk pages: Vietnamese dates in words, outcome badges, QR codes, event changes."""

import segno
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from cases.catalogue.models import Performer
from cases.catalogue.units import with_labels
from cases.core import formats
from cases.desk import access, outcome

register = template.Library()

TONES = {
    outcome.EARLY: "green",
    outcome.ON_TIME: "blue",
    outcome.LATE: "red",
    outcome.OPEN_WITHIN: "neutral",
    outcome.OPEN_OVERDUE: "red",
    outcome.ENDED: "grey",
    outcome.STEP_WAITING: "amber",
}


register.filter("long_datetime", formats.long_datetime)
register.filter("long_date", formats.long_date)
register.filter("day_time", formats.day_time)
register.filter("vn_number", formats.number)
register.filter("vn_percent", formats.percent)
register.filter("display_name", formats.display_name)
register.filter("working_hours", formats.working_hours)


@register.filter
def qr_svg(text):
    """A QR code as inline SVG (no image file, prints sharp), sized by the page's CSS through its viewBox (fixed
    width and height attributes cropped it inside the receipt's 26 mm box), with the 4-module quiet zone readers
    expect."""
    svg = segno.make(str(text), error="m", micro=False).svg_inline(border=4, omitsize=True, title=str(text))
    # segno writes the markup itself; the dossier code goes only into the escaped <title>.
    return mark_safe(svg)


@register.filter
def outcome_label(code):
    return outcome.LABELS.get(code, "")


@register.filter
def step_outcome_label(code):
    return outcome.STEP_LABELS.get(code, "")


@register.filter
def waits_for(step):
    """Who a step handed to nobody by name waits for: "bộ phận chuyên môn", or another unit by its name."""
    if step.performer == Performer.OTHER_UNIT:
        return step.unit.name
    return step.get_performer_display().lower()


@register.filter
def outcome_tone(code):
    return TONES.get(code, "neutral")


ROW = (
    '<tr><td class="code" data-label="Mã hồ sơ"><a href="{}">{}</a></td><td data-label="Người nộp">{}</td>'
    '<td data-label="Thủ tục"><span><span class="proc-code">{}</span> <span class="proc-name" title="{}">{}</span>'
    "</span></td>{}"
    '<td class="nowrap" data-label="Tiếp nhận">{}</td><td class="nowrap" data-label="Hẹn trả">{}</td>'
    '<td data-label="Trạng thái">{}</td><td data-label="Kết quả xử lý">{}</td></tr>'
)


@register.simple_tag
def status_badge(code):
    """The outcome of a dossier as a coloured label (cases.desk.outcome's code)."""
    return format_html('<span class="badge badge-{}">{}</span>', outcome_tone(code), outcome_label(code))


@register.simple_tag
def dossier_rows(dossiers, unit_column):
    """The dossier list's rows, built in one pass: 50 rows through the template engine (an include and a dozen
    lookups each) cost the page more than its queries. The markup is the one the list always had."""
    return format_html_join(
        "\n",
        ROW,
        (
            (
                reverse("cases:dossier_detail", args=[dossier.code]),
                dossier.code,
                dossier.applicant_name,
                dossier.procedure.code,
                dossier.procedure.name,
                dossier.procedure.name,
                format_html('<td class="unit" data-label="Đơn vị">{}</td>', dossier.unit.name) if unit_column else "",
                formats.moment(dossier.received_at),  # what {{ value }} writes (DATETIME_FORMAT), without its cost
                formats.moment(dossier.due_at),
                dossier.get_state_display(),
                status_badge(dossier.outcome),
            )
            for dossier in dossiers
        ),
    )


@register.simple_tag
def user_memberships(user):
    """The user's roles and units, for the header: those at units valid today (a unit merged away in the 2025 reform
    still grants its history, but the header names where the user works now), names made unambiguous."""
    held = list(access.memberships(user))
    today = timezone.localdate()
    current = [m for m in held if m.unit.is_valid_on(today)] or held
    with_labels([m.unit for m in current])
    return current


@register.simple_tag
def optional_url(name):
    """A link to a page that may not exist yet (the reports): '' until its URL is defined."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


@register.inclusion_tag("cases/_sort_link.html", takes_context=True)
def sort_link(context, field, label):
    """A column header that sorts by `field`, then reverses on the second click."""
    current = context["request"].GET.get("sort", "")
    descending = current == field
    return {
        "request": context["request"],
        "label": label,
        "value": f"-{field}" if descending else field,
        "arrow": "▲" if current == field else ("▼" if current == f"-{field}" else ""),
    }


@register.simple_tag(takes_context=True)
def page_link(context, changes):
    """The list's address with a pager link's changes ({param: value}; None removes it): `?sort=…&sau=…`."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    return f"?{query.urlencode()}"
