"""A list's pages over a million rows: a count that stops at a cap, numbered pages up to it, keyset pages beyond.

- The count reads at most COUNT_CAP + 1 rows (`SELECT count(*) FROM (… LIMIT 10001)`): exact up to the cap,
  "hơn 10.000" past it. COUNT(*) of a whole province's dossiers is never asked for.
- Page n (`page=n`) is an OFFSET of at most COUNT_CAP rows, read in index order.
- Past the cap, "Trang sau" carries the last row's sort key (`sau=…`) and "Trang trước" the first row's
  (`truoc=…`): WHERE (key, id) > (…) reads one page whatever the depth. "Trang cuối" (`cuoi=1`) is the first
  page of the reversed order, reversed back.

The ordering must end with the primary key (the list's sorts do: cases.filters.StableOrderingFilter), so that a
sort key names one row.
"""

import datetime
from dataclasses import dataclass, field

from django.db import connections

COUNT_CAP = 10_000


def capped_count(queryset, cap):
    """The number of rows, or cap + 1 when there are more."""
    return queryset.order_by()[: cap + 1].count()


def _ordering(queryset):
    """[(field name, descending)] of the queryset's ordering, which ends with the primary key."""
    names = list(queryset.query.order_by or queryset.model._meta.ordering)
    pk = queryset.model._meta.pk.name
    result = []
    for name in names:
        descending = name.startswith("-")
        name = name.lstrip("-")
        result.append(("pk" if name in (pk, "pk") else name, descending))
    if not result or result[-1][0] != "pk":
        result.append(("pk", result[0][1] if result else False))
    return result


def _reversed(ordering):
    return [("" if desc else "-") + name for name, desc in ordering]


def _encode(value):
    return value.isoformat() if isinstance(value, datetime.datetime | datetime.date) else str(value)


def _decode(queryset, name, text):
    model_field = queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
    return model_field.to_python(text)


def _cursor(ordering, row):
    return "~".join(_encode(getattr(row, name)) for name, _ in ordering)


def _after(queryset, ordering, cursor, backwards):
    """The rows after the cursor in the ordering (before it when `backwards`): a row comparison, which an index
    on the sort column answers with one range scan. A cursor that does not parse is ignored (the first page)."""
    parts = cursor.rsplit("~", len(ordering) - 1)  # only the first part is free text (a name, a code)
    if len(parts) != len(ordering):
        return None
    try:
        values = [_decode(queryset, name, part) for (name, _), part in zip(ordering, parts, strict=True)]
    except Exception:  # noqa: BLE001 — a hand-edited cursor: show the first page rather than a 500
        return None
    descending = ordering[0][1]
    if any(desc != descending for _, desc in ordering):
        return None  # mixed directions never happen in the list (StableOrderingFilter)
    greater = descending == backwards
    compiler = queryset.query.get_compiler(queryset.db)
    columns = []
    for name, _ in ordering:
        model_field = queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
        columns.append(f"{compiler.quote_name_unless_alias(queryset.model._meta.db_table)}.{model_field.column}")
    placeholders = ", ".join(["%s"] * len(values))
    where = f"({', '.join(columns)}) {'>' if greater else '<'} ({placeholders})"
    connection = connections[queryset.db]
    prepared = [
        (queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)).get_db_prep_value(
            value, connection
        )
        for (name, _), value in zip(ordering, values, strict=True)
    ]
    return queryset.extra(where=[where], params=prepared)


@dataclass
class Pager:
    """One page of a list and the links around it ({param: value} to set; None removes a parameter)."""

    object_list: list
    count: int  # exact when known, else cap + 1
    number: int | None  # None on "Trang cuối" past the cap
    size: int
    cap: int
    links: dict = field(default_factory=dict)  # first, previous, next, last → query changes

    @property
    def count_known(self):
        return self.count <= self.cap

    @property
    def num_pages(self):
        return max(1, -(-self.count // self.size)) if self.count_known else None

    @property
    def has_other_pages(self):
        return bool(self.links)

    def page_range(self, on_each_side=2, on_ends=1):
        """Page numbers (None for a gap) around the current one, up to the last numbered page."""
        last = self.num_pages or max(1, self.cap // self.size)
        current = self.number or last
        shown = set(range(1, on_ends + 1)) | set(range(last - on_ends + 1, last + 1))
        shown |= set(range(current - on_each_side, current + on_each_side + 1))
        result, previous = [], 0
        for number in sorted(n for n in shown if 1 <= n <= last):
            if number - previous > 1:
                result.append(None)
            result.append(number)
            previous = number
        return result


CLEAR = {"page": None, "sau": None, "truoc": None, "cuoi": None}


def paginate(queryset, params, size, cap=None):
    """The page `params` (a QueryDict) asks for: page=n, sau=cursor, truoc=cursor or cuoi=1."""
    cap = COUNT_CAP if cap is None else cap
    ordering = _ordering(queryset)
    queryset = queryset.order_by(*[("-" if desc else "") + name for name, desc in ordering])
    count = capped_count(queryset, cap)
    known = count <= cap
    numbered = max(1, -(-min(count, cap) // size))  # pages reachable by number (OFFSET ≤ cap)
    try:
        number = max(1, int(params.get("page") or 1))
    except ValueError:
        number = 1
    rows, at_start, at_end = None, False, False
    if params.get("cuoi") and not known:
        rows = list(queryset.order_by(*_reversed(ordering))[:size])[::-1]
        number, at_end = None, True
        at_start = len(rows) < size
    elif cursor := params.get("sau") or params.get("truoc"):
        backwards = not params.get("sau")
        narrowed = _after(queryset, ordering, cursor, backwards)
        if narrowed is not None:
            number = number if params.get("page") else None  # how deep a keyset page is, when the link said
            if backwards:
                rows = list(narrowed.order_by(*_reversed(ordering))[: size + 1])
                at_start = len(rows) <= size
                rows = rows[:size][::-1]
            else:
                rows = list(narrowed[: size + 1])
                at_end = len(rows) <= size
                rows = rows[:size]
    if rows is None:
        number = min(number, numbered)
        rows = list(queryset[(number - 1) * size : number * size + 1])
        at_start = number == 1
        at_end = len(rows) <= size
        rows = rows[:size]
    links = {}
    if not at_start:
        links["first"] = {**CLEAR, "page": 1}
        if number is not None and 1 < number <= numbered + 1:
            links["previous"] = {**CLEAR, "page": number - 1}
        elif rows:
            links["previous"] = {**CLEAR, "truoc": _cursor(ordering, rows[0]), "page": number and number - 1}
    if not at_end and rows:
        if number is not None and number < numbered:
            links["next"] = {**CLEAR, "page": number + 1}
        else:
            links["next"] = {**CLEAR, "sau": _cursor(ordering, rows[-1]), "page": (number or 0) + 1}
        links["last"] = {**CLEAR, "page": -(-count // size)} if known else {**CLEAR, "cuoi": 1}
    return Pager(object_list=rows, count=count, number=number, size=size, cap=cap, links=links)
