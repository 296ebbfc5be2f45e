"""A list's pages over a million rows: a count that stops at a cap, numbered pages up to it, keyset pages beyond.

- The count reads at most COUNT_CAP + 1 rows (`SELECT count(*) FROM (… LIMIT 10001)`): exact up to the cap,
  "hơn 10.000" past it. COUNT(*) of a whole province's dossiers is never asked for.
- Page n (`page=n`) is an OFFSET of at most COUNT_CAP rows, read in index order.
- Past the cap, "Trang sau" carries the last row's sort key (`sau=…`) and "Trang trước" the first row's
  (`truoc=…`): WHERE (key, id) > (…) reads one page whatever the depth. "Trang cuối" (`cuoi=1`) is the first
  page of the reversed order, reversed back.

The ordering must end with the primary key (the list's sorts do: cases.filters.StableOrderingFilter), so that a
sort key names one row; it stops at a unique column (a code needs no id after it).

A list limited to a literal list of values of a column (an office's units: `unit_id IN (3, 4, …)`) is read as a
per-value top-N merge when an index leads with that column and continues in the sort order, (unit, received_at, id):
`(… WHERE unit_id IN (3) ORDER BY x, id LIMIT n) UNION ALL (… unit_id IN (4) …) ORDER BY x, id LIMIT n`, which
PostgreSQL answers with a Merge Append of one index range per unit, reading about n rows whatever the order and
wherever the units' rows lie. A plain `ORDER BY x LIMIT n` walks the global (x) index and throws away the other
units' rows: seconds for a district whose dossiers are not at that end.

A filtered list (conditions beyond the units, for any user) is counted by one read that also sorts out the page: a
materialized CTE of at most COUNT_CAP + 1 rows by the planner's best unordered plan (the name's trigram index, the
phone's), which gives the count and, when the count is exact, the page. Counting had to read those rows anyway;
merge arms would each repeat an index scan that has no unit column. Only when the filtered rows pass the cap, and
are thus many, does the merge (or, for one unit, the plain ORDER BY) read the page, each arm walking its unit's
range until it has found enough. The page's ids come from either; its rows then by id.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, In, LessThan, LessThanOrEqual, Range
from django.db.models.sql.where import AND

COUNT_CAP = 10_000
ALL_ROWS = 2**62  # an uncapped gather: its page is always sorted out
MERGE_MAX = 300  # units at most in a merge: planning grows with the arms (~0,1 ms each), reading does not
WINDOW_MAX = datetime.timedelta(days=92)  # a month or a quarter of receipt: read whole, then sorted (_windowed_ids)


def capped_count(queryset, cap):
    """The number of rows, or cap + 1 when there are more."""
    return queryset.order_by()[: cap + 1].count()


def _ordering(queryset):
    """[(field name, descending)] of the queryset's ordering, which ends with the primary key or a unique field."""
    names = list(queryset.query.order_by or queryset.model._meta.ordering)
    meta = queryset.model._meta
    result = []
    for name in names:
        descending = name.startswith("-")
        name = name.lstrip("-")
        name = "pk" if name in (meta.pk.name, "pk") else name
        result.append((name, descending))
        if name == "pk" or _unique(meta, name):
            return result
    result.append(("pk", result[0][1] if result else False))
    return result


def _unique(meta, name):
    try:
        return meta.get_field(name).unique
    except FieldDoesNotExist:  # a related field's path or an annotation
        return False


def _names(ordering):
    return [("-" if desc else "") + name for name, desc in ordering]


def _flipped(ordering):
    return [(name, not desc) for name, desc in ordering]


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


# --- reading a page: plain, merged per unit, or gathered ----------------------------------------------------
@dataclass(frozen=True)
class Split:
    """The literal values a column is limited to (its lookups in the WHERE), when an index on (column, sort
    columns…) reads each value's rows in the list's order; `filtered` when other conditions narrow the rows."""

    lookups: tuple  # positions in the WHERE's children of the `column IN (…)` / `column = …` lookups
    values: tuple
    filtered: bool

    @property
    def merges(self):
        return 1 < len(self.values) <= MERGE_MAX


def _index_orders(meta, column, ordering):
    """Whether an index of the model starts with `column` and continues with the ordering's fields."""
    wanted = [meta.pk.name if name == "pk" else name for name, _ in ordering]
    for index in meta.indexes:
        fields = list(index.fields)
        if index.condition is None and not index.opclasses and fields[0] == column and fields[1:] == wanted:
            return True
    return False


