"""The change feed (GET /api/v1/events/): every event of the client's dossiers after a position, oldest first, page
by page; nothing lost when a long transaction commits an older event after a consumer read past newer ones."""

import threading

import pytest
import time_machine
from django.db import connection, transaction

from api.v1.feed import FeedEventSerializer
from cases.models import Dossier, DossierEvent
from tests.conftest import vn

RECEIVED = vn(2024, 3, 4, 9, 0)
# An event is served once its transaction ended: a test that wrote it inside its own transaction would never see it.
pytestmark = pytest.mark.django_db(transaction=True)


def receive(units, procedures, cast, unit, name, at=RECEIVED):
    officer = cast["desk_pu_hong"] if unit == "pu_hong" else cast["desk_keo_lom"]
    with time_machine.travel(at, tick=False):
        return Dossier.receive(
            unit=units[unit], procedure=procedures["land"], applicant_name=name, applicant_phone="0912345678",
            by=officer,
        )  # fmt: skip


def read(caller, after=None, limit=100):
    params = {"limit": limit, **({"after": after} if after else {})}
    answer = caller.http.get("/api/v1/events/", params)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def read_all(caller, after=None, limit=100):
    """Every event after `after`, page by page; (events, position at the end)."""
    events = []
    while True:
        page = read(caller, after, limit)
        events += page["results"]
        after = page["next"]
        if not page["more"]:
            return events, after


def test_the_feed_gives_every_event_of_the_clients_dossiers_once_oldest_first(api, units, procedures, cast):
    pu_hong = receive(units, procedures, cast, "pu_hong", "Giàng A Páo")
    keo_lom = receive(units, procedures, cast, "keo_lom", "Lò Thị Hoa")
    with time_machine.travel(vn(2024, 3, 5, 9, 0), tick=False):
        pu_hong.request_supplement(by=cast["desk_pu_hong"], missing_papers="Sơ đồ thửa đất")
    province = api["province"]

    events, _ = read_all(province)
    expected = list(DossierEvent.objects.order_by("txid", "id").values_list("id", flat=True))
    assert [event["id"] for event in events] == expected  # each once, in the feed's order
    supplement = next(event for event in events if event["kind"] == "supplement_requested")
    assert supplement == {
        "id": supplement["id"],
        "dossier": pu_hong.code,
        "kind": "supplement_requested",
        "kind_label": "Yêu cầu bổ sung",
        "at": "2024-03-05T09:00:00+07:00",
        "recorded_at": "2024-03-05T09:00:00+07:00",
        "by": "Lò Văn A",
        "before": {"state": "dang_giai_quyet"},
        "after": {"state": "bo_sung"},
        "reason": "Sơ đồ thửa đất",  # the papers asked for
        "warning": "",
    }
    assert {event["dossier"] for event in events} == {pu_hong.code, keo_lom.code}

    # Page by page (one event a page): the same events, in the same order.
    paged, position = read_all(province, limit=1)
    assert [event["id"] for event in paged] == expected
    # Nothing new: the same position, nothing more.
    assert read(province, position) == {"results": [], "next": position, "more": False}


def test_each_client_reads_only_its_scope(api, units, procedures, cast):
    pu_hong = receive(units, procedures, cast, "pu_hong", "Giàng A Páo")
    receive(units, procedures, cast, "keo_lom", "Lò Thị Hoa")
    kiosk = api["pu_hong_reader"]
    events, _ = read_all(kiosk)
    assert events and {event["dossier"] for event in events} == {pu_hong.code}
    assert read_all(api["krong_no"])[0] == []  # another district: nothing


@pytest.mark.parametrize("after", ["abc", "1-", "-1-2", "1.5-3", "9" * 30 + "-1"])
def test_a_position_not_given_by_the_feed_is_refused_in_vietnamese(api, after):
    answer = api["province"].http.get("/api/v1/events/", {"after": after})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] == "after" and "Vị trí không hợp lệ" in error["message"]


def test_the_page_size_is_bounded(api):
    answer = api["province"].http.get("/api/v1/events/", {"limit": 5000})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "limit"


def test_an_older_event_committed_late_is_not_lost(api, units, procedures, cast):
    """A long transaction (an import) writes an event, then a desk step commits a newer one (a higher id) while the
    import is still open. A consumer reading between the two commits must not step past the import's event: it gets
    both after the import commits, each exactly once."""
    assert connection.vendor == "postgresql"
    first = receive(units, procedures, cast, "pu_hong", "Giàng A Páo")
    second = receive(units, procedures, cast, "keo_lom", "Lò Thị Hoa")
    province = api["province"]
    seen, position = read_all(province)

    written, release = threading.Event(), threading.Event()
    late = {}

    def long_import():
        try:
            with transaction.atomic():
                event = DossierEvent.objects.create(
                    dossier=first, kind="updated", at=vn(2024, 3, 5, 8, 0), after={"note": "nhập từ tệp"}
                )
                late["id"] = event.id
                written.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    importer = threading.Thread(target=long_import)
    importer.start()
    try:
        assert written.wait(timeout=30)
        with time_machine.travel(vn(2024, 3, 5, 9, 0), tick=False):
            second.request_supplement(by=cast["desk_keo_lom"], missing_papers="Biên bản hòa giải")
        newer = DossierEvent.objects.get(dossier=second, kind="supplement_requested")
        # The scene: the desk's event is committed with a higher id than the import's, which is not visible yet.
        assert newer.id > late["id"] and not DossierEvent.objects.filter(id=late["id"]).exists()

        # Read in between: the desk's event waits for the import (served in id order, it would pass it by).
        between, position_between = read_all(province, position)
        assert between == [] and position_between == position
    finally:
        release.set()
        importer.join(timeout=30)

    after_commit, end = read_all(province, position)
    assert [event["id"] for event in after_commit] == [late["id"], newer.id]
    assert read_all(province, end)[0] == []  # exactly once
    assert len({event["id"] for event in seen + after_commit}) == DossierEvent.objects.count()


def test_a_long_transaction_in_another_database_does_not_hold_the_feed(api, units, procedures, cast):
    """Transaction ids are the server's; only this database's running transactions may hold events back."""
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    elsewhere = connection.get_new_connection(params)
    try:
        elsewhere.autocommit = False
        with elsewhere.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")  # an id taken, the transaction left open
        dossier = receive(units, procedures, cast, "pu_hong", "Giàng A Páo")
        events, _ = read_all(api["province"])
        assert events and {event["dossier"] for event in events} == {dossier.code}
    finally:
        elsewhere.rollback()
        elsewhere.close()


def test_the_feeds_events_read_as_the_dossiers_history_and_its_schema(api, units, procedures, cast):
    dossier = receive(units, procedures, cast, "pu_hong", "Giàng A Páo")
    with time_machine.travel(vn(2024, 3, 5, 9, 0), tick=False):
        dossier.request_supplement(by=cast["desk_pu_hong"], missing_papers="Sơ đồ thửa đất")
    DossierEvent.objects.create(dossier=dossier, kind="updated", at=vn(2024, 3, 5, 10, 0))  # by nobody
    province = api["province"]
    events, _ = read_all(province)
    history = province.http.get(f"/api/v1/dossiers/{dossier.code}/").json()["events"]
    assert [{k: v for k, v in event.items() if k not in ("id", "dossier")} for event in events] == history
    documented = [FeedEventSerializer(event).data for event in DossierEvent.objects.order_by("txid", "id")]
    assert events == documented
