"""The desk pages as an attacker sees them: another commune's dossiers do not exist, by URL, by POST or by filter."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Dossier, DossierEvent
from cases.views.desk import ACTIONS
from tests.conftest import vn

NOW = vn(2024, 3, 8, 10, 0)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def keo_lom(frozen, units, procedures, cast):
    """Keo Lôm's dossiers: one open, one waiting for papers (Mẫu 02), one refused (Mẫu 03)."""
    officer = cast["desk_keo_lom"]

    def receive(name, at):
        return Dossier.receive(
            unit=units["keo_lom"], procedure=procedures["guardian"], applicant_name=name, received_at=at, by=officer
        )

    open_dossier = receive("Vàng A Dế", vn(2024, 3, 6, 9, 0))
    waiting = receive("Sùng Thị Dợ", vn(2024, 3, 6, 10, 0))
    waiting.request_supplement(by=officer, missing_papers="Giấy khai sinh của người được giám hộ")
    refused = receive("Giàng A Tủa", vn(2024, 3, 6, 11, 0))
    refused.refuse(by=officer, reason="Không thuộc thẩm quyền")
    return {"open": open_dossier, "waiting": waiting, "refused": refused}


@pytest.fixture
def pu_hong(frozen, units, procedures, cast):
    return Dossier.receive(
        unit=units["pu_hong"],
        procedure=procedures["land"],
        applicant_name="Giàng A Páo",
        received_at=vn(2024, 3, 4, 8, 0),
        by=cast["desk_pu_hong"],
    )


def snapshot(dossier):
    """Everything an action could change."""
    dossier.refresh_from_db()
    fields = (
        "state",
        "due_at",
        "resolved_at",
        "returned_at",
        "ended_at",
        "handler_id",
        "received_at",
        "clock_stopped_at",
    )
    return {name: getattr(dossier, name) for name in fields}, DossierEvent.objects.filter(dossier=dossier).count()


# One valid-looking POST per action, as a desk officer would send it.
ACTION_DATA = {
    "yeu-cau-bo-sung": {"missing_papers": "Sổ hộ khẩu", "reason": "Thiếu"},
    "nhan-bo-sung": {},
    "tam-dung": {"reason": "Chờ xác minh"},
    "tiep-tuc": {},
    "co-ket-qua": {},
    "tra-ket-qua": {},
    "phan-cong": {"handler": "__attacker__"},
    "tu-choi": {"reason": "Không đủ điều kiện"},
    "rut": {"reason": "Xin rút"},
    "sua-ngay": {"field": "due_at", "value": "01/04/2024 17:00", "reason": "Sửa"},
}


def post_action(client, dossier, slug, attacker):
    data = {key: attacker.pk if value == "__attacker__" else value for key, value in ACTION_DATA[slug].items()}
    return client.post(
        reverse("cases:dossier_action", args=[dossier.code, slug]), {f"{slug}-{k}": v for k, v in data.items()}
    )


def test_every_action_is_covered_by_these_tests():
    assert set(ACTION_DATA) == set(ACTIONS)


# --- a desk officer of Pú Hồng --------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["", "bien-nhan/", "mau-02/", "mau-03/"])
def test_another_communes_dossier_by_url_is_not_found(client, keo_lom, cast, page):
    client.force_login(cast["desk_pu_hong"])
    for dossier in keo_lom.values():
        response = client.get(f"/ho-so/{dossier.code}/{page}")
        assert response.status_code == 404
        assert dossier.applicant_name not in response.content.decode()


def test_the_keo_lom_officer_does_see_those_pages(client, keo_lom, cast):
    client.force_login(cast["desk_keo_lom"])
    assert client.get(f"/ho-so/{keo_lom['open'].code}/").status_code == 200
    assert client.get(f"/ho-so/{keo_lom['open'].code}/bien-nhan/").status_code == 200
    assert client.get(f"/ho-so/{keo_lom['waiting'].code}/mau-02/").status_code == 200
    assert client.get(f"/ho-so/{keo_lom['refused'].code}/mau-03/").status_code == 200


@pytest.mark.parametrize("slug", list(ACTION_DATA))
def test_every_action_on_another_communes_dossier_is_not_found_and_changes_nothing(client, keo_lom, cast, slug):
    attacker = cast["desk_pu_hong"]
    client.force_login(attacker)
    for dossier in keo_lom.values():
        before = snapshot(dossier)
        assert post_action(client, dossier, slug, attacker).status_code == 404
        assert snapshot(dossier) == before


def test_the_same_action_works_for_the_dossiers_own_desk(client, keo_lom, cast):
    """The control: the POST above is a valid one, refused only because of who sends it."""
    client.force_login(cast["desk_keo_lom"])
    response = post_action(client, keo_lom["open"], "tam-dung", cast["desk_keo_lom"])
    assert response.status_code == 302
    keo_lom["open"].refresh_from_db()
    assert keo_lom["open"].state == "tam_dung"


def test_a_filter_for_another_unit_shows_nothing(client, keo_lom, pu_hong, units, cast):
    client.force_login(cast["desk_pu_hong"])
    response = client.get("/ho-so/", {"unit": units["keo_lom"].pk})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    html = response.content.decode()
    assert "Vàng A Dế" not in html and "Giàng A Páo" not in html


