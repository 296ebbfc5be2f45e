"""Issue 10, item 1: a Redis that is down (a closed port, or a redis-server killed mid-test) never takes a page
down. Pages read from the database instead, the outage is logged once, and the cache comes back by itself."""

import logging
import os
from datetime import timedelta

import pytest
from django.utils import timezone

from cases import views  # noqa: F401  (the URLconf's views, imported before the cache is pointed elsewhere)
from cases.core import cache as forgiving
from cases.models import Dossier
from tests.conftest import make

from .conftest import CLOSED_PORT, unavailable

PAGES = {
    "desk_pu_hong": ["/", "/ho-so/", "/tiep-nhan/", "/nhap-ho-so/", "/giai-trinh/"],
    "office": ["/", "/ho-so/", "/bao-cao/", "/nhap-ho-so/", "/giai-trinh/"],
}
OUTAGE = "không phản hồi"
BACK = "hoạt động trở lại"


@pytest.fixture
def cache_at(settings):
    """The portal's own cache settings (REDIS_URL), pointed at another Redis."""
    if not os.environ.get("REDIS_URL"):
        unavailable("REDIS_URL is not set: the portal's cache is Redis only with it")
    configured = settings.CACHES["default"]

    def point(url, retry_after):
        options = dict(configured.get("OPTIONS", {}))
        if "retry_after" in options:  # how often a cache found down is tried again
            options["retry_after"] = retry_after
        settings.CACHES = {"default": {**configured, "LOCATION": url, "OPTIONS": options}}

    forgiving._outages.clear()
    yield point
    forgiving._outages.clear()


@pytest.fixture
def overdue(units, procedures):
    now = timezone.now()
    return make("PH-QUA-HAN", units["pu_hong"], procedures["land"], now - timedelta(days=9), now - timedelta(days=2))


def outage_logs(caplog, text):
    return [r for r in caplog.records if r.name == "cases.core.cache" and text in r.getMessage()]


def badge_overdue(response):
    return '<span class="desk-count-value">1</span> quá hạn' in response.content.decode()


@pytest.mark.services
def test_every_page_and_a_desk_entry_work_with_redis_on_a_closed_port(
    client,
    cast,
    procedures,
    overdue,
    cache_at,
    broker_at,
    caplog,
):
    closed = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    cache_at(closed, retry_after=60)
    broker_at(closed)  # REDIS_URL is both: the job queue is down too

    with caplog.at_level(logging.WARNING, logger="cases.core.cache"):
        for role, urls in PAGES.items():
            client.force_login(cast[role])
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, url
                assert badge_overdue(response), url  # the header's counts, read from the database
        client.force_login(cast["desk_pu_hong"])
        response = client.post(
            "/tiep-nhan/",
            {"procedure": procedures["land"].pk, "applicant_name": "Giàng A Páo", "channel": "truc_tiep"},
            follow=True,
        )

    assert response.status_code == 200
    received = Dossier.objects.get(applicant_name="Giàng A Páo")
    assert response.redirect_chain[-1][0] == f"/ho-so/{received.code}/bien-nhan/"
    assert received.code in response.content.decode()
    assert len(outage_logs(caplog, OUTAGE)) == 1  # logged once, not once a page


@pytest.mark.services
def test_a_redis_killed_mid_test_then_restarted_is_used_again(client, cast, overdue, cache_at, redis_server, caplog):
    redis_server.start()
    cache_at(redis_server.url, retry_after=0)  # try Redis again on every call: the recovery is seen at once
    client.force_login(cast["desk_pu_hong"])

    def cached_keys():
        return redis_server.client().keys("*next-working-day*")

    assert client.get("/").status_code == 200
    assert cached_keys()  # the header's calendar answer went to Redis

    redis_server.kill()
    with caplog.at_level(logging.WARNING, logger="cases.core.cache"):
        for url in ["/", "/ho-so/", "/tiep-nhan/", "/"]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert badge_overdue(response), url
        assert len(outage_logs(caplog, OUTAGE)) == 1

        redis_server.start()  # a fresh, empty Redis on the same port
        assert not cached_keys()
        assert client.get("/").status_code == 200

    assert cached_keys()  # used again, without a restart of the portal
    assert len(outage_logs(caplog, BACK)) == 1
    assert len(outage_logs(caplog, OUTAGE)) == 1
