"""The catalogue through the API: procedures (searched as at the desk), their internal process, the working-day
calendar, and the due time a dossier received at a given moment gets — the receipt's own rule."""

from datetime import datetime

import pytest
import time_machine

from cases.catalogue.models import Performer, RequiredPaper
from cases.models import Dossier
from tests.conftest import make_process, vn


def get(caller, path, params=None):
    return caller.http.get(path, params or {})


# --- procedures ------------------------------------------------------------------------------------------------
def test_procedures_are_listed_with_their_papers(api, procedures):
    RequiredPaper.objects.create(procedure=procedures["guardian"], number=1, name="Tờ khai đăng ký giám hộ")
    RequiredPaper.objects.create(procedure=procedures["guardian"], number=2, name="Giấy cũ", active=False)
    answer = get(api["pu_hong_reader"], "/api/v1/procedures/")
    assert answer.status_code == 200
    page = answer.json()
    assert page["count"] == 3 and [p["code"] for p in page["results"]] == ["1.000894", "1.003003", "1.004837"]
    assert page["results"][2] == {
        "code": "1.004837",
        "name": "Thủ tục đăng ký giám hộ",
        "field": "Hộ tịch",
        "level": "xa",
        "processing_days": 3,
        "online_level": "mot_phan",
        "required_papers": ["Tờ khai đăng ký giám hộ"],  # the paper no longer asked for is left out
        "active": True,
    }


def test_procedures_are_found_as_at_the_desk(api, procedures):
    procedures["marriage"].active = False
    procedures["marriage"].save()
    kiosk = api["pu_hong_reader"]

    def codes(**params):
        return [p["code"] for p in get(kiosk, "/api/v1/procedures/", params).json()["results"]]

    assert codes(q="giam ho") == ["1.004837"]  # without diacritics
    assert codes(q="đăng ký") == ["1.000894", "1.004837"]
    assert codes(q="1.0030") == ["1.003003"]
    assert codes(active="true") == ["1.003003", "1.004837"]
    assert codes(active="false") == ["1.000894"]
    assert codes(level="tinh") == []
    assert get(kiosk, "/api/v1/procedures/", {"level": "quoc_gia"}).json()["error"]["field"] == "level"


# --- processes -------------------------------------------------------------------------------------------------
def test_a_units_own_process_names_its_liaison_step(api, linked):
    answer = get(api["province"], "/api/v1/procedures/1.003003/process/", {"unit": "DBD-PH"})
    assert answer.status_code == 200
    assert answer.json() == {
        "procedure": "1.003003",
        "unit": "DBD-PH",
        "processing_days": 5,
        "steps": [
            {"number": 1, "name": "Tiếp nhận", "performer": "mot_cua", "unit": None, "hours": 4.0},
            {"number": 2, "name": "Thẩm định tại Phòng Kinh tế - Hạ tầng", "performer": "lien_thong",
             "unit": "DBD-KTHT", "hours": 28.0},
            {"number": 3, "name": "Lãnh đạo ký", "performer": "lanh_dao", "unit": None, "hours": 4.0},
            {"number": 4, "name": "Trả kết quả", "performer": "mot_cua", "unit": None, "hours": 4.0},
        ],
    }  # fmt: skip


def test_without_a_unit_or_its_own_process_the_procedures_process_is_given(api, linked, procedures, units):
    # Keo Lôm has no process of its own: the built-in one (desk, specialists, desk) over 5 working days.
    built_in = get(api["keo_lom"], "/api/v1/procedures/1.003003/process/", {"unit": "DBD-KL"}).json()
    assert [(s["performer"], s["hours"]) for s in built_in["steps"]] == [
        ("mot_cua", 4.0), ("chuyen_mon", 32.0), ("mot_cua", 4.0)
    ]  # fmt: skip
    make_process(procedures["land"], None, [("Nhận", Performer.DESK, None, 8), ("Giải quyết", Performer.SPECIALIST,
                                                                                  None, 32)])  # fmt: skip
    default = get(api["keo_lom"], "/api/v1/procedures/1.003003/process/").json()
    assert default["unit"] is None and [s["name"] for s in default["steps"]] == ["Nhận", "Giải quyết"]


def test_a_process_outside_the_keys_scope_or_of_no_procedure_is_not_found(api, linked):
    other = get(api["keo_lom"], "/api/v1/procedures/1.003003/process/", {"unit": "DBD-PH"})
    assert other.status_code == 404 and other.json()["error"]["code"] == "khong_tim_thay"
    missing = get(api["keo_lom"], "/api/v1/procedures/9.999999/process/")
    assert missing.status_code == 404 and "9.999999" in missing.json()["error"]["message"]


