"""The API's doors: keys (hashed, revoked, expired), scopes, the call log, the rate per client, errors as JSON in
Vietnamese, the schema and its documentation page served without a CDN."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiCall, ApiClient
from cases.desk.states import Role


def test_key_is_stored_hashed_and_names_the_client(api):
    province = api["province"]
    stored = ApiClient.objects.get(pk=province.client.pk)
    assert province.key.split(".")[1] not in stored.hashed_key
    answer = province.http.get("/api/v1/client/")
    assert answer.status_code == 200
    assert answer.json() == {"name": "Cổng DVC tỉnh Điện Biên", "unit": "DB", "scopes": ["read", "receive", "act"]}
    # Its account holds the client role at its unit, and cannot log in to the site.
    account = stored.account
    assert not account.has_usable_password()
    assert list(account.memberships.values_list("unit__code", "role")) == [("DB", Role.API_CLIENT)]


@pytest.mark.parametrize("header", ["Api-Key sai.khoa", "Api-Key ", "Bearer abc"])
def test_wrong_or_missing_key_is_refused_in_vietnamese(api, header):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=header)
    answer = http.get("/api/v1/units/")
    assert answer.status_code in (401, 403)
    error = answer.json()["error"]
    assert error["code"] in ("khoa_khong_hop_le", "chua_xac_thuc")
    assert "Khóa API" in error["message"] or "khóa API" in error["message"]


def test_revoked_and_expired_keys_are_refused(api):
    kiosk = api["pu_hong_reader"]
    assert kiosk.http.get("/api/v1/units/").status_code == 200
    kiosk.client.revoked = True
    kiosk.client.save()
    answer = kiosk.http.get("/api/v1/units/")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "khoa_khong_hop_le"

    app = api["keo_lom"]
    app.client.expiry_date = timezone.now() - timedelta(minutes=1)
    app.client.save()
    answer = app.http.get("/api/v1/units/")
    assert answer.status_code == 401
    assert answer.json()["error"] == {
        "code": "khoa_het_han", "message": "Khóa API đã hết hạn.", "field": None, "fields": []
    }  # fmt: skip


def test_units_are_the_clients_subtree(api):
    codes = [unit["code"] for unit in api["province"].http.get("/api/v1/units/").json()]
    assert codes == ["DB", "DBD", "DBD-KTHT", "DBD-PH", "DBD-KL", "DBD-PG"]  # tree order; not Krông Nô
    assert [unit["code"] for unit in api["pu_hong_reader"].http.get("/api/v1/units/").json()] == ["DBD-PH"]


def test_every_call_is_logged_with_its_client(api):
    kiosk = api["pu_hong_reader"]
    kiosk.http.get("/api/v1/units/")
    kiosk.http.get("/api/v1/khong-co/")
    calls = list(ApiCall.objects.filter(client=kiosk.client).order_by("at").values_list("method", "path", "status"))
    assert calls == [("GET", "/api/v1/units/", 200), ("GET", "/api/v1/khong-co/", 404)]


def test_each_client_has_its_own_rate(api):
    kiosk, province = api["pu_hong_reader"], api["province"]
    kiosk.client.rate = "3/min"
    kiosk.client.save()
    answers = [kiosk.http.get("/api/v1/client/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert kiosk.http.get("/api/v1/client/").json()["error"]["code"] == "qua_nhieu_yeu_cau"
    assert province.http.get("/api/v1/client/").status_code == 200  # another client is not braked


def test_schema_and_documentation_page(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["info"]["title"] == "API Cổng Một cửa"
    assert "/api/v1/units/" in document["paths"]
    assert document["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html and "://cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    # The portal's CSP allows no inline code: the page's style and script are files.
    assert "<style" not in html and "<script>" not in html
    assert "/static/css/api-docs" in html
