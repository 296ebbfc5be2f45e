"""The desk pages as an attacker sees them: another commune's dossiers do not exist, by URL, by POST or by filter."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.models import Dossier, DossierEvent, DossierStep
from cases.views.desk import ACTIONS
from cases.views.process import MOVES
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
    steps = list(DossierStep.objects.filter(dossier=dossier).order_by("pk").values())
    return (
        {name: getattr(dossier, name) for name in fields},
        DossierEvent.objects.filter(dossier=dossier).count(),
        steps,
    )


# One valid-looking POST per action, as a desk officer would send it.
ACTION_DATA = {
    "yeu-cau-bo-sung": {"missing_papers": "Sổ hộ khẩu", "reason": "Thiếu"},
    "nhan-bo-sung": {},
    "tam-dung": {"reason": "Chờ xác minh"},
    "tiep-tuc": {},
    "co-ket-qua": {},
    "tra-ket-qua": {},
    "danh-gia": {"level": "khong_hai_long", "source": "phieu", "comment": "Giả mạo"},
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


# --- the internal process: moves by officials who do not hold the step (issue 13) --------------------------------
# One valid-looking POST per move on a dossier at the built-in process's step 2 (receive → handle → return).
MOVE_DATA = {"nhan": {}, "chuyen": {"number": 3}, "tra-lai": {"number": 1, "reason": "Thiếu giấy tờ"}}


def post_move(client, dossier, move, **data):
    data = {**MOVE_DATA[move], **data}
    return client.post(
        reverse("cases:step_move", args=[dossier.code, move]), {f"{move}-{k}": v for k, v in data.items()}
    )


def test_every_move_is_covered_by_these_tests():
    assert set(MOVE_DATA) == set(MOVES)


@pytest.fixture
def handed(pu_hong, cast, officials):
    """Pú Hồng's dossier handed to its specialist by name, not yet taken up."""
    pu_hong.hand_over(by=cast["desk_pu_hong"], to_user=officials["specialist"])
    return pu_hong


@pytest.fixture
def held(handed, officials):
    """… and taken up: the specialist holds step 2."""
    handed.take_up(by=officials["specialist"])
    return handed


@pytest.mark.parametrize("move", list(MOVE_DATA))
@pytest.mark.parametrize("who", ["desk_keo_lom", "outsider", "office", "economy"])
def test_officials_of_other_units_cannot_move_a_step_by_a_forged_post(client, cast, officials, handed, who, move):
    """Not readable (another commune, another district, the district's Phòng Kinh tế - Hạ tầng while it holds no
    step): 404; readable but not theirs (the district office): 403. Nothing is written either way."""
    client.force_login({**cast, **officials}[who])
    before = snapshot(handed)
    response = post_move(client, handed, move, to_user=cast["desk_keo_lom"].pk)
    assert response.status_code == (403 if who == "office" else 404)
    assert snapshot(handed) == before


@pytest.mark.parametrize("move", list(MOVE_DATA))
def test_a_pu_hong_officer_cannot_move_keo_loms_dossiers(client, keo_lom, cast, move):
    client.force_login(cast["desk_pu_hong"])
    for dossier in keo_lom.values():
        before = snapshot(dossier)
        assert post_move(client, dossier, move).status_code == 404
        assert snapshot(dossier) == before


@pytest.mark.parametrize("move", list(MOVE_DATA))
@pytest.mark.parametrize("who", ["desk_pu_hong", "leader"])
def test_officials_of_the_same_unit_who_do_not_hold_the_step_are_refused(client, cast, officials, held, who, move):
    """The step is the specialist's: the desk that handed it on and the leader may read the dossier, not move it."""
    client.force_login({**cast, **officials}[who])
    before = snapshot(held)
    assert post_move(client, held, move).status_code == 403
    assert snapshot(held) == before