# --- the calendar ----------------------------------------------------------------------------------------------
def test_the_calendar_marks_tet_and_make_up_saturdays(api):
    tet = get(api["pu_hong_reader"], "/api/v1/calendar/", {"from": "2024-02-05", "to": "2024-02-18"}).json()
    assert tet["office_hours"] == ["07:00-11:30", "13:30-17:00"] and tet["same_day_cutoff"] == "15:00"
    days = {day["date"]: day for day in tet["days"]}
    assert len(days) == 14 and tet["working_days"] == 5  # Tết Giáp Thìn: Thursday 8 to Wednesday 14 February
    assert days["2024-02-07"] == {"date": "2024-02-07", "working": True, "holiday": None, "makeup": None}
    assert days["2024-02-10"]["working"] is False and "Tết" in days["2024-02-10"]["holiday"]
    assert days["2024-02-15"] == {"date": "2024-02-15", "working": True, "holiday": None, "makeup": None}
    may = get(api["pu_hong_reader"], "/api/v1/calendar/", {"from": "2024-05-04", "to": "2024-05-05"}).json()
    assert [(d["working"], bool(d["makeup"])) for d in may["days"]] == [(True, True), (False, False)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-02-18", "to": "2024-02-05"}, "to"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "to"),  # more than 366 days
        ({"from": "2024-13-01", "to": "2024-12-31"}, "from"),
    ],
)
def test_a_wrong_calendar_span_is_refused_on_its_field(api, params, field):
    answer = get(api["pu_hong_reader"], "/api/v1/calendar/", params)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field


# --- the due time ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("procedure", "received_at", "due_at", "warned"),
    [
        # The eve of Tết Giáp Thìn, 16:00, 3 days: one hour that day, then Thu 15, Fri 16 and Mon 19 February.
        ("1.004837", "2024-02-07T16:00:00+07:00", "2024-02-19T16:00:00+07:00", False),
        # Friday 03/05/2024 16:00, 3 days: Saturday 4 May is worked (make-up for Monday 29 April).
        ("1.004837", "2024-05-03T16:00:00+07:00", "2024-05-07T16:00:00+07:00", False),
        # An evening receipt counts from the next opening; a 0-day procedure after 15:00 is due the next day.
        ("1.004837", "2024-03-04T19:00:00+07:00", "2024-03-07T17:00:00+07:00", True),
        ("1.000894", "2024-03-04T19:00:00+07:00", "2024-03-05T17:00:00+07:00", True),
        ("1.000894", "2024-03-04T14:00:00+07:00", "2024-03-04T17:00:00+07:00", False),
        # In the lunch break (no time counts until 13:30), 3 days: 3,5 h Mon, Tue, Wed, 4,5 h Thursday.
        ("1.004837", "2024-03-04T12:15:00+07:00", "2024-03-07T11:30:00+07:00", False),
        # Without a time zone: Vietnam's time.
        ("1.004837", "2024-03-04T12:15:00", "2024-03-07T11:30:00+07:00", False),
    ],
)
def test_the_due_time_is_the_receipts(api, units, procedures, cast, procedure, received_at, due_at, warned):
    answer = get(api["pu_hong_reader"], "/api/v1/due-time/", {"procedure": procedure, "received_at": received_at})
    assert answer.status_code == 200
    result = answer.json()
    assert result["due_at"] == due_at and bool(result["warning"]) is warned
    # The same moment as a dossier received then at the desk gets.
    moment = datetime.fromisoformat(received_at)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=vn(2024, 1, 1).tzinfo)
    with time_machine.travel(moment, tick=False):
        dossier = Dossier.receive(
            unit=units["pu_hong"], procedure=next(p for p in procedures.values() if p.code == procedure),
            applicant_name="Giàng A Páo", by=cast["desk_pu_hong"],
        )  # fmt: skip
    assert datetime.fromisoformat(result["due_at"]) == dossier.due_at


def test_without_a_moment_the_due_time_is_for_now(api, procedures):
    with time_machine.travel(vn(2024, 3, 4, 9, 0), tick=False):
        result = get(api["pu_hong_reader"], "/api/v1/due-time/", {"procedure": "1.004837"}).json()
    assert result["received_at"] == "2024-03-04T09:00:00+07:00" and result["due_at"] == "2024-03-07T09:00:00+07:00"


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"procedure": "9.999999"}, 404, None),
        ({"received_at": "2024-03-04T09:00:00+07:00"}, 400, "procedure"),
        ({"procedure": "1.004837", "received_at": "hôm qua"}, 400, "received_at"),
        ({"procedure": "1.004837", "received_at": "0001-01-01T00:00:00+07:00"}, 400, "received_at"),
    ],
)
def test_a_wrong_due_time_question_is_answered_in_vietnamese(api, procedures, params, status, field):
    answer = get(api["pu_hong_reader"], "/api/v1/due-time/", params)
    assert answer.status_code == status and answer.json()["error"]["field"] == field


def test_a_nul_byte_in_the_query_is_refused_as_json(api, procedures):
    answer = get(api["pu_hong_reader"], "/api/v1/due-time/", {"procedure": "1.004837\x00"})
    assert answer.status_code == 400 and answer["Content-Type"] == "application/json"
    assert "NUL" in answer.json()["error"]["message"]
