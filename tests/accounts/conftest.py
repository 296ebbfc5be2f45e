"""Filling an admin page's form as a browser would: every field with the value the page shows."""

from html.parser import HTMLParser

import pytest


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.setdefault(name, []).append(attrs.get("value", "on"))
            else:
                self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.setdefault(self._select, []).append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data.lstrip("\n") if not self.data[self._textarea][-1] else data


def read_form(html):
    """{name: value or [values]} of the page's form fields, as the browser would post them unchanged."""
    reader = _FormReader()
    reader.feed(html)
    return {name: values[0] if len(values) == 1 else values for name, values in reader.data.items()}


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast["admin"])
    return client
