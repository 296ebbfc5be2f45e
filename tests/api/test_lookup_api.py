"""The public look-up for kiosks and apps (POST /api/v1/lookup/): no key, the look-up page's rule (code + the phone's
last four digits or the receipt's key), its brake (429) and its answers, and never the applicant's personal data."""
# ruff: noqa: F811 - the tests take the page's `dossier` fixture, imported below

import json

import pytest
import time_machine
from rest_framework.test import APIClient

from cases.desk.lookup import NOT_FOUND, lookup_key
from cases.models import Dossier
from tests.cases.test_lookup import _fresh_throttle, dossier  # noqa: F401 - the page's fixtures: the same dossier
from tests.conftest import vn

PERSONAL = ("Giàng A Páo", "0912", "345 678", "345678", "Bản Púng", "Sổ hộ khẩu", "012345678901", "pao@")


def look_up(code, key, address="10.0.0.1", http=None):
    http = http or APIClient()
    return http.post("/api/v1/lookup/", {"code": code, "key": key}, format="json", REMOTE_ADDR=address)


def test_the_phones_last_digits_show_the_progress_and_nothing_personal(dossier):
    Dossier.objects.filter(pk=dossier.pk).update(applicant_id_number="012345678901", applicant_email="pao@example.vn")
    with time_machine.travel(vn(2024, 3, 5, 9, 0), tick=False):
        answer = look_up(dossier.code.lower(), "5678")
    assert answer.status_code == 200
    found = answer.json()
    assert found == {
        "code": dossier.code,
        "state": "dang_giai_quyet",
        "state_label": dossier.get_state_display(),
        "status": {"headline": "Đang giải quyết", "detail": found["status"]["detail"], "tone": "wait"},
        "procedure": {"code": "1.003003", "name": "Thủ tục hòa giải tranh chấp đất đai"},
        "unit": {"code": "DBD-PH", "name": "UBND xã Pú Hồng"},
        "receiving_unit": None,
        "received_at": "2024-03-04T09:00:00+07:00",
        "due_at": found["due_at"],
        "new_due_at": None,
        "step": {"name": "Tiếp nhận, chuyển hồ sơ", "unit": "UBND xã Pú Hồng"},
        "result_by_post": False,
        "desk": {"code": "DBD-PH", "name": "UBND xã Pú Hồng"},
    }
    assert found["status"]["detail"].startswith("Hẹn trả kết quả")
    text = json.dumps(found, ensure_ascii=False)
    for personal in PERSONAL:
        assert personal not in text


def test_the_receipts_key_works_too_and_no_api_key_is_needed(dossier, api):
    assert look_up(dossier.code, lookup_key(dossier.code).lower()).status_code == 200
    # A key sent along is not needed, and a wrong one is not looked at.
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Api-Key sai.khoa")
    assert look_up(dossier.code, "5678", http=http).status_code == 200


def test_a_wrong_code_and_a_wrong_key_give_the_same_answer(dossier):
    wrong_key = look_up(dossier.code, "0000")
    wrong_code = look_up("DBD-PH-240304-9999", "5678")
    assert wrong_key.status_code == wrong_code.status_code == 404
    assert (
        wrong_key.json()
        == wrong_code.json()
        == {"error": {"code": "khong_tim_thay", "message": NOT_FOUND, "field": None, "fields": []}}
    )


def test_guessing_a_dossiers_digits_is_stopped(dossier, settings):
    settings.LOOKUP_FAILURES_PER_CODE = 10
    statuses = [look_up(dossier.code, f"{n:04d}", address=f"10.0.0.{n}").status_code for n in range(20)]
    assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}
    # Even the right digits wait now: the code is locked for the hour, whoever asks.
    refused = look_up(dossier.code, "5678", address="10.0.1.1")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    error = refused.json()["error"]
    assert error["code"] == "qua_nhieu_yeu_cau" and "thử lại sau 60 phút" in error["message"]


def test_enumerating_codes_from_one_address_is_stopped(dossier, settings):
    """Walking through a day's codes with the right last digits: stopped after the address's 20 attempts, and
    no dossier found on the way (the digits belong to one dossier only)."""
    settings.LOOKUP_ATTEMPTS_PER_ADDRESS = 20
    answers = [look_up(f"DBD-PH-240304-{n:04d}", "5678") for n in range(2, 30)]
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(429) == 8 and 200 not in statuses
    assert answers[-1]["Retry-After"] == "600"
    # The page and the API share the brake: the same address is refused on the page too.
    assert (
        APIClient().post("/tra-cuu/", {"code": dossier.code, "answer": "5678"}, REMOTE_ADDR="10.0.0.1").status_code
        == 429
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [({"code": "DBD-PH-240304-0001"}, "key"), ({"key": "5678"}, "code"), ({"code": "X" * 61, "key": "1"}, "code")],
)
def test_a_request_without_code_or_key_is_refused_on_its_field(dossier, body, field):
    answer = APIClient().post("/api/v1/lookup/", body, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == field


def test_the_look_up_is_in_the_schema_without_a_key(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = document["paths"]["/api/v1/lookup/"]["post"]
    assert operation.get("security") in (None, [], [{}]) and {"200", "404", "429"} <= set(operation["responses"])
