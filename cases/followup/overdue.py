"""The overdue flag (Celery beat, every 15 minutes): one guarded UPDATE and one event per newly overdue dossier."""

import logging
from typing import NamedTuple

from django.db import connections, transaction
from django.db.models.sql import UpdateQuery
from django.utils import timezone

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
        ids = _claim_newly_overdue(as_of)
        before, after = payload(EventKind.OVERDUE, {"overdue_since": None}, {"overdue_since": as_of})
        DossierEvent.objects.bulk_create(
            (
                DossierEvent(
                    dossier_id=pk, kind=EventKind.OVERDUE, at=as_of, recorded_at=now, before=before, after=after
                )
                for pk in ids
            ),
            batch_size=EVENT_BATCH,
        )
        total = Dossier.objects.filter(overdue_q(as_of)).count()
    log.info("Gắn cờ quá hạn lúc %s: %s hồ sơ quá hạn (mới: %s)", moment(as_of), number(total), number(len(ids)))
    return Flagged(total, len(ids))


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
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values({"overdue_since": as_of})
    query.clear_ordering(force=True)
    if len(query.alias_map) > 1:  # a join would need Django's pk__in rewrite; overdue_q has none
        raise AssertionError("flag_overdue expects conditions on the dossier table only")
    sql, params = query.get_compiler(queryset.db).as_sql()
    pk_column = connection.ops.quote_name(Dossier._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk_column}", params)
        return [row[0] for row in cursor.fetchall()]
