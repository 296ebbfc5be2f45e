"""Real services for the tests: a flushed Redis database of the suite's own, Celery apps on another broker, an
embedded worker's database connections, and raw access to the test database for processes outside the test.

Fixtures here are loaded for every test (`pytest_plugins` in tests/conftest.py); helpers are imported from here.
"""

import os
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for an embedded worker's start check)
import pytest
from celery import Celery, signals
from django.db import connection, connections

from portal.celery import app as portal_app

BASE_DIR = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} — in CI the worker tests must run, never skip")
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    """REDIS_URL's server with another database (its number + 8), flushed; skipped without Redis on a laptop, a
    failure in CI. Derived from REDIS_URL so that suites run side by side on one Redis never share a queue."""
    import redis

    configured = os.environ.get("REDIS_URL")
    if not configured:
        unavailable("REDIS_URL is not set: these tests need a real Redis")
    parts = urlsplit(configured)
    own = int(parts.path.strip("/") or 0)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{(own + 8) % 16}", "", ""))
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {configured} is unreachable: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def make_app(url, name):
    """An app configured exactly like portal.celery's (Django settings), on another broker."""
    app = Celery(name, set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=url,
        result_backend=url,
        task_always_eager=False,
        imports=("cases.tasks", "reports.tasks"),
        worker_hijack_root_logger=False,
    )
    return app


@pytest.fixture
def worker_app(redis_url):
    app = make_app(redis_url, "portal-test")
    yield app
    portal_app.set_current()
    portal_app.set_default()
    app.close()


@pytest.fixture
def close_worker_connections():
    """The embedded worker's thread opens its own database connection: close it after each task, or the test
    database could not be flushed and dropped."""

    def close(**kwargs):
        connections.close_all()

    signals.task_postrun.connect(close, weak=False)
    yield
    signals.task_postrun.disconnect(close)


def database_url():
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    host, port = settings.get("HOST") or "127.0.0.1", settings.get("PORT") or 5432
    return f"postgres://{quote(settings['USER'])}{password}@{host}:{port}/{settings['NAME']}"


def raw_connection():
    import psycopg2

    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"], user=settings["USER"], password=settings.get("PASSWORD") or None,
        host=settings.get("HOST") or "127.0.0.1", port=settings.get("PORT") or 5432,
    )  # fmt: skip


def query(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def wait_until(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}")


@pytest.fixture
def broker_at():
    apps = []

    def point_at(url):
        app = make_app(url, "portal-broker-down")
        app.set_current()
        app.set_default()  # the desk's step runs in its own thread, which sees the default app
        apps.append(app)
        return app

    yield point_at
    portal_app.set_current()
    portal_app.set_default()
    for app in apps:
        app.close()
