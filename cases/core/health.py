"""Is the portal well? The database, the cache, the job queue's broker and a worker, each checked in a short time.

The portal works without its cache, and desk work is saved without the broker or a worker (their jobs wait): only the
database decides whether the portal is up (`report()["status"]`); a read replica that is down or behind degrades it
(its pages read the primary meanwhile). Nothing here names a host, a password or an exception's text: a monitor
learns what is wrong, not how the portal is wired.
"""

import logging
import time

from celery import current_app
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from . import routing

log = logging.getLogger(__name__)

WORKER_KEY = "health:worker-ran"
# The beat sends cases.reap_lost_jobs every minute; a worker that ran none for this long is missing (or the beat is).
WORKER_LATE_AFTER = 3 * 60
BROKER_TIMEOUT = 2.0

OK, DEGRADED, DOWN = "ok", "degraded", "down"


def worker_ran(now=None):
    """Called by the worker's minute task: the moment a worker last ran a task from the beat."""
    cache.set(WORKER_KEY, (now or timezone.now()).timestamp(), timeout=None)


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        connection.close()  # the next request opens a new connection
        return {"ok": False, "detail": f"không kết nối được cơ sở dữ liệu ({type(exc).__name__})"}
    return {"ok": True}


def check_cache():
    ping = getattr(cache, "ping", None)
    if ping is None:  # the in-process cache of a development run: nothing to reach
        return {"ok": True, "detail": "bộ nhớ đệm trong tiến trình"}
    if not ping():
        return {"ok": False, "detail": "Redis (bộ nhớ đệm) không phản hồi; các trang đọc thẳng từ cơ sở dữ liệu"}
    return {"ok": True}


def check_broker():
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    except Exception as exc:  # kombu OperationalError, redis ConnectionError, timeouts…
        return {"ok": False, "detail": f"hàng đợi việc không phản hồi ({type(exc).__name__}); việc nền chờ gửi lại"}
    return {"ok": True}


def check_worker(now=None):
    try:
        seen = cache.get(WORKER_KEY)
    except Exception:  # a cache that raises counts as "no news"
        seen = None
    if seen is None:
        return {"ok": False, "detail": "chưa thấy tiến trình xử lý nền (celery worker và beat) chạy việc nào"}
    age = max(int((now or timezone.now()).timestamp() - seen), 0)
    if age > WORKER_LATE_AFTER:
        return {"ok": False, "last_seen_seconds": age, "detail": f"tiến trình xử lý nền im lặng {age} giây"}
    return {"ok": True, "last_seen_seconds": age}


def check_replicas():
    """Each read replica's lag (routing.reading, asked at most every REPLICA_CHECK_SECONDS)."""
    lags, behind = {}, []
    for alias in routing.replicas():
        known = routing.reading(alias)
        lags[alias] = None if known.lag is None else round(known.lag, 1)
        if not known.usable:
            behind.append(alias)
    if behind:
        detail = f"bản sao {', '.join(behind)} không trả lời hoặc trễ quá; các trang đó đọc từ máy chủ chính"
        return {"ok": False, "lag_seconds": lags, "detail": detail}
    return {"ok": True, "lag_seconds": lags}


def report(now=None):
    """{"status": ok|degraded|down, "checks": {name: {"ok": bool, ...}}, "seconds": how long it took}."""
    started = time.monotonic()
    checks = {"database": check_database(), "cache": check_cache(), "broker": check_broker()}
    checks["worker"] = check_worker(now)
    if routing.replicas():
        checks["replicas"] = check_replicas()
    if not checks["database"]["ok"]:
        status = DOWN
    elif all(check["ok"] for check in checks.values()):
        status = OK
    else:
        status = DEGRADED
    return {"status": status, "checks": checks, "seconds": round(time.monotonic() - started, 3)}
