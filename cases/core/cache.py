"""The portal's cache: Django's Redis cache, except that a Redis that is down or hung never takes a page down.

The cache only ever holds what can be read again from the database, so a Redis that cannot be reached reads as an
empty cache (the caller computes the value) and writes to it are dropped. It is logged once when Redis goes away and
once when it is back. While it is away it is tried again at most every `retry_after` seconds (OPTIONS), so a hung
Redis costs one short timeout per interval rather than one per call, and the cache comes back by itself.

    CACHES = {"default": {"BACKEND": "cases.core.cache.ForgivingRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"retry_after": 10, "socket_timeout": 0.5}}}
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 10.0
# A cache that answers slower than this is no faster than the database it spares.
DEFAULT_SOCKET_TIMEOUT = 0.5


class _Outage:
    """Whether a Redis is known to be away, shared by the threads of a process (Django keeps a backend per thread)."""

    def __init__(self, retry_after):
        self.retry_after = retry_after
        self.down_since = None
        self.next_try = 0.0
        self.lock = threading.Lock()

    def may_try(self):
        return self.down_since is None or time.monotonic() >= self.next_try

    def failed(self, location, exc):
        with self.lock:
            first = self.down_since is None
            now = time.monotonic()
            if first:
                self.down_since = now
            self.next_try = now + self.retry_after
        if first:
            log.warning(
                "Bộ nhớ đệm Redis (%s) không phản hồi: %s. Các trang đọc thẳng từ cơ sở dữ liệu; "
                "thử lại sau mỗi %s giây.",
                location,
                exc,
                self.retry_after,
            )

    def succeeded(self, location):
        if self.down_since is None:
            return
        with self.lock:
            was_down, self.down_since = self.down_since, None
        if was_down is not None:
            log.warning("Bộ nhớ đệm Redis (%s) đã hoạt động trở lại.", location)


_outages = {}
_outages_lock = threading.Lock()


def _outage(location, retry_after):
    with _outages_lock:
        return _outages.setdefault(location, _Outage(retry_after))


def _safe_location(server):
    """host:port/db of the Redis, never its password."""
    return str(server).rsplit("@", 1)[-1].split("://", 1)[-1]


def _forgiving(fallback):
    """Run the cache call; on a Redis error, note the outage and return `fallback(*args, **kwargs)` instead."""

    def decorate(method):
        def guarded(self, *args, **kwargs):
            if not self._outage.may_try():
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except RedisError as exc:
                self._outage.failed(self._location, exc)
                return fallback(*args, **kwargs)
            self._outage.succeeded(self._location)
            return result

        guarded.__name__ = method.__name__
        guarded.__doc__ = method.__doc__
        return guarded

    return decorate


def _missing_key(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found")  # what incr() says of a key that is not there


class ForgivingRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        retry_after = float(options.pop("retry_after", DEFAULT_RETRY_AFTER))
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        self._location = _safe_location(server)
        self._outage = _outage(str(server), retry_after)

    def ping(self):
        """True when Redis answers now (the health check), whatever the last calls found."""
        try:
            self._cache.get_client(write=True).ping()
        except RedisError as exc:
            self._outage.failed(self._location, exc)
            return False
        self._outage.succeeded(self._location)
        return True

    @_forgiving(lambda key, default=None, version=None: default)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_forgiving(lambda *args, **kwargs: None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_forgiving(lambda *args, **kwargs: False)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_forgiving(lambda *args, **kwargs: False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_forgiving(lambda *args, **kwargs: False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_forgiving(lambda *args, **kwargs: {})
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_forgiving(lambda *args, **kwargs: False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_forgiving(_missing_key)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_forgiving(lambda data, *args, **kwargs: list(data))
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_forgiving(lambda *args, **kwargs: None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_forgiving(lambda *args, **kwargs: False)
    def clear(self):
        return super().clear()
