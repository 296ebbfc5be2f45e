from django import template
from django.template.context import Context
from django.utils.formats import number_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from cases.core.formats import number, percent, percent_limit

register = template.Library()


@register.simple_tag
def counter_link(value, url=None):
    """A count, linked to the dossiers behind it when there are any."""
    shown = number_format(value, force_grouping=True)
    if value and url:
        return format_html('<a href="{}">{}</a>', url, shown)
    return shown


@register.simple_tag
def rate(value):
    """A measured rate, as everywhere: 97,51%, 96,90%, 100,00%."""
    return percent(value)


@register.simple_tag
def target(value):
    """A target as it was set: 95%, 70%."""
    return percent_limit(value)


@register.simple_tag
def rate_class(value, target):
    if value is None:
        return "rate-none"
    return "rate-ok" if value >= target else "rate-bad"


# The cells of a figures row, in the order of the header (reports/_figures_head.html): (counter, "bad" when > 0).
ROW_CELLS = [
    ("received_total", False), ("received_online", False), ("received_direct_or_postal", False),
    ("carried_over", False), ("resolved_total", False), ("resolved_early", False), ("resolved_on_time", False),
    ("resolved_late", True), ("in_progress_total", False), ("in_progress_within_deadline", False),
    ("in_progress_overdue", True),
]  # fmt: skip


@register.simple_tag(takes_context=True)
def figure_cells(context, counters, links=None):
    """One row's cells: counts linked to their dossiers, then the two rates coloured against the targets.

    One tag per row, built as plain strings (every value is a number or an escaped URL): a district's tables
    render in a few milliseconds instead of thousands of template calls.
    """
    links = links or {}
    cells = []
    for name, bad_when_positive in ROW_CELLS:
        value = getattr(counters, name)
        shown = number_format(value, force_grouping=True)
        url = links.get(name)
        content = f'<a href="{escape(url)}">{shown}</a>' if value and url else shown
        css = ' class="bad"' if bad_when_positive and value else ""
        cells.append(f'<td data-value="{value}"{css}>{content}</td>')
    flat = context.flatten() if isinstance(context, Context) else context
    for value, target in (
        (counters.on_time_rate, flat.get("TARGET_ON_TIME_RATE")),
        (counters.online_rate, flat.get("TARGET_ONLINE_RATE")),
    ):
        sort_value = -1 if value is None else value
        cells.append(f'<td data-value="{sort_value}" class="{rate_class(value, target)}">{rate(value)}</td>')
    return mark_safe("".join(cells))  # numbers, rates and escaped URLs only


@register.simple_tag
def points(value):
    """Service-index points with two decimals (11,11); None (not measured, nothing to measure) → '—'."""
    return "—" if value is None else number(value, 2)


@register.filter
def add_totals(rows, totals):
    """The units' rows, then the scope's totals."""
    return [*rows, totals]
