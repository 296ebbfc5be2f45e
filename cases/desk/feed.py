"""The change feed: every event of the dossiers a reader may read, after a position, in an order that never lets a
late commit slip behind a reader (issue 15: "a consumer that falls behind loses nothing").

Ids come from a sequence and are taken when a row is written, not when it commits: a long import can commit events
with lower ids after a reader went past higher ones. So each event keeps the id of the transaction that wrote it
(DossierEvent.txid), the feed runs in (txid, id) order, and it serves only events below a horizon under which no
transaction can commit any more: the lowest transaction id still running in this database, read BEFORE the query
(`horizon`). An event waits while a transaction of this database that began before it is open.

Why it holds: a transaction with an id below the horizon had its id before the horizon was read (ids are handed
out in order, and the horizon is at most the snapshot's xmax); had it still been running then, it would have been
in the list and the horizon below it. So it ended before the feed's query began, and its events, if it committed,
are in the query's snapshot. Other databases of the server are left out on purpose: their long transactions (a
snapshot's own xmin counts them) would hold the feed for nothing.

SQLite has one writer at a time and no transaction ids: the feed there is in id order.
"""

import re
from typing import NamedTuple

from django.db import connection
from django.db.models import BooleanField, F
from django.db.models.expressions import RawSQL

from . import access
from .models import DossierEvent

POSITION = re.compile(r"^(\d{1,20})-(\d{1,20})$")


class Position(NamedTuple):
    """Where a reader is: the last event it was given, as (txid, id); written `<txid>-<id>`."""

    txid: int
    id: int

    def __str__(self):
        return f"{self.txid}-{self.id}"

    @classmethod
    def parse(cls, text):
        """The position written by __str__; ValueError for anything else."""
        match = POSITION.match(text or "")
        if not match:
            raise ValueError(text)
        return cls(int(match[1]), int(match[2]))


START = Position(0, 0)


class Page(NamedTuple):
    events: list  # rows: FIELDS and NAMES
    next: Position  # where to read on from (the same position when nothing was there)
    more: bool  # events were left for the next page


def _column(name):
    return f"{connection.ops.quote_name(DossierEvent._meta.db_table)}.{connection.ops.quote_name(name)}"


def _condition(sql, params=()):
    return RawSQL(sql, params, output_field=BooleanField())


def events_after(user, position=START, limit=100):
    """A page of the events of access.readable_by(user) after `position`, oldest first (by transaction, then id),
    as rows with the dossier's code and the author's name columns."""
    events = DossierEvent.objects.filter(dossier__in=access.readable_by(user))
    if position != START:
        # A row comparison, which the index (txid, id) answers as one range.
        txid = str(position.txid) if connection.vendor == "postgresql" else position.txid
        events = events.filter(_condition(f"({_column('txid')}, {_column('id')}) > (%s, %s)", (txid, position.id)))
    if connection.vendor == "postgresql":
        events = events.filter(_condition(f"{_column('txid')} < %s", (str(horizon()),)))
    # Rows, not models: a page of 1.000 events is read and written out several times faster.
    rows = list(events.order_by("txid", "id").values(*FIELDS, **NAMES)[: limit + 1])
    page = rows[:limit]
    return Page(page, Position(page[-1]["txid"], page[-1]["id"]) if page else position, len(rows) > limit)


FIELDS = ("id", "txid", "kind", "at", "recorded_at", "before", "after", "reason", "warning")
NAMES = {
    "dossier_code": F("dossier__code"),
    "by_first_name": F("by__first_name"),
    "by_last_name": F("by__last_name"),
    "by_username": F("by__username"),
}

# The running transactions of this database (prepared ones too), as 64-bit ids: a 32-bit xid lies less than 2^31
# below the snapshot's xmax (PostgreSQL's wraparound guard), which gives its epoch.
HORIZON = """
    WITH snapshot AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::numeric AS xmax),
    running AS (
        SELECT backend_xid AS xid FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND datid = (SELECT oid FROM pg_database WHERE datname = current_database())
        UNION ALL
        SELECT transaction FROM pg_prepared_xacts WHERE database = current_database()
    )
    SELECT LEAST(snapshot.xmax, MIN(snapshot.xmax - MOD(MOD(snapshot.xmax, 4294967296) - running.xid::text::numeric
                                                          + 4294967296, 4294967296)))::text
    FROM snapshot LEFT JOIN running ON TRUE GROUP BY snapshot.xmax
"""


def horizon():
    """The lowest transaction id (xid8) that may still commit events in this database: its oldest running
    transaction's, else the snapshot's xmax. Read in a statement of its own, before the feed's query."""
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction and then kept: drop any copy read earlier in this one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(HORIZON)
        return int(cursor.fetchone()[0])
