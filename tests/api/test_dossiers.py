"""Another program receives a dossier, follows it through its steps and reads it back, through the API alone, by the
desk's own rules: its code, due time, events (naming the client) and refusals are the desk's."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.desk.models import Dossier
from cases.desk.states import State
from tests.conftest import make, vn

MONDAY = vn(2024, 3, 4, 9)


def receipt(**fields):
    return {
        "unit": "DBD-KL",
        "procedure": "1.003003",
        "applicant_name": "Lò Văn Nộp",
        "applicant_phone": "0912 345 678",
        "channel": "truc_tuyen",
        "papers": ["Đơn đề nghị hòa giải", "Bản sao CCCD"],
        **fields,
    }


def test_a_program_follows_a_dossier_through_its_life(api, procedures):
    app = api["keo_lom"].http
    answer = app.post("/api/v1/dossiers/", receipt(received_at=MONDAY.isoformat()), format="json")
    assert answer.status_code == 201, answer.json()
    dossier = answer.json()
    code = dossier["code"]
    assert code.startswith("DBD-KL-240304-")  # the desk's numbering
    assert answer["Location"].endswith(f"/api/v1/dossiers/{code}/")
    # The desk's due time: 5 working days from Monday 09:00.
    assert dossier["due_at"] == "2024-03-11T09:00:00+07:00"
    assert dossier["applicant_phone"] == "0912345678"  # the contact rule's form
    assert dossier["papers"] == ["Đơn đề nghị hòa giải", "Bản sao CCCD"]
    assert dossier["state"] == State.PROCESSING and dossier["unit"] == "DBD-KL"
    assert [e["by"] for e in dossier["events"]] == ["Ứng dụng xã Keo Lôm"]  # the event names the client

    def step(action, **body):
        return app.post(f"/api/v1/dossiers/{code}/{action}/", body, format="json")

    answer = step("request-supplement", missing_papers="Bản đồ thửa đất", at=vn(2024, 3, 5, 10).isoformat())
    assert answer.status_code == 200, answer.json()
    assert answer.json()["state"] == State.SUPPLEMENT
    assert step("receive-supplement", at=vn(2024, 3, 6, 10).isoformat()).json()["due_at"] == "2024-03-12T09:00:00+07:00"
    assert step("resolve", at=vn(2024, 3, 8, 15).isoformat(), result_digitized=True).json()["state"] == State.RESOLVED
    returned = step("return", at=vn(2024, 3, 11, 8).isoformat())
    assert returned.status_code == 200 and returned.json()["state"] == State.RETURNED
    assert step("rate", level="hai_long").status_code == 200

    read = app.get(f"/api/v1/dossiers/{code}/").json()
    assert [e["kind"] for e in read["events"]] == [
        "received", "supplement_requested", "supplement_received", "resolved", "returned", "rated"
    ]  # fmt: skip
    assert read["events"][1]["reason"] == "Bản đồ thửa đất"
    assert {e["by"] for e in read["events"]} == {"Ứng dụng xã Keo Lôm"}
    assert read["outcome"] == "truoc_han" and read["overdue"] is False and read["result_digitized"] is True
    assert read["steps"][0]["end"] == "ket_thuc"
    rating = Dossier.objects.get(code=code).rating
    assert (rating.level, rating.source) == ("hai_long", "kiosk")


def test_a_refused_step_is_409_with_the_desks_message_and_a_bad_field_400(api, procedures):
    app = api["keo_lom"].http
    code = app.post("/api/v1/dossiers/", receipt(received_at=MONDAY.isoformat()), format="json").json()["code"]
    answer = app.post(f"/api/v1/dossiers/{code}/return/", {}, format="json")
    assert answer.status_code == 409
    assert answer.json()["error"] == {
        "code": "thao_tac_bi_tu_choi", "field": None, "fields": [],
        "message": "Hồ sơ đang ở trạng thái «Đang giải quyết», không thể trả kết quả.",
    }  # fmt: skip
    answer = app.post(f"/api/v1/dossiers/{code}/refuse/", {"reason": ""}, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "reason"
    answer = app.post(f"/api/v1/dossiers/{code}/resolve/", {"at": vn(2024, 3, 1, 9).isoformat()}, format="json")
    assert answer.status_code == 409
    assert "trước ngày tiếp nhận 09:00 04/03/2024" in answer.json()["error"]["message"]
    assert app.post(f"/api/v1/dossiers/{code}/khong-co/", {}, format="json").status_code == 404


def test_receipt_refuses_what_the_desk_refuses_field_by_field(api, procedures):
    app = api["keo_lom"].http
    answer = app.post(
        "/api/v1/dossiers/",
        receipt(applicant_phone="12345", applicant_id_number="12", messages_consent=True, procedure="9.999"),
        format="json",
    )
    assert answer.status_code == 400
    fields = {f["field"] for f in answer.json()["error"]["fields"]}
    assert {"applicant_phone", "applicant_id_number", "procedure", "messages_channel"} <= fields
    # A code of another unit's numbering; a receipt dated in the future; a commune procedure resolved by a district.
    answer = app.post("/api/v1/dossiers/", receipt(code="DBD-PH-240304-0001"), format="json")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "code"
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    answer = app.post("/api/v1/dossiers/", receipt(received_at=future), format="json")
    assert answer.status_code == 400 and "ở tương lai" in answer.json()["error"]["message"]
    answer = app.post("/api/v1/dossiers/", receipt(resolving_unit="DBD"), format="json")
    assert answer.status_code == 400 and "thẩm quyền giải quyết cấp xã" in answer.json()["error"]["message"]
    assert not Dossier.objects.exists()


def test_a_code_given_by_the_program_is_kept_and_not_given_twice(api, procedures):
    app = api["province"].http
    body = receipt(code="000.00.19.H56-240301-0001")
    assert app.post("/api/v1/dossiers/", body, format="json").json()["code"] == "000.00.19.H56-240301-0001"
    answer = app.post("/api/v1/dossiers/", body, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "code"
    assert "đã có" in answer.json()["error"]["message"]


def test_hand_over_to_the_next_step_of_the_process(api, officials, five_steps, procedures):
    app = api["province"].http
    code = app.post("/api/v1/dossiers/", receipt(unit="DBD-PH"), format="json").json()["code"]
    answer = app.post(f"/api/v1/dossiers/{code}/hand-over/", {"to_user": "chuyenvien.puhong"}, format="json")
    assert answer.status_code == 200, answer.json()
    steps = answer.json()["steps"]
    assert [(s["number"], s["holder"]) for s in steps] == [(1, "Cổng DVC tỉnh Điện Biên"), (2, "Quàng Văn Chuyên")]
    assert answer.json()["events"][-1]["kind"] == "handed_over"
    # The client does not hold step 2: it cannot move it on (the desk's rule, cases.desk.access.may_move).
    answer = app.post(f"/api/v1/dossiers/{code}/hand-over/", {}, format="json")
    assert answer.status_code == 409 and "không giữ bước" in answer.json()["error"]["message"]
    answer = app.post(f"/api/v1/dossiers/{code}/take-up/", {}, format="json")
    assert answer.status_code == 409


def test_list_takes_the_list_pages_filters_and_pages_by_cursor(api, units, procedures):
    land = procedures["land"]
    for number in range(5):
        make(f"PH-{number}", units["pu_hong"], land, vn(2024, 3, 1 + number, 9), vn(2024, 3, 8 + number, 9))
    make("KL-1", units["keo_lom"], land, vn(2024, 3, 1, 9), vn(2024, 3, 8, 9))
    make("KN-1", units["krong_no"], land, vn(2024, 3, 1, 9), vn(2024, 3, 8, 9))
    province = api["province"].http

    def codes_of(**query):
        return [d["code"] for d in province.get("/api/v1/dossiers/", query).json()["results"]]

    first = province.get("/api/v1/dossiers/", {"page_size": 4}).json()
    assert [d["code"] for d in first["results"]] == ["KL-1", "PH-4", "PH-3", "PH-2"]
    make("PH-NEW", units["pu_hong"], land, vn(2024, 3, 9, 9), vn(2024, 3, 15, 9))  # received meanwhile
    second = province.get(first["next"]).json()
    assert [d["code"] for d in second["results"]] == ["PH-1", "PH-0"] and second["next"] is None
    # The list page's parameters, units and procedures by code.
    assert codes_of(unit="DBD-KL") == ["KL-1"]
    assert codes_of(code="ph-", received_after="2024-03-04") == ["PH-NEW", "PH-4", "PH-3"]
    assert codes_of(procedure="1.003003", page_size=1) == ["PH-NEW"]
    assert codes_of(procedure="1.000894") == []
    # A value the list page would refuse: 400 with the parameter named, never the whole list.
    answer = province.get("/api/v1/dossiers/", {"state": "khong_co"})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "state"
    # Pú Hồng's kiosk sees Pú Hồng only; overdue as the desk counts it.
    kiosk = api["pu_hong_reader"].http.get("/api/v1/dossiers/", {"overdue": "true"}).json()["results"]
    assert {d["code"] for d in kiosk} == {"PH-0", "PH-1", "PH-2", "PH-3", "PH-4", "PH-NEW"}
    assert all(d["overdue"] and d["outcome"] == "dang_qua_han" for d in kiosk)


def test_reading_one_dossier_costs_the_same_queries_whatever_its_history(api, procedures):
    app = api["keo_lom"].http

    def dossier_with(events):
        code = app.post("/api/v1/dossiers/", receipt(received_at=MONDAY.isoformat()), format="json").json()["code"]
        for number in range(events - 1):
            action = "pause" if number % 2 == 0 else "resume"
            at = (MONDAY + timedelta(minutes=10 * (number + 1))).isoformat()
            body = {"reason": "Chờ giấy tờ", "at": at}
            assert app.post(f"/api/v1/dossiers/{code}/{action}/", body, format="json").status_code == 200
        return code

    counts = []
    for events in (1, 7):
        code = dossier_with(events)
        with CaptureQueriesContext(connection) as queries:
            assert len(app.get(f"/api/v1/dossiers/{code}/").json()["events"]) == events
        counts.append(len(queries))
    assert counts[0] == counts[1]
