"""The overdue flag (Celery beat, every 15 minutes): one guarded UPDATE and one event per newly overdue dossier."""

import logging
from typing import NamedTuple

from django.db import connections, transaction
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from cases.core.copy import analyze_after
from cases.core.formats import moment, number
from cases.desk.models import Dossier, DossierEvent
from cases.desk.outcome import open_q, overdue_q
from cases.desk.states import EventKind, payload

log = logging.getLogger(__name__)

EVENT_BATCH = 2000


class Flagged(NamedTuple):
    total: int  # open and past their due time at as_of
    new: int  # flagged by this run


def flag_overdue(as_of=None):
    """Flag every open dossier past its due time that is not flagged yet, in one UPDATE, with one event each.

    Idempotent: a second run at the same moment flags nothing and writes no event. A dossier whose due time was
    moved later (a resumption, a correction, an import) is unflagged, so it is flagged — and recorded — again if it
    passes the new due time; a resolved or ended dossier keeps its flag as history. A back-dated run (as_of in the
    past) never unflags what is overdue now.
    """
    now = timezone.now()
    as_of = as_of or now
    with transaction.atomic():
        Dossier.objects.filter(open_q(), overdue_since__isnull=False, due_at__gte=max(as_of, now)).update(
            overdue_since=None
        )
        before, after = payload(EventKind.OVERDUE, {"overdue_since": None}, {"overdue_since": as_of})
        new = _flag_and_record(as_of, now, before, after)
        total = Dossier.objects.filter(overdue_q(as_of)).count()
    # The lists and the dashboard must not wait for autovacuum to notice that many rows moved. Only the dossiers:
    # pages filter on their columns; the events are only appended (their own autovacuum settings analyze them
    # after 2%), and analyzing both made the job 1,47× the bare statement instead of ~1,2× (BENCHMARKS.md).
    analyze_after(new, Dossier)
    log.info("Gắn cờ quá hạn lúc %s: %s hồ sơ quá hạn (mới: %s)", moment(as_of), number(total), number(new))
    return Flagged(total, new)


def _flag_and_record(as_of, now, before, after):
    """Flag the newly overdue dossiers and write one event each; returns how many.

    PostgreSQL: one statement, `WITH flagged AS (UPDATE … RETURNING id) INSERT INTO events SELECT … FROM flagged`,
    so 100.000 events cost what the database needs, not 50 round trips of Python-built rows. Elsewhere: the
    claimed ids, then bulk_create.
    """
    connection = connections[Dossier.objects.db]
    if connection.vendor != "postgresql":
        ids = _claim_newly_overdue(as_of)
        DossierEvent.objects.bulk_create(
            (
                DossierEvent(
                    dossier_id=pk, kind=EventKind.OVERDUE, at=as_of, recorded_at=now, before=before, after=after
                )
                for pk in ids
            ),
            batch_size=EVENT_BATCH,
        )
        return len(ids)
    update, params = _claim_sql(as_of)
    event = DossierEvent._meta
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(event.get_field(name).column)
        for name in ("dossier", "kind", "at", "recorded_at", "by", "before", "after", "reason", "warning")
    )
    json_field = event.get_field("before")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH flagged AS ({update}) INSERT INTO {quote(event.db_table)} ({columns}) "
            "SELECT flagged.id, %s, %s, %s, NULL, %s::jsonb, %s::jsonb, '', '' FROM flagged",
            [
                *params,
                EventKind.OVERDUE.value,
                as_of,
                now,
                json_field.get_db_prep_value(before, connection),
                json_field.get_db_prep_value(after, connection),
            ],
        )
        return cursor.rowcount


def _claim_sql(as_of):
    """`UPDATE … SET overdue_since = as_of WHERE open AND due_at < as_of AND overdue_since IS NULL RETURNING id`.

    Under PostgreSQL's READ COMMITTED a concurrent run re-checks `overdue_since IS NULL` on the rows it waited
    for, so two runs never flag (and record) the same dossier twice.
    """
    queryset = Dossier.objects.filter(overdue_q(as_of), overdue_since__isnull=True)
    connection = connections[queryset.db]
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values({"overdue_since": as_of})
    query.clear_ordering(force=True)
    if len(query.alias_map) > 1:  # a join would need Django's pk__in rewrite; overdue_q has none
        raise AssertionError("flag_overdue expects conditions on the dossier table only")
    sql, params = query.get_compiler(queryset.db).as_sql()
    return f"{sql} RETURNING {connection.ops.quote_name(Dossier._meta.pk.column)}", params


def _claim_newly_overdue(as_of):
    """Set overdue_since on the newly overdue rows and return their ids.

    PostgreSQL and SQLite ≥ 3.35: one `UPDATE … WHERE overdue_since IS NULL AND open AND due_at < as_of
    RETURNING id`. Under PostgreSQL's READ COMMITTED a concurrent run re-checks `overdue_since IS NULL` on the rows
    it waited for, so two runs never flag (and record) the same dossier twice.
    """
    queryset = Dossier.objects.filter(overdue_q(as_of), overdue_since__isnull=True)
    connection = connections[queryset.db]
    if not connection.features.can_return_columns_from_insert:
        # No RETURNING: claim the ids under row locks, then update exactly those rows.
        ids = list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True))
        for start in range(0, len(ids), EVENT_BATCH):
            Dossier.objects.filter(pk__in=ids[start : start + EVENT_BATCH]).update(overdue_since=as_of)
        return ids
    sql, params = _claim_sql(as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
