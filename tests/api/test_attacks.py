"""What another system's key cannot do: read, change or guess the dossiers of units outside its scope (a 404 that
says no more than for a code that does not exist), post with a read-only key, act with a revoked one, receive for a
unit it does not serve — and a refused request writes nothing."""

import pytest
from rest_framework.test import APIClient

from cases.desk.models import Dossier, DossierEvent, DossierStep
from tests.conftest import make, vn

from .test_dossiers import receipt

STEPS = [
    "request-supplement", "receive-supplement", "pause", "resume", "resolve", "return", "refuse", "withdraw", "rate",
    "hand-over", "take-up", "send-back",
]  # fmt: skip


def written():
    return Dossier.objects.count(), DossierEvent.objects.count(), DossierStep.objects.count()


@pytest.fixture
def pu_hongs(units, procedures):
    return make("DBD-PH-240301-0001", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 8, 9))


@pytest.mark.parametrize("path", ["/", "/resolve/", "/hand-over/", "/refuse/"])
def test_another_communes_dossier_is_not_found_as_if_it_did_not_exist(api, pu_hongs, path):
    keo_lom, krong_no = api["keo_lom"].http, api["krong_no"].http
    method = "get" if path == "/" else "post"
    body = {} if method == "get" else {"reason": "Thử"}
    for http in (keo_lom, krong_no):
        theirs = getattr(http, method)(f"/api/v1/dossiers/{pu_hongs.code}{path}", body, format="json")
        unknown = getattr(http, method)(f"/api/v1/dossiers/DBD-PH-240301-9999{path}", body, format="json")
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json() == unknown.json()
    assert Dossier.objects.get().state == pu_hongs.state and not DossierEvent.objects.exists()


def test_guessing_through_the_list_finds_nothing_outside_the_scope(api, pu_hongs):
    keo_lom = api["keo_lom"].http
    assert keo_lom.get("/api/v1/dossiers/", {"code": "DBD-PH"}).json()["results"] == []
    # Another commune's unit as a filter: the same answer as a unit that does not exist.
    theirs = keo_lom.get("/api/v1/dossiers/", {"unit": "DBD-PH"})
    unknown = keo_lom.get("/api/v1/dossiers/", {"unit": "KHONG-CO"})
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json()["error"]["field"] == "unit"
    assert api["province"].http.get("/api/v1/dossiers/", {"unit": "DBD-PH"}).json()["results"][0]["code"] == (
        pu_hongs.code
    )


@pytest.mark.parametrize("step", STEPS)
def test_a_read_only_key_cannot_post(api, pu_hongs, step):
    kiosk = api["pu_hong_reader"].http
    before = written()
    assert kiosk.get(f"/api/v1/dossiers/{pu_hongs.code}/").status_code == 200  # its own commune: it reads
    answer = kiosk.post(f"/api/v1/dossiers/{pu_hongs.code}/{step}/", {"reason": "Thử"}, format="json")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "khong_du_quyen"
    answer = kiosk.post("/api/v1/dossiers/", receipt(unit="DBD-PH"), format="json")
    assert answer.status_code == 403 and answer.json()["error"]["message"] == "Khóa API này không được tiếp nhận hồ sơ."
    assert written() == before


def test_a_revoked_key_can_do_nothing(api, pu_hongs, procedures):
    app = api["province"]
    app.client.revoked = True
    app.client.save()
    before = written()
    for answer in (
        app.http.get(f"/api/v1/dossiers/{pu_hongs.code}/"),
        app.http.post(f"/api/v1/dossiers/{pu_hongs.code}/resolve/", {}, format="json"),
        app.http.post("/api/v1/dossiers/", receipt(), format="json"),
    ):
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "khoa_khong_hop_le"
    assert written() == before


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"unit": "KN"}, "unit"),  # another district's unit
        ({"unit": "DBD-PH"}, "unit"),  # the commune next door
        ({"unit": "DBD"}, "unit"),  # the district above it
        ({"resolving_unit": "KN"}, "resolving_unit"),  # another province's
        ({"procedure": "1.003003'; --"}, "procedure"),
        ({"applicant_name": ""}, "applicant_name"),
        ({"channel": "fax"}, "channel"),
        ({"received_at": "hôm qua"}, "received_at"),
        ({"papers": "một chuỗi"}, "papers"),
        ({"messages_consent": True, "messages_channel": "email"}, "applicant_email"),
    ],
)
def test_a_forged_or_bad_receipt_names_its_field_and_writes_nothing(api, procedures, fields, field):
    before = written()
    answer = api["keo_lom"].http.post("/api/v1/dossiers/", receipt(**fields), format="json")
    assert answer.status_code == 400, answer.json()
    error = answer.json()["error"]
    assert error["code"] == "khong_hop_le" and field in {f["field"] for f in error["fields"]}
    assert written() == before


def test_a_refused_receipt_or_step_writes_nothing_half_way(api, procedures, units):
    app = api["keo_lom"].http
    before = written()
    # The form passes, the dossier's own rule refuses (a commune procedure for the district): nothing is numbered.
    answer = app.post("/api/v1/dossiers/", receipt(resolving_unit="DBD"), format="json")
    assert answer.status_code == 400 and written() == before
    code = app.post("/api/v1/dossiers/", receipt(), format="json").json()["code"]
    after_receipt = written()
    for path, body in [("return", {}), ("resolve", {"at": "2000-01-01T00:00:00+07:00"}), ("rate", {"level": "x"})]:
        assert app.post(f"/api/v1/dossiers/{code}/{path}/", body, format="json").status_code in (400, 409)
    assert written() == after_receipt
    assert Dossier.objects.get(code=code).state == "dang_giai_quyet"


def test_json_only_and_a_broken_body_is_refused_in_vietnamese(api, procedures):
    app = api["keo_lom"].http
    answer = app.post("/api/v1/dossiers/", "{không phải json", content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "noi_dung_khong_doc_duoc"
    answer = app.post("/api/v1/dossiers/", "unit=DBD-KL", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415
    nobody = APIClient().get("/api/v1/dossiers/")
    assert nobody.status_code == 401 and nobody.json()["error"]["code"] == "chua_xac_thuc"
    assert not Dossier.objects.exists()
