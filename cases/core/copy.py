"""Writing many rows at once: COPY on PostgreSQL (several times faster for a large file), bulk_create elsewhere."""

import csv
import io
import json
import logging
import time
from functools import partial
from operator import itemgetter

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import NOT_PROVIDED

log = logging.getLogger(__name__)

BATCH = 2000
# A bulk job that wrote at least this many rows refreshes the planner's statistics at once (and VACUUMs, `vacuum`).
ANALYZE_AFTER = 5_000


def bulk_insert(model, rows, now, need_ids=True, use_copy=None):
    """Insert rows given as {attname: value}; returns their primary keys (when need_ids) in order.

    bulk_create in general; on PostgreSQL a COPY, several times faster for a large file (`use_copy` forces
    either, for comparison). Columns a row leaves out take the field's default (auto_now fields: `now`), so a
    field added to the model later is still written. Rows that carry their primary key keep it.
    """
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    if not use_copy or not rows:
        created = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return [obj.pk for obj in created]

    meta = model._meta
    # The database fills the key, generated columns, and columns with only a database default that no row carries
    # (DossierEvent.txid: the writing transaction's id).
    fields = [
        f
        for f in meta.concrete_fields
        if not f.primary_key
        and not f.generated
        and not (f.db_default is not NOT_PROVIDED and not f.has_default() and f.attname not in rows[0])
    ]
    ids = []
    if meta.pk.attname in rows[0]:
        fields.insert(0, meta.pk)  # carried by the rows like any other column
        ids = [row[meta.pk.attname] for row in rows]
        need_ids = False
    elif need_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
    fields, lines = _copy_rows(fields, rows, now, ids if need_ids else None)
    if need_ids:
        fields.insert(0, meta.pk)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    buffer.seek(0)
    # Text columns are NOT NULL: an empty field there is '' (in COPY's CSV, an unquoted empty field is NULL).
    texts = [
        connection.ops.quote_name(f.column)
        for f in fields
        if f.get_internal_type() in ("CharField", "TextField") and not f.null
    ]
    options = f"FORMAT csv, FORCE_NOT_NULL ({', '.join(texts)})" if texts else "FORMAT csv"
    table, columns = (
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH ({options})", buffer)
    return ids


def _copy_rows(fields, rows, now, ids):
    """(fields in the order the rows' tuples give them, the tuples): the format is settled once per table, not per
    value. The csv writer spells every value with str(): a datetime as ISO 8601 with its offset, a bool as
    True/False, None as an empty field (NULL), all of which PostgreSQL reads as they are; only JSON columns are
    dumped here. A column no row carries is its default on every line, formatted once and put last."""
    carried = set().union(*rows)
    taken, constant, jsons, tail = [], [], [], []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        elif f.has_default():
            default = f.get_default()
        else:
            default = None
        is_json = f.get_internal_type() == "JSONField"
        if f.attname in carried:
            if is_json:
                jsons.append(len(taken))
            taken.append((f, default))
        else:
            constant.append(f)
            tail.append(_dumped(default) if is_json and default is not None else default)
    names = [f.attname for f, _ in taken]
    getter = itemgetter(*names) if len(names) > 1 else (lambda row: tuple(row[name] for name in names))
    tail = tuple(tail)

    def values(row):
        try:
            found = getter(row)
        except KeyError:  # a row without a column that others carry: the field's default
            found = tuple(row.get(f.attname, default) for f, default in taken)
        if jsons:
            found = list(found)
            for position in jsons:
                if found[position] is not None:
                    found[position] = _dumped(found[position])
        return found

    if ids is None:
        lines = ((*values(row), *tail) for row in rows)
    else:
        lines = ((pk, *values(row), *tail) for pk, row in zip(ids, rows, strict=True))
    return [f for f, _ in taken] + constant, lines


_dumped = partial(json.dumps, ensure_ascii=False)


def bulk_set(model, rows, fields, batch_size=50_000):
    """Set `fields` (attnames) of many rows given as {pk attname: …, field: …}.

    On PostgreSQL one UPDATE … FROM unnest(arrays) per batch: bulk_update's CASE WHEN per row costs a batch's
    size squared. bulk_update elsewhere.
    """
    if not rows:
        return
    meta = model._meta
    if connection.vendor != "postgresql":
        objects = [model(**row) for row in rows]
        model.objects.bulk_update(objects, [meta.get_field(name).name for name in fields], batch_size=BATCH)
        return
    columns = [meta.pk, *(next(f for f in meta.concrete_fields if f.attname == name) for name in fields)]
    quote = connection.ops.quote_name
    # The key's plain type (bigint), not its column definition (an identity).
    types = [f.rel_db_type(connection) if f.primary_key else f.db_type(connection) for f in columns]
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    names = ", ".join(quote(f.column) for f in columns)
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    statement = (
        f"UPDATE {quote(meta.db_table)} AS t SET {sets} FROM unnest({arrays}) AS v({names}) "
        f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(statement, [[row[f.attname] for row in batch] for f in columns])


def analyze(*models):
    """Refresh the planner's statistics of the tables a bulk job just filled or rewrote (PostgreSQL).

    Autovacuum's analyze comes only after a share of the table changed, and later still under load; until then
    the lists' COUNT and the dashboard's aggregates are planned on stale row counts (sequential scans).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def analyze_after(count, *models):
    """`analyze` when a bulk job wrote at least ANALYZE_AFTER rows (a handful of rows moves no plan), and a VACUUM
    of the same tables once the job's transaction commits, where autovacuum will not come (`vacuum`)."""
    if count >= ANALYZE_AFTER:
        analyze(*models)
        if connection.vendor == "postgresql" and settings.BULK_VACUUM != "off":
            # VACUUM cannot run inside a transaction block: after the commit, the connection back in autocommit
            # (at once when there is no transaction). A failure is logged; the job's work is committed already.
            transaction.on_commit(partial(vacuum, *models), robust=True)


def vacuum(*models):
    """VACUUM the tables a bulk job changed, when autovacuum will not (BULK_VACUUM "auto"; "on": always); returns
    the tables vacuumed.

    ANALYZE fixes the plans, not the visibility map: until a VACUUM, COUNT(*) and the lists' index-only scans
    visit the heap for every changed page (×4–×8 after 100.000 updated dossiers, bench/BENCHMARKS.md), and dead
    rows are never reclaimed. With autovacuum on, its per-table thresholds (migration 0014) do this in the
    background at a throttled pace, so "auto" leaves it to them rather than lengthen every job; with autovacuum
    off for the server (`autovacuum`, or `track_counts` that it needs) or for the table (`autovacuum_enabled`),
    nothing else ever would. SKIP_LOCKED: a VACUUM already running on a table is not waited for.
    """
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if settings.BULK_VACUUM == "auto":
            tables = [table for table in tables if _autovacuum_off(cursor, table)]
        for table in tables:
            began = time.perf_counter()
            try:
                cursor.execute(f"VACUUM (SKIP_LOCKED) {connection.ops.quote_name(table)}")
            except DatabaseError:
                log.warning("Không chạy được VACUUM bảng %s sau việc ghi hàng loạt.", table, exc_info=True)
                continue
            log.info("VACUUM %s sau việc ghi hàng loạt: %.1f giây", table, time.perf_counter() - began)
    return tables


def _autovacuum_off(cursor, table):
    cursor.execute(
        "SELECT current_setting('autovacuum') = 'off' OR current_setting('track_counts') = 'off'"
        " OR EXISTS (SELECT 1 FROM unnest(c.reloptions) AS o WHERE o ~* '^autovacuum_enabled=(false|off|no|0)$')"
        " FROM pg_class c WHERE c.oid = %s::regclass",
        [table],
    )
    return cursor.fetchone()[0]
