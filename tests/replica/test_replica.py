"""Read replicas against a real streaming replica (tests/replica/conftest.py): what a desk officer and the district
office see while the replica keeps up, falls behind, stops, or drops a connection."""

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.models import Dossier, State

ROOT = Path(__file__).resolve().parents[2]
REPLICA = "test_replica"
on_replica = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def receive(client, procedure, applicant):
    response = client.post(
        "/tiep-nhan/",
        {"procedure": procedure.pk, "applicant_name": applicant, "channel": "truc_tiep", "papers": "Đơn", "code": ""},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Dossier.objects.get(applicant_name=applicant), response["Location"]


def listed(client):
    """{code: state} of the dossier list's first page as the user sees it."""
    response = client.get("/ho-so/")
    assert response.status_code == 200
    return {dossier.code: dossier.state for dossier in response.context["page"].object_list}


def replica_queries():
    return CaptureQueriesContext(connections[REPLICA])


@on_replica
def test_a_dossier_received_on_the_primary_is_listed_from_the_replica_once_replayed(routed, procedures, cast):
    desk, office = logged_in(cast["desk_pu_hong"]), logged_in(cast["office"])
    dossier, _ = receive(desk, procedures["land"], "Giàng A Páo")
    routed.wait_replayed()
    with replica_queries() as read:
        assert dossier.code in listed(office)
    assert any("dossier" in query["sql"] for query in read.captured_queries)


@on_replica
def test_while_replay_is_paused_the_officer_sees_their_own_writes_and_a_colleague_the_replicas_copy(
    routed, procedures, cast
):
    desk, office = logged_in(cast["desk_pu_hong"]), logged_in(cast["office"])
    earlier, _ = receive(desk, procedures["land"], "Lò Văn Cương")
    routed.wait_replayed()
    routed.pause()

    # The receipt right after the POST, and the officer's own list, read the primary.
    dossier, receipt_url = receive(desk, procedures["land"], "Mùa A Chu")
    receipt = desk.get(receipt_url)
    assert receipt.status_code == 200 and dossier.code in receipt.content.decode()
    assert dossier.code in listed(desk)
    # So does the dossier's page after a step.
    step = desk.post(f"/ho-so/{earlier.code}/thao-tac/co-ket-qua/", {"co-ket-qua-at": ""}, follow=True)
    assert "Đã ghi nhận có kết quả." in step.content.decode()
    assert step.context["dossier"].state == State.RESOLVED

    # The district office reads the replica, which has not replayed either: the list, the report, the download.
    routed.wait_received()
    seen = listed(office)
    assert dossier.code not in seen and seen[earlier.code] == State.PROCESSING
    assert "Số liệu từ bản sao, trễ" in office.get("/bao-cao/").content.decode()
    download = office.get("/ho-so/tai/csv/")
    assert earlier.code in b"".join(download.streaming_content).decode("utf-8-sig")
    assert dossier.code not in b"".join(office.get("/ho-so/tai/csv/").streaming_content).decode("utf-8-sig")

    routed.resume()
    routed.wait_replayed()
    seen = listed(office)
    assert dossier.code in seen and seen[earlier.code] == State.RESOLVED
    # Once the replica has the officer's writes, the officer's list reads it again.
    with replica_queries() as read:
        assert dossier.code in listed(desk)
    assert read.captured_queries


@on_replica
def test_a_report_shows_the_replicas_lag_and_a_replica_past_the_limit_is_passed_over(
    routed, settings, procedures, cast, caplog
):
    desk, office = logged_in(cast["desk_pu_hong"]), logged_in(cast["office"])
    routed.pause()
    dossier, _ = receive(desk, procedures["land"], "Vàng A Dế")
    routed.wait_received()
    time.sleep(1.2)  # the replica's last replayed commit is now more than a second old

    page = office.get("/bao-cao/").content.decode()
    lag = re.search(r"Số liệu từ bản sao, trễ (\d+) giây", page)
    assert lag and int(lag[1]) >= 1
    assert "Số liệu từ bản sao" in office.get("/bao-cao/tuan/").content.decode()
    assert dossier.code not in listed(office)

    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    with caplog.at_level(logging.WARNING, logger="cases.core.routing"):
        assert dossier.code in listed(office)
        page = office.get("/bao-cao/").content.decode()
    assert "Số liệu từ bản sao" not in page
    assert "quá giới hạn 0,5 giây: các trang đọc từ máy chủ chính" in caplog.text


@on_replica
def test_pages_read_the_primary_while_the_replica_is_down(routed, procedures, cast, caplog):
    desk, office = logged_in(cast["desk_pu_hong"]), logged_in(cast["office"])
    dossier, _ = receive(desk, procedures["land"], "Sùng A Lử")
    routed.wait_replayed()
    assert dossier.code in listed(office)  # from the replica, whose connection stays open
    routed.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="cases.core.routing"):
            assert dossier.code in listed(office)
            for url in ("/", "/bao-cao/", "/bao-cao/tuan/", "/ho-so/tai/xlsx/"):
                response = office.get(url)
                assert response.status_code == 200, url
                if not response.streaming:
                    assert "Số liệu từ bản sao" not in response.content.decode()
            health = json.loads(office.get("/suc-khoe/").content)
        assert health["checks"]["replicas"]["ok"] is False and health["status"] != "down"
        assert "Bản sao test_replica không trả lời" in caplog.text
    finally:
        routed.start()


@on_replica
def test_a_replica_that_drops_the_connection_mid_way_is_read_again_from_the_primary(
    routed, settings, procedures, cast, caplog
):
    settings.REPLICA_CHECK_SECONDS = 3600  # the lag was asked once: the next page goes straight to the replica
    desk, office = logged_in(cast["desk_pu_hong"]), logged_in(cast["office"])
    dossier, _ = receive(desk, procedures["land"], "Thào A Sình")
    routed.wait_replayed()
    assert dossier.code in listed(office)
    backend = connections[REPLICA].connection.get_backend_pid()
    assert routed.ask("SELECT pg_terminate_backend(%s)", (backend,))
    with caplog.at_level(logging.WARNING, logger="cases.core.routing"):
        assert dossier.code in listed(office)
    assert "Bản sao test_replica lỗi giữa chừng" in caplog.text


def test_each_replica_url_becomes_a_database_that_tests_mirror_to_the_default_one():
    """Settings outside pytest: DATABASE_REPLICA_URL's URLs in order, each a test mirror with a short connect time."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'replicas': settings.DATABASE_REPLICAS, "
        "'aliases': {a: [d['HOST'], d['TEST']['MIRROR'], d['OPTIONS'].get('connect_timeout')] "
        "for a, d in settings.DATABASES.items() if a != 'default'}}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
        "DATABASE_REPLICA_URL": "postgres://postgres@10.0.0.2:5432/portal, postgres://postgres@10.0.0.3:5432/portal",
        "REPLICA_CONNECT_TIMEOUT": "3",
    }
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["replicas"] == ["replica1", "replica2"]
    assert found["aliases"] == {
        "replica1": ["10.0.0.2", "default", 3],
        "replica2": ["10.0.0.3", "default", 3],
    }