def test_a_step_named_for_the_specialist_is_not_taken_up_by_the_leader(client, cast, officials, handed):
    client.force_login(officials["leader"])
    before = snapshot(handed)
    assert post_move(client, handed, "nhan").status_code == 403
    assert snapshot(handed) == before
    assert client.get(f"/ho-so/{handed.code}/").context["process"]["moves"] == []


def test_the_other_unit_sees_and_acts_on_the_dossier_only_while_it_holds_its_step(
    client, linked, units, procedures, cast, officials
):
    desk, economy = cast["desk_pu_hong"], officials["economy"]
    dossier = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Lầu A Chứ", by=desk,
        received_at=vn(2024, 3, 7, 8, 0),
    )  # fmt: skip
    client.force_login(economy)
    page = f"/ho-so/{dossier.code}/"
    assert client.get(page).status_code == 404
    assert post_move(client, dossier, "nhan").status_code == 404
    dossier.hand_over(by=desk)
    response = client.get(page)
    assert response.status_code == 200
    assert [move["slug"] for move in response.context["process"]["moves"]] == ["nhan"]
    assert response.context["actions"] == []  # the desk's own actions stay with Pú Hồng
    for slug in ACTION_DATA:
        before = snapshot(dossier)
        assert post_action(client, dossier, slug, economy).status_code == 404
        assert snapshot(dossier) == before
    assert post_move(client, dossier, "nhan").status_code == 302
    assert post_move(client, dossier, "chuyen", number=3).status_code == 302
    # Handed on to Pú Hồng's leader: the page, the moves and the list are closed to the other unit again.
    assert client.get(page).status_code == 404
    before = snapshot(dossier)
    for move, data in (("nhan", {}), ("chuyen", {"number": 4}), ("tra-lai", {"number": 2, "reason": "Xem lại"})):
        assert post_move(client, dossier, move, **data).status_code == 404
    assert snapshot(dossier) == before
    assert dossier.code not in client.get("/viec-cua-toi/").content.decode()


@pytest.mark.parametrize("slug", list(ACTION_DATA))
def test_a_specialist_of_pu_hong_reads_its_dossiers_but_has_none_of_the_desks_actions(
    client, pu_hong, keo_lom, cast, officials, slug
):
    specialist = officials["specialist"]
    client.force_login(specialist)
    response = client.get(f"/ho-so/{pu_hong.code}/")
    assert response.status_code == 200
    assert response.context["actions"] == [] and response.context["process"]["moves"] == []
    assert "Bạn chỉ được xem hồ sơ này." in response.content.decode()
    before = snapshot(pu_hong)
    assert post_action(client, pu_hong, slug, specialist).status_code == 404
    assert snapshot(pu_hong) == before
    assert client.get(f"/ho-so/{keo_lom['open'].code}/").status_code == 404
    assert client.get("/tiep-nhan/").status_code == 403


def test_moves_only_accept_post(client, held, officials):
    client.force_login(officials["specialist"])
    for move in MOVE_DATA:
        assert client.get(reverse("cases:step_move", args=[held.code, move])).status_code == 405
    assert client.post(reverse("cases:step_move", args=[held.code, "xoa"])).status_code == 404


HOSTILE = ["\x00", "99999999999999999999", "-1", "<b>'\"%", "x" * 5000, "Đ\u0300\u202e漢字😀"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_in_a_move_are_refused_never_a_500(client, held, officials, value):
    """The step numbers and the official of the holder's own moves: a Vietnamese message, nothing written. A reason
    is free text: only a NUL or one past 4.000 characters is refused."""
    client.raise_request_exception = False
    client.force_login(officials["specialist"])
    before = snapshot(held)
    sent = [("chuyen", {"number": value}), ("chuyen", {"to_user": value}), ("tra-lai", {"number": value})]
    if value in ("\x00", "x" * 5000):
        sent.append(("tra-lai", {"reason": value}))
    for move, data in sent:
        response = post_move(client, held, move, **data)
        assert response.status_code == 302, (move, data, response.status_code)
        assert snapshot(held) == before
