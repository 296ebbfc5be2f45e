"""Read replicas: which database a query goes to (settings.DATABASE_ROUTERS, README "Bản sao chỉ đọc").

`DATABASE_REPLICA_URL` adds one database per PostgreSQL streaming replica ("replica1", …, listed in
settings.DATABASE_REPLICAS). Every query goes to the primary ("default") unless it runs inside `reads_from_replica`,
which marks what may be a few seconds behind: the reports, the dossier list, Hôm nay, the header's badge and the
list's downloads. Even there the primary answers:
- once the block has written anything (a view that records a job, a step): it then reads what it wrote;
- after a user's POST, until a replica has replayed it: the response leaves the primary's WAL position in a cookie
  (`ReadYourWrites`), so the list right after a receipt shows the new dossier;
- when no replica answers within REPLICA_CONNECT_TIMEOUT or each lags more than REPLICA_MAX_LAG_SECONDS (logged once
  per change); and a decorated view whose replica fails mid-way (it went down, or PostgreSQL cancelled a query that
  conflicted with replay) is run once more on the primary — it only reads, so that is safe.
Sessions are always read on the primary (a login must not wait for a replica). Migrations run on the primary only.
Without replicas the router changes nothing: reads and writes go to "default" as before.
"""

import logging
import math
import random
import threading
import time
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.http import FileResponse

from .formats import number

log = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
# Read where they are written, whatever the block: a session just created must be found by the next request.
PRIMARY_ONLY_APPS = {"sessions"}
# The primary's WAL position after a user's last POST (bytes); pages read the primary until a replica is past it.
COOKIE = "portal_last_write"

# How far behind a standby is, in seconds; 0 when it has replayed all it received and still streams (an idle
# primary sends nothing, so the time since the last replayed commit alone would grow without any lag).
PROBE = """
SELECT pg_is_in_recovery(),
       pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint,
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                 AND EXISTS (SELECT FROM pg_stat_wal_receiver) THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
       END
"""


def replicas():
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


# --- what each replica said when last asked (per process, shared by its threads) --------------------------------
@dataclass(frozen=True)
class Reading:
    lag: float | None  # seconds behind the primary; None: did not answer, or cannot tell
    replayed: int | None  # WAL position replayed; None on a server that is not a standby (nothing to wait for)
    at: float  # time.monotonic() of the question

    @property
    def usable(self):
        return self.lag is not None and self.lag <= settings.REPLICA_MAX_LAG_SECONDS

    def has_replayed(self, position):
        return position is None or self.replayed is None or self.replayed >= position


_readings: dict[str, Reading] = {}
_usable: dict[str, bool] = {}  # the last state logged, to log changes only
_lock = threading.Lock()


def reading(alias):
    """The replica's lag, asked at most every REPLICA_CHECK_SECONDS (and as often as that while it is down)."""
    known = _readings.get(alias)
    if known is None or time.monotonic() - known.at >= settings.REPLICA_CHECK_SECONDS:
        known = _readings[alias] = _probe(alias)
        _log_change(alias, known)
    return known


def forget_readings():
    """The next block asks every replica again, as if the process had just started (tests)."""
    _readings.clear()
    _usable.clear()


def _probe(alias):
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(PROBE)
            standby, replayed, lag = cursor.fetchone()
    except DatabaseError as exc:
        _close(alias)
        return _down(alias, exc)
    return Reading(float(lag) if lag is not None else None, replayed if standby else None, time.monotonic())


def _down(alias, exc):
    with _lock:
        if _usable.get(alias, True):
            log.warning(
                "Bản sao %s không trả lời (%s): các trang đọc từ máy chủ chính; hỏi lại sau mỗi %s giây.",
                alias,
                type(exc).__name__,
                _figure(settings.REPLICA_CHECK_SECONDS),
            )
            _usable[alias] = False
    return Reading(None, None, time.monotonic())


def _log_change(alias, known):
    with _lock:
        was = _usable.get(alias, True)
        if known.usable == was:
            return
        _usable[alias] = known.usable
    if known.usable:
        log.warning("Bản sao %s dùng lại được (trễ %s giây).", alias, _seconds(known.lag))
    elif known.lag is not None:
        log.warning(
            "Bản sao %s trễ %s giây, quá giới hạn %s giây: các trang đọc từ máy chủ chính.",
            alias,
            _seconds(known.lag),
            _figure(settings.REPLICA_MAX_LAG_SECONDS),
        )
    else:
        log.warning("Bản sao %s không cho biết độ trễ: các trang đọc từ máy chủ chính.", alias)


def _close(alias):
    with suppress(DatabaseError):  # already gone
        connections[alias].close()


