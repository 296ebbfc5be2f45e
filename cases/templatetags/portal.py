"""Template helpers of the desk pages: Vietnamese dates in words, outcome badges, QR codes, event changes."""

from datetime import datetime

import segno
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from cases.core import formats
from cases.desk import access, outcome
from cases.desk.states import Channel, State

register = template.Library()

FIELD_LABELS = {
    "state": "Trạng thái",
    "received_at": "Ngày tiếp nhận",
    "due_at": "Ngày hẹn trả",
    # The return date promised to the applicant; an apology moves it, the deadline the figures use stays.
    "return_promised_at": "Ngày hẹn trả người nộp",
    "resolved_at": "Ngày có kết quả",
    "returned_at": "Ngày trả kết quả",
    "ended_at": "Ngày kết thúc",
    "handler": "Người xử lý",
    "channel": "Hình thức nộp",
}
TONES = {
    outcome.EARLY: "green",
    outcome.ON_TIME: "blue",
    outcome.LATE: "red",
    outcome.OPEN_WITHIN: "neutral",
    outcome.OPEN_OVERDUE: "red",
    outcome.ENDED: "grey",
}


register.filter("long_datetime", formats.long_datetime)
register.filter("long_date", formats.long_date)
register.filter("vn_number", formats.number)
register.filter("vn_percent", formats.percent)
register.filter("display_name", formats.display_name)


@register.filter
def qr_svg(text):
    """The QR code of a dossier code as inline SVG (no image file, prints sharp)."""
    svg = segno.make(str(text), error="m", micro=False).svg_inline(scale=4, border=2, title=str(text))
    # segno writes the markup itself; the dossier code goes only into the escaped <title>.
    return mark_safe(svg)


@register.filter
def outcome_label(code):
    return outcome.LABELS.get(code, "")


@register.filter
def outcome_tone(code):
    return TONES.get(code, "neutral")


def _display(name, value):
    if value in (None, ""):
        return "—"
    if name == "state":
        return State(value).label if value in State.values else value
    if name == "channel":
        return Channel(value).label if value in Channel.values else value
    if name.endswith("_at") and isinstance(value, str):
        try:
            return f"{timezone.localtime(datetime.fromisoformat(value)):%H:%M %d/%m/%Y}"
        except ValueError:
            return value
    return str(value)


@register.filter
def event_changes(event):
    """[(label, before, after)] for the fields an event changed."""
    names = list(dict.fromkeys([*event.before, *event.after]))
    changes = []
    for name in names:
        before, after = event.before.get(name), event.after.get(name)
        if before == after:
            continue
        # A value set for the first time (at receipt) has no "before" worth showing.
        shown_before = _display(name, before) if name in event.before else None
        changes.append((FIELD_LABELS.get(name, name), shown_before, _display(name, after)))
    return changes


@register.simple_tag
def user_memberships(user):
    """The user's roles and units, for the header."""
    return access.memberships(user)


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
