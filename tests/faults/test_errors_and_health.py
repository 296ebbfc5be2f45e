"""Issue 10, item 4: Vietnamese error pages that fit the site (the 500 page renders with PostgreSQL down), and the
health endpoint /suc-khoe/ for a load balancer: database, cache, broker and worker, with real services."""

import json
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from cases.core import cache as forgiving

from .conftest import CLOSED_PORT

BARE_500 = "Server Error (500)"


@pytest.fixture
def database_down():
    """The portal's connection pointed at a port where no PostgreSQL listens, as during a restart."""
    saved = dict(connection.settings_dict)

    def stop():
        connection.close()
        connection.settings_dict["PORT"] = CLOSED_PORT
        connection.settings_dict["HOST"] = "127.0.0.1"

    yield stop
    connection.close()
    connection.settings_dict.update(saved)


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_with_postgresql_down_pages_answer_a_vietnamese_500_and_health_503(client, cast, database_down, anonymous):
    client.raise_request_exception = False
    client.force_login(cast["desk_pu_hong"])
    assert client.get("/").status_code == 200
    database_down()

    page = client.get("/ho-so/")
    health = anonymous.get("/suc-khoe/")

    assert page.status_code == 500
    html = page.content.decode()
    assert "Hệ thống đang gặp sự cố" in html and 'lang="vi"' in html and "css/portal.css" in html
    assert BARE_500 not in html
    assert health.status_code == 503
    found = health.json()
    assert found["status"] == "down"
    assert found["checks"]["database"]["ok"] is False
    assert "cơ sở dữ liệu" in found["checks"]["database"]["detail"]


@pytest.mark.django_db
def test_404_403_400_and_csrf_pages_are_vietnamese(client, cast, anonymous):
    client.force_login(cast["office"])
    missing = client.get("/khong-co-trang-nay/")
    assert missing.status_code == 404 and "Không tìm thấy trang hoặc hồ sơ" in missing.content.decode()
    refused = client.get("/tiep-nhan/")  # the office has no desk
    assert refused.status_code == 403 and "Không có quyền thực hiện" in refused.content.decode()

    bad_host = anonymous.get("/dang-nhap/", HTTP_HOST="portal.example.invalid")
    assert bad_host.status_code == 400 and "Yêu cầu không hợp lệ" in bad_host.content.decode()

    strict = Client(enforce_csrf_checks=True)
    stale_form = strict.post("/dang-nhap/", {"username": "x", "password": "y"})
    assert stale_form.status_code == 403 and "Biểu mẫu đã hết hiệu lực" in stale_form.content.decode()
    for response in (missing, refused, bad_host, stale_form):
        assert "Cổng Một cửa" in response.content.decode()


def test_the_500_page_renders_from_the_template_engine_alone():
    from django.template import loader

    html = loader.get_template("500.html").render()  # what Django's server_error does: no request, no context
    assert "Hệ thống đang gặp sự cố" in html and "Về trang Hôm nay" in html


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_health_reports_each_service_and_a_worker_that_ran(
    anonymous,
    worker_app,  # noqa: F811
    close_worker_connections,  # noqa: F811
):
    if not django_settings.CACHES["default"]["BACKEND"].endswith("ForgivingRedisCache"):
        pytest.fail("the health check's cache and worker need REDIS_URL")
    with start_worker(worker_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        assert worker_app.tasks["cases.reap_lost_jobs"].apply_async().get(timeout=60) == 0

    well = anonymous.get("/suc-khoe/")  # no login: a load balancer asks
    assert well.status_code == 200 and well["Content-Type"] == "application/json"
    assert "no-cache" in well["Cache-Control"]
    found = well.json()
    assert found["status"] == "ok"
    assert {name: check["ok"] for name, check in found["checks"].items()} == {
        "database": True,
        "cache": True,
        "broker": True,
        "worker": True,
    }

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        late = anonymous.get("/suc-khoe/").json()
    assert late["status"] == "degraded" and late["checks"]["worker"]["ok"] is False
    assert late["checks"]["worker"]["last_seen_seconds"] >= 600


@pytest.mark.services
@pytest.mark.django_db
def test_health_with_redis_down_is_200_and_says_what_is_degraded(anonymous, settings, broker_at):
    if not settings.CACHES["default"]["BACKEND"].endswith("ForgivingRedisCache"):
        pytest.fail("the health check's cache needs REDIS_URL")
    closed = f"redis://:s3cret-password@127.0.0.1:{CLOSED_PORT}/0"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": closed}}
    broker_at(closed)
    forgiving._outages.clear()

    response = anonymous.get("/suc-khoe/")

    assert response.status_code == 200
    found = response.json()
    assert found["status"] == "degraded"
    assert {name: check["ok"] for name, check in found["checks"].items()} == {
        "database": True,
        "cache": False,
        "broker": False,
        "worker": False,
    }
    text = json.dumps(found, ensure_ascii=False)
    for secret in ("s3cret", "redis://", "127.0.0.1", django_settings.SECRET_KEY):
        assert not secret or secret not in text
    forgiving._outages.clear()


@pytest.mark.django_db
def test_health_answers_over_plain_http_where_every_page_is_sent_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/dang-nhap/").status_code == 301  # to https://
    health = client.get("/suc-khoe/")
    assert health.status_code in (200, 503) and health.json()["checks"]["database"]["ok"] is True