def test_a_filter_for_a_parent_unit_shows_nothing(client, keo_lom, pu_hong, units, cast):
    client.force_login(cast["desk_pu_hong"])
    response = client.get("/ho-so/", {"unit": units["district"].pk})
    assert list(response.context["page"].object_list) == []


def test_a_filter_by_another_communes_code_shows_nothing(client, keo_lom, pu_hong, cast):
    client.force_login(cast["desk_pu_hong"])
    response = client.get("/ho-so/", {"code": keo_lom["open"].code})
    assert list(response.context["page"].object_list) == []
    assert "Tìm thấy <strong>0</strong> hồ sơ" in response.content.decode()


def test_the_unit_choice_lists_only_visible_units(client, keo_lom, units, cast):
    client.force_login(cast["desk_pu_hong"])
    choices = client.get("/ho-so/").context["filter"].form.fields["unit"].queryset
    assert list(choices) == [units["pu_hong"]]


def test_today_counts_only_the_officers_own_commune(client, keo_lom, pu_hong, cast):
    client.force_login(cast["desk_pu_hong"])
    html = client.get("/").content.decode()
    assert pu_hong.code in html
    assert all(dossier.code not in html for dossier in keo_lom.values())


# --- the district office ----------------------------------------------------------------------------------
def test_the_district_office_reads_both_communes(client, keo_lom, pu_hong, cast):
    client.force_login(cast["office"])
    listed = {d.code for d in client.get("/ho-so/").context["page"].object_list}
    assert listed == {pu_hong.code, *(d.code for d in keo_lom.values())}
    assert client.get(f"/ho-so/{pu_hong.code}/").status_code == 200
    assert client.get(f"/ho-so/{keo_lom['open'].code}/bien-nhan/").status_code == 200


@pytest.mark.parametrize("slug", list(ACTION_DATA))
def test_the_district_office_cannot_act_on_a_dossier(client, keo_lom, pu_hong, cast, slug):
    office = cast["office"]
    client.force_login(office)
    for dossier in (pu_hong, *keo_lom.values()):
        before = snapshot(dossier)
        assert post_action(client, dossier, slug, office).status_code in (403, 404)
        assert snapshot(dossier) == before


def test_the_district_office_cannot_receive(client, cast, procedures):
    client.force_login(cast["office"])
    response = client.post("/tiep-nhan/", {"procedure": procedures["land"].pk, "applicant_name": "X"})
    assert response.status_code == 403
    assert not Dossier.objects.exists()


# --- an outsider -------------------------------------------------------------------------------------------
def test_the_outsider_sees_nothing_of_dien_bien_dong(client, keo_lom, pu_hong, units, cast):
    client.force_login(cast["outsider"])
    assert list(client.get("/ho-so/").context["page"].object_list) == []
    assert list(client.get("/ho-so/", {"unit": units["pu_hong"].pk}).context["page"].object_list) == []
    for dossier in (pu_hong, *keo_lom.values()):
        assert client.get(f"/ho-so/{dossier.code}/").status_code == 404
        assert client.get(f"/ho-so/{dossier.code}/bien-nhan/").status_code == 404
    sections = client.get("/").context["sections"]
    assert [section["count"] for section in sections] == [0, 0, 0]


# --- anonymous visitors and forged requests ----------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/tiep-nhan/",
        "/tiep-nhan/han/?procedure=1",
        "/thu-tuc/tim/?q=ket",
        "/ho-so/",
        "/ho-so/{code}/",
        "/ho-so/{code}/bien-nhan/",
        "/ho-so/{code}/mau-02/",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, pu_hong, url):
    response = client.get(url.format(code=pu_hong.code))
    assert response.status_code == 302
    assert response["Location"].startswith("/dang-nhap/?next=")


def test_an_anonymous_post_changes_nothing(client, pu_hong):
    before = snapshot(pu_hong)
    response = client.post(f"/ho-so/{pu_hong.code}/thao-tac/co-ket-qua/")
    assert response.status_code == 302
    assert response["Location"].startswith("/dang-nhap/")
    assert snapshot(pu_hong) == before


def test_a_post_without_csrf_token_is_forbidden(pu_hong, cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["desk_pu_hong"])
    before = snapshot(pu_hong)
    response = client.post(f"/ho-so/{pu_hong.code}/thao-tac/co-ket-qua/", {})
    assert response.status_code == 403
    assert snapshot(pu_hong) == before
    assert client.post("/tiep-nhan/", {"applicant_name": "X"}).status_code == 403


def test_a_post_with_the_csrf_token_from_the_page_goes_through(pu_hong, cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["desk_pu_hong"])
    client.get(f"/ho-so/{pu_hong.code}/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/ho-so/{pu_hong.code}/thao-tac/co-ket-qua/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    pu_hong.refresh_from_db()
    assert pu_hong.state == "da_co_ket_qua"


def test_actions_only_accept_post(client, pu_hong, cast):
    client.force_login(cast["desk_pu_hong"])
    assert client.get(f"/ho-so/{pu_hong.code}/thao-tac/co-ket-qua/").status_code == 405