def _figure(value):
    return number(value, 0 if value == int(value) else 1)


def _seconds(lag):
    return number(round(lag)) if lag >= 1 else "dưới 1"


# --- which database a block reads ---------------------------------------------------------------------------------
_written_at: ContextVar[int | None] = ContextVar("portal_written_at", default=None)


class _Block:
    """One replica-safe block (a view, the badge): one database for all its reads, chosen at the first one."""

    def __init__(self, primary_only=False):
        self.alias = PRIMARY if primary_only else None
        self.wrote = False
        self.after = _written_at.get()  # a replica must have replayed this user's last write

    def read_alias(self):
        if self.wrote:
            return PRIMARY
        if self.alias is None:
            self.alias = _choose(self.after)
        return self.alias

    def lost_replica(self):
        """Did a replica fail under this block before it wrote anything? Then it may run again on the primary."""
        if self.wrote or self.alias in (None, PRIMARY) or not connections[self.alias].errors_occurred:
            return False
        _close(self.alias)
        _readings.pop(self.alias, None)  # ask it again before the next block uses it
        return True


_block: ContextVar[_Block | None] = ContextVar("portal_replica_block", default=None)


def _choose(after):
    candidates = []
    for alias in replicas():
        known = reading(alias)
        if known.usable and known.has_replayed(after):
            candidates.append(alias)
    return random.choice(candidates) if candidates else PRIMARY


def reads_from_replica(function):
    """Marks a view (or any function) that only reads and may show data a few seconds old: its queries may go to a
    replica. A streamed response is read from the same database while it streams."""

    @wraps(function)
    def replica_safe(*args, **kwargs):
        if not replicas() or _block.get() is not None:
            return function(*args, **kwargs)  # no replicas, or an outer block decides
        block = _Block()
        try:
            result = _run(block, function, args, kwargs)
        except (OperationalError, InterfaceError) as exc:
            if not block.lost_replica():
                raise
            log.warning("Bản sao %s lỗi giữa chừng (%s): đọc lại từ máy chủ chính.", block.alias, type(exc).__name__)
            block = _Block(primary_only=True)
            result = _run(block, function, args, kwargs)
        if getattr(result, "streaming", False) and not isinstance(result, FileResponse) and not result.is_async:
            result.streaming_content = _streamed(block, result.streaming_content)
        return result

    return replica_safe


def _run(block, function, args, kwargs):
    token = _block.set(block)
    try:
        return function(*args, **kwargs)
    finally:
        _block.reset(token)


def _streamed(block, chunks):
    """Each chunk produced inside the block (a generator shares its caller's context, so set it per step)."""
    chunks = iter(chunks)
    while True:
        token = _block.set(block)
        try:
            chunk = next(chunks, None)
        finally:
            _block.reset(token)
        if chunk is None:
            return
        yield chunk


def note():
    """For a report page: 'Số liệu từ bản sao, trễ 2 giây' when this block reads a replica, else ''."""
    block = _block.get()
    if block is None or block.alias in (None, PRIMARY):
        return ""
    known = _readings.get(block.alias)
    if known is None or known.lag is None:
        return ""
    return f"Số liệu từ bản sao, trễ {_seconds(known.lag)} giây."


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: the primary unless a replica-safe block chose a replica."""

    def db_for_read(self, model, **hints):
        block = _block.get()
        if block is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return block.read_alias()

    def db_for_write(self, model, **hints):
        block = _block.get()
        if block is not None:
            block.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same rows: a replica's dossier may point at the primary's unit

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # a replica receives the schema from the primary's WAL


# --- read your own writes across requests -------------------------------------------------------------------------
def primary_position():
    """The primary's WAL insert position now: past everything committed so far."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")
            return cursor.fetchone()[0]
    except DatabaseError:
        return None  # the response stands; the next pages may read a replica a moment early


def _cookie_position(request):
    try:
        return int(request.COOKIES.get(COOKIE, ""))
    except ValueError:
        return None


class ReadYourWrites:
    """Middleware: after a POST, this user's replica-safe pages read the primary until a replica has replayed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replicas():
            return self.get_response(request)
        token = _written_at.set(_cookie_position(request))
        try:
            response = self.get_response(request)
        finally:
            _written_at.reset(token)
        if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            position = primary_position()
            if position is not None:
                response.set_cookie(
                    COOKIE,
                    str(position),
                    # Past that, a replica still behind it lags more than the limit and is not read anyway.
                    max_age=math.ceil(settings.REPLICA_MAX_LAG_SECONDS + settings.REPLICA_CHECK_SECONDS),
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        return response
