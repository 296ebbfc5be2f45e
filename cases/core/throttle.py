"""Attempts counted in the cache per window: the public look-up's brake against guessing (per address, per code).

A cache that is down counts nothing (cases.core.cache forgives it): the look-up stays open, and its key is still
30 bits or 4 digits plus a code, so an outage costs the brake, not the page.
"""

import hashlib

from django.core.cache import cache


def _key(scope, ident):
    # What a visitor typed (a code with spaces or control characters, a long string) is hashed: a cache key stays
    # short and plain whatever the cache.
    ident = str(ident)
    if not (ident.isascii() and ident.isprintable() and " " not in ident and len(ident) <= 64):
        ident = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
    return f"throttle:{scope}:{ident}"


def attempts(scope, ident):
    return cache.get(_key(scope, ident)) or 0


def count(scope, ident, window_seconds):
    """One more attempt in the current window (which starts with the first attempt); returns the new total."""
    key = _key(scope, ident)
    cache.add(key, 0, window_seconds)
    try:
        return cache.incr(key)
    except Exception:  # noqa: BLE001 - a key evicted or a cache away: count this attempt alone
        cache.set(key, 1, window_seconds)
        return 1


def exceeded(scope, ident, limit):
    return attempts(scope, ident) >= limit
