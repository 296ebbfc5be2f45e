"""Form widgets written in Python where Django's templates cost a page more than its queries."""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def attributes(attrs):
    """HTML attributes as Django's attrs.html writes them: in order, True as a bare name, False left out."""
    return format_html_join(
        "", " {}{}", ((name, "" if value is True else format_html('="{}"', value)) for name, value in attrs.items()
                      if value is not False)
    )  # fmt: skip


class QuickSelect(forms.Select):
    """A <select> with the markup of Django's select.html, byte for byte, built in one pass: through the template
    engine each option is an include (≈ 0,2 ms each; the list filter's 46 lĩnh vực cost the page 10 ms)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _ in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '\n  <option value="{}"{}>{}</option>\n',
                ((str(option["value"]), attributes(option["attrs"]), option["label"]) for option in options),
            )
            if group_name:
                rendered = format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, rendered)
            groups.append(rendered)
        return format_html(
            '<select name="{}"{}>{}\n</select>', widget["name"], attributes(widget["attrs"]), mark_safe("".join(groups))
        )