def _split(queryset, ordering):
    """How a queryset in this ordering can be read: Split(lookups=(), values=()) when no column's literal values
    lead an index in its order (the administrator's list, with no unit condition); None when its query is not a
    plain filter (a union, DISTINCT, GROUP BY, nothing at all)."""
    query = queryset.query
    where = query.where
    if query.is_empty() or query.combinator or query.distinct or query.group_by is not None:
        return None
    if where.negated or where.connector != AND:
        return None
    columns = {}
    for position, child in enumerate(where.children):
        if (
            isinstance(child, In | Exact)
            and isinstance(child.lhs, Col)
            and child.lhs.alias == query.base_table
            and child.rhs_is_direct_value()
        ):
            values = set(child.rhs) if isinstance(child, In) else {child.rhs}
            positions, known = columns.get(child.lhs.target.name, ((), values))
            columns[child.lhs.target.name] = ((*positions, position), known & values)
    for column, (positions, values) in columns.items():
        if values and _index_orders(queryset.model._meta, column, ordering):
            return Split(positions, tuple(sorted(values)), filtered=len(where.children) > len(positions))
    return Split((), (), filtered=bool(where.children))


def _merged_ids(queryset, ordering, split, start, stop):
    """The ids of rows start…stop: one arm per value, each in index order and cut at `stop`, merged."""
    fields = ["pk"] + [name for name, _ in ordering if name != "pk"]
    arms = []
    for value in split.values:
        arm = queryset.values_list(*fields).order_by(*_names(ordering))[:stop]
        column = arm.query.where.children[split.lookups[0]].lhs
        for position in split.lookups:  # the WHERE is the arm's own copy; its lookups are shared: replace them
            arm.query.where.children[position] = In(column, [value])
        arms.append(arm)
    merged = arms[0].union(*arms[1:], all=True).order_by(*_names(ordering))[start:stop]
    return [row[0] for row in merged]


def _window(queryset, ordering):
    """Whether the WHERE bounds a column other than the sort's on both sides, at most WINDOW_MAX apart (a month of
    receipt sorted by due date or by code): each unit's rows in that window are few, but a walk in the sort's order
    meets them only after all the unit's rows before them (due dates later than the month's, codes of other days)."""
    query = queryset.query
    lows, highs = {}, {}
    for child in query.where.children:
        column = getattr(child, "lhs", None)
        if not isinstance(column, Col) or column.alias != query.base_table or not child.rhs_is_direct_value():
            continue
        name = column.target.name
        if isinstance(child, Range):
            lows[name], highs[name] = child.rhs
        elif isinstance(child, GreaterThan | GreaterThanOrEqual):
            lows[name] = child.rhs
        elif isinstance(child, LessThan | LessThanOrEqual):
            highs[name] = child.rhs
    return any(
        name != ordering[0][0]
        and isinstance(lows[name], datetime.date)
        and type(lows[name]) is type(highs[name])
        and datetime.timedelta(0) <= highs[name] - lows[name] <= WINDOW_MAX
        for name in lows.keys() & highs.keys()
    )


def _windowed_ids(queryset, ordering, split, start, stop):
    """The ids of rows start…stop of a windowed list (_window): one arm per value as in the merge, but each arm reads
    its value's rows in the window by the planner's best unordered plan (the (unit, received_at) range; OFFSET 0 keeps
    the ORDER BY … LIMIT from turning it into a walk of the sort's index) and sorts them, then the arms are merged."""
    fields = ["pk"] + [name for name, _ in ordering if name != "pk"]
    columns = ", ".join(f"k{position}" for position in range(len(fields)))
    keys = ", ".join(f"k{fields.index(name)} {'DESC' if desc else 'ASC'}" for name, desc in ordering)
    arms, params = [], []
    for number, value in enumerate(split.values):
        arm = queryset.order_by().values_list(*fields)
        column = arm.query.where.children[split.lookups[0]].lhs
        for position in split.lookups:  # as in _merged_ids: the arm's own WHERE, its lookups replaced
            arm.query.where.children[position] = In(column, [value])
        try:
            sql, arm_params = arm.query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:
            continue
        arms.append(f"(SELECT * FROM ({sql} OFFSET 0) AS w{number} ({columns}) ORDER BY {keys} LIMIT %s)")
        params += [*arm_params, stop]
    if not arms:
        return []
    sql = f"SELECT k0 FROM ({' UNION ALL '.join(arms)}) AS m ({columns}) ORDER BY {keys} LIMIT %s OFFSET %s"
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, (*params, stop - start, start))
        return [row[0] for row in cursor.fetchall()]


