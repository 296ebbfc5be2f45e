from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

from reports.wording import percent

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
    """The same writing as the letters: 97,51%, 94,2%, 100%."""
    return percent(value)


@register.simple_tag
def rate_class(value, target):
    if value is None:
        return "rate-none"
    return "rate-ok" if value >= target else "rate-bad"


@register.filter
def direct_or_postal(counters):
    return counters.received_direct + counters.received_postal