def _gathered(queryset, ordering, start, stop, cap=None):
    """(the number of rows, capped at cap + 1; the ids of rows start…stop): every row read once, by the planner's best
    unordered plan (MATERIALIZED keeps the CTE from being inlined into an ordered walk), then sorted. Past the cap
    the ids are those of an arbitrary part of the rows: the caller reads the page otherwise."""
    fields = ["pk"] + [name for name, _ in ordering if name != "pk"]
    inner = queryset.order_by().values_list(*fields)
    if cap is not None:
        inner = inner[: cap + 1]
    try:
        sql, params = inner.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:  # a condition that matches nothing (`pk IN ()`)
        return 0, []
    keys = ", ".join(f"k{fields.index(name)} {'DESC' if desc else 'ASC'}" for name, desc in ordering)
    columns = ", ".join(f"k{position}" for position in range(len(fields)))
    # Past the cap the page is read otherwise: the CASE leaves the sort of the cap's rows unrun (an InitPlan runs
    # when first needed).
    sql = (
        f"WITH m ({columns}) AS MATERIALIZED ({sql}), n (c) AS (SELECT count(*) FROM m)"
        f" SELECT c, CASE WHEN c <= %s THEN ARRAY(SELECT k0 FROM m ORDER BY {keys} LIMIT %s OFFSET %s) END FROM n"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, (*params, cap if cap is not None else ALL_ROWS, stop - start, start))
        count, ids = cursor.fetchone()
    return count, list(ids or ())


def _by_id(queryset, ids):
    """The rows of these ids, in this order."""
    rows = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def _read(queryset, ordering, start, stop, split, gather):
    """queryset[start:stop] in `ordering`: its ids gathered or merged per unit, then its rows by id; or plainly."""
    queryset = queryset.order_by(*_names(ordering))
    if gather:
        return _by_id(queryset, _gathered(queryset, ordering, start, stop)[1])
    if split is not None and split.values and len(split.values) <= MERGE_MAX and _window(queryset, ordering):
        return _by_id(queryset, _windowed_ids(queryset, ordering, split, start, stop))
    if split is not None and split.merges:
        return _by_id(queryset, _merged_ids(queryset, ordering, split, start, stop))
    return list(queryset[start:stop])


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
    queryset = queryset.order_by(*_names(ordering))
    try:
        number = max(1, int(params.get("page") or 1))
    except ValueError:
        number = 1
    # The merge and the gathered read are PostgreSQL's SQL (ARRAY, sliced UNION arms); the no-server quick start
    # (SQLite, a few thousand demo dossiers) reads every page plainly.
    split = _split(queryset, ordering) if connections[queryset.db].vendor == "postgresql" else None
    filtered = split is not None and split.filtered
    gathered = None  # (OFFSET, ids) of the numbered page, when counting read it too
    if filtered and not (params.get("sau") or params.get("truoc") or params.get("cuoi")):
        # A filtered list: one read counts the rows and, when they are within the cap, sorts out the page as well.
        count, ids = _gathered(queryset, ordering, (number - 1) * size, number * size + 1, cap)
        gathered = ((number - 1) * size, ids)
    else:
        count = capped_count(queryset, cap)
    known = count <= cap
    # Filtered rows within the cap are read once and sorted (see the module's docstring); more: the per-unit merge.
    gather = filtered and known

    def read(narrowed, order, start, stop):
        return _read(narrowed, order, start, stop, split, gather)

    numbered = max(1, -(-min(count, cap) // size))  # pages reachable by number (OFFSET ≤ cap)
    rows, at_start, at_end = None, False, False
    if params.get("cuoi") and not known:
        rows = read(queryset, _flipped(ordering), 0, size)[::-1]
        number, at_end = None, True
        at_start = len(rows) < size
    elif cursor := params.get("sau") or params.get("truoc"):
        backwards = not params.get("sau")
        narrowed = _after(queryset, ordering, cursor, backwards)
        if narrowed is not None:
            number = number if params.get("page") else None  # how deep a keyset page is, when the link said
            if backwards:
                rows = read(narrowed, _flipped(ordering), 0, size + 1)
                at_start = len(rows) <= size
                rows = rows[:size][::-1]
            else:
                rows = read(narrowed, ordering, 0, size + 1)
                at_end = len(rows) <= size
                rows = rows[:size]
    if rows is None:
        number = min(number, numbered)
        if known and gathered is not None and gathered[0] == (number - 1) * size:
            rows = _by_id(queryset, gathered[1])
        else:
            rows = read(queryset, ordering, (number - 1) * size, number * size + 1)
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
