"""The desk's pages as a desk officer sees them: log in, receive, find, act, and the day's overview."""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from cases.models import ClockStop, Dossier, DossierEvent, Membership, Role
from tests.conftest import PASSWORD, make, vn

NOW = vn(2024, 3, 8, 10, 0)  # a Friday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def receive(unit, procedure, name, at, **details):
    return Dossier.receive(unit=unit, procedure=procedure, applicant_name=name, received_at=at, **details)


@pytest.fixture
def dossiers(frozen, units, procedures, cast):
    """Four dossiers of the district's communes, seen on Friday 08/03/2024 10:00."""
    officer = cast["desk_pu_hong"]
    land = receive(units["pu_hong"], procedures["land"], "Giàng A Páo", vn(2024, 3, 4, 8, 0), by=officer)
    married = receive(
        units["pu_hong"], procedures["marriage"], "Lò Thị Mai", vn(2024, 3, 5, 9, 0), channel="truc_tuyen", by=officer
    )
    married.resolve(by=officer, at=vn(2024, 3, 5, 15, 0))
    guardian = receive(
        units["keo_lom"],
        procedures["guardian"],
        "Vàng A Dế",
        vn(2024, 3, 6, 9, 0),
        channel="buu_chinh",
        by=cast["desk_keo_lom"],
    )
    late = receive(units["pu_hong"], procedures["guardian"], "Mùa A Chu", vn(2024, 3, 1, 9, 0), by=officer)
    return {"land": land, "married": married, "guardian": guardian, "late": late}


def codes(response):
    return {dossier.code for dossier in response.context["page"].object_list}


def login(client, user):
    client.force_login(user)
    return client


# --- logging in -----------------------------------------------------------------------------------------
def test_the_first_page_a_visitor_sees_is_the_vietnamese_login(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/dang-nhap/")
    html = response.content.decode()
    assert 'lang="vi"' in html
    for text in ("Cổng Một cửa", "Tên đăng nhập", "Mật khẩu", "Đăng nhập"):
        assert text in html


def test_logging_in_leads_to_today(client, cast):
    response = client.post("/dang-nhap/", {"username": "motcua.puhong", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    html = response.content.decode()
    assert "<h1>Hôm nay</h1>" in html
    assert "Cán bộ Một cửa · UBND xã Pú Hồng" in html


def test_a_wrong_password_is_refused_in_vietnamese(client, cast):
    response = client.post("/dang-nhap/", {"username": "motcua.puhong", "password": "sai"})
    assert response.status_code == 200
    assert "Tên đăng nhập và mật khẩu chính xác" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_form_with_a_csrf_token(client, cast):
    html = login(client, cast["desk_pu_hong"]).get("/").content.decode()
    form = re.search(r'<form method="post" action="/dang-xuat/".*?</form>', html, re.S).group(0)
    assert "csrfmiddlewaretoken" in form
    client.post("/dang-xuat/")
    assert "_auth_user_id" not in client.session


def test_navigation_shows_receiving_only_to_desk_staff_and_admin_only_to_staff(client, cast):
    desk_html = login(client, cast["desk_pu_hong"]).get("/").content.decode()
    assert "Tiếp nhận hồ sơ" in desk_html
    assert "/quan-tri/" not in desk_html
    office_html = login(client, cast["office"]).get("/").content.decode()
    assert "Tiếp nhận hồ sơ" not in office_html
    admin_html = login(client, cast["admin"]).get("/").content.decode()
    assert "/quan-tri/" in admin_html


# --- receiving ----------------------------------------------------------------------------------------
def test_receiving_through_the_form_computes_the_due_time_and_shows_the_receipt(client, units, procedures, cast):
    login(client, cast["desk_pu_hong"])
    form_html = client.get("/tiep-nhan/").content.decode()
    assert "UBND xã Pú Hồng" in form_html
    assert 'name="unit"' not in form_html  # one desk: the unit is fixed
    # Wednesday before Tết, 5 working days: due Wednesday 21/02/2024 10:00 (DOMAIN.md).
    with time_machine.travel(vn(2024, 2, 7, 10, 0), tick=False):
        response = client.post(
            "/tiep-nhan/",
            {
                "procedure": procedures["land"].pk,
                "applicant_name": "Giàng A Páo",
                "applicant_phone": "0912345678",
                "applicant_address": "Bản Pú Hồng",
                "channel": "truc_tiep",
                "papers": "Đơn đề nghị hòa giải\n\nBản sao giấy tờ về đất",
                "code": "",
            },
        )
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ho-so/{dossier.code}/bien-nhan/"
    assert dossier.code == "DBD-PH-240207-0001"
    assert dossier.unit == units["pu_hong"]
    assert dossier.due_at == vn(2024, 2, 21, 10, 0)
    assert dossier.received_by == cast["desk_pu_hong"]
    assert dossier.papers == "Đơn đề nghị hòa giải\nBản sao giấy tờ về đất"
    receipt = client.get(response["Location"]).content.decode()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt
    assert "Ngày hẹn trả kết quả: <strong>10 giờ 00 phút, ngày 21 tháng 02 năm 2024</strong>" in receipt
    assert "10 giờ 00 phút, ngày 07 tháng 02 năm 2024" in receipt
    assert "<svg" in receipt and "DBD-PH-240207-0001" in receipt
    assert "<li>Bản sao giấy tờ về đất</li>" in receipt
    assert "NGƯỜI NỘP HỒ SƠ" in receipt and "NGƯỜI TIẾP NHẬN HỒ SƠ" in receipt
    assert "Điện Biên Đông, ngày 07 tháng 02 năm 2024" in receipt


def test_a_code_typed_in_is_kept_and_a_duplicate_is_refused(client, units, procedures, cast):
    login(client, cast["desk_pu_hong"])
    data = {"procedure": procedures["marriage"].pk, "applicant_name": "Lò Văn C", "channel": "truc_tiep"}
    client.post("/tiep-nhan/", {**data, "code": "PH-2024-777"})
    assert Dossier.objects.filter(code="PH-2024-777").exists()
    response = client.post("/tiep-nhan/", {**data, "code": "PH-2024-777"})
    assert response.status_code == 200
    assert "Mã hồ sơ PH-2024-777 đã có." in response.content.decode()
    assert Dossier.objects.count() == 1


def test_an_officer_of_two_desks_chooses_the_unit(client, units, procedures, cast):
    officer = cast["desk_pu_hong"]
    Membership.objects.create(user=officer, unit=units["phinh_giang"], role=Role.DESK)
    login(client, officer)
    assert 'name="unit"' in client.get("/tiep-nhan/").content.decode()
    data = {"procedure": procedures["marriage"].pk, "applicant_name": "Lò Văn C", "channel": "truc_tiep"}
    client.post("/tiep-nhan/", {**data, "unit": units["phinh_giang"].pk})
    assert Dossier.objects.get().unit == units["phinh_giang"]


def _receive_land_at(client, moment):
    with time_machine.travel(moment, tick=False):
        return client.post(
            "/tiep-nhan/",
            {"procedure": Dossier._meta.get_field("procedure").related_model.objects.get(code="1.003003").pk,
             "applicant_name": "Giàng A Páo", "channel": "truc_tiep", "code": ""},
            follow=True,
        )  # fmt: skip


def test_receiving_at_23_54_warns_the_officer_and_the_timeline_keeps_it(client, units, procedures, cast):
    response = _receive_land_at(login(client, cast["desk_pu_hong"]), vn(2024, 3, 5, 23, 54))  # a Tuesday night

    dossier = Dossier.objects.get()  # received all the same: a warning, not a refusal
    warning = (
        "Hồ sơ tiếp nhận lúc 23:54 05/03/2024, ngoài giờ làm việc (07:00–11:30, 13:30–17:00 các ngày làm việc):"
        " thời hạn giải quyết tính từ 07:00 06/03/2024. Kiểm tra lại giờ tiếp nhận nếu nhập nhầm."
    )
    assert f'<li class="message message-warning">{warning}</li>' in response.content.decode()
    assert dossier.events.get(kind="received").warning == warning
    page = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert f"<strong>Cảnh báo:</strong> {warning}</p>" in page


def test_receiving_on_a_sunday_says_it_is_a_day_off(client, units, procedures, cast):
    response = _receive_land_at(login(client, cast["desk_pu_hong"]), vn(2024, 3, 10, 9, 0))
    assert "Hồ sơ tiếp nhận lúc 09:00 10/03/2024, ngày nghỉ" in response.content.decode()
    assert "tính từ 07:00 11/03/2024" in Dossier.objects.get().events.get(kind="received").warning


@pytest.mark.parametrize("moment", [vn(2024, 3, 5, 7, 0), vn(2024, 3, 5, 12, 0), vn(2024, 3, 5, 17, 0)])
def test_receiving_within_the_working_day_gives_no_warning(client, units, procedures, cast, moment):
    response = _receive_land_at(login(client, cast["desk_pu_hong"]), moment)
    assert "message-warning" not in response.content.decode()
    assert Dossier.objects.get().events.get(kind="received").warning == ""


def test_the_receive_page_is_refused_to_those_without_a_desk(client, cast):
    assert login(client, cast["office"]).get("/tiep-nhan/").status_code == 403


def test_a_form_without_procedure_or_applicant_shows_the_errors(client, cast):
    response = login(client, cast["desk_pu_hong"]).post("/tiep-nhan/", {"channel": "truc_tiep"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"procedure", "applicant_name"}
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("typed", ["dang ky ket hon", "kết hôn", "KẾT HÔN", "1.000894", "ket"])
def test_the_procedure_search_finds_marriage_with_or_without_diacritics(client, procedures, cast, typed):
    response = login(client, cast["desk_pu_hong"]).get("/thu-tuc/tim/", {"q": typed})
    names = [result["name"] for result in response.json()["results"]]
    assert "Thủ tục đăng ký kết hôn" in names
    assert "Thủ tục hòa giải tranh chấp đất đai" not in names


def test_the_procedure_search_needs_every_word(client, procedures, cast):
    login(client, cast["desk_pu_hong"])
    names = [r["name"] for r in client.get("/thu-tuc/tim/", {"q": "dang ky"}).json()["results"]]
    assert names == ["Thủ tục đăng ký kết hôn", "Thủ tục đăng ký giám hộ"]
    assert client.get("/thu-tuc/tim/", {"q": "dang ky khai sinh"}).json() == {"results": []}
    assert client.get("/thu-tuc/tim/", {"q": "  "}).json() == {"results": []}


@pytest.fixture
def catalogue(db, django_user_model):
    """The real catalogue (fixtures/procedures.csv, the national portal's 182 procedures and 5 added by hand)."""
    call_command("load_fixtures", stdout=StringIO())
    return django_user_model.objects.create_user(username="motcua.that", password=PASSWORD)


def test_the_procedure_search_offers_birth_registrations_before_a_land_procedure_with_khai_and_sinh(client, catalogue):
    results = login(client, catalogue).get("/thu-tuc/tim/", {"q": "khai sinh"}).json()["results"]
    codes = [result["code"] for result in results]
    # "Đăng ký khai sinh" itself first, then the other procedures naming "khai sinh" as a phrase.
    assert codes[0] == "1.001193"
    assert set(codes[:4]) == {"1.001193", "1.003583", "2.000986", "2.001023"}
    assert all("khai sinh" in result["name"] for result in results[:4])
    # The land procedure that has only "khai thác" and "phát sinh" comes after all of them.
    assert codes[4:] == ["1.013980"]


def test_the_procedure_search_puts_whole_words_before_words_found_inside_longer_ones(client, catalogue):
    login(client, catalogue)
    names = [r["name"] for r in client.get("/thu-tuc/tim/", {"q": "kết hôn"}).json()["results"]]
    assert names[:2] == ["Thủ tục đăng ký kết hôn", "Thủ tục đăng ký kết hôn lưu động"]
    codes = [r["code"] for r in client.get("/thu-tuc/tim/", {"q": "1.0008"}).json()["results"]]
    assert codes[0] == "1.000894"


def test_the_due_time_endpoint_gives_the_due_time_for_now(client, procedures, cast):
    login(client, cast["desk_pu_hong"])
    with time_machine.travel(vn(2024, 2, 7, 10, 0), tick=False):
        land = client.get("/tiep-nhan/han/", {"procedure": procedures["land"].pk}).json()
        # A 0-day procedure received after the 15:00 cut-off is due at the close of the next working day.
        with time_machine.travel(vn(2024, 2, 7, 16, 0), tick=False):
            marriage = client.get("/tiep-nhan/han/", {"procedure": procedures["marriage"].pk}).json()
    assert land["processing_days"] == 5
    assert land["due_at"] == "2024-02-21T10:00:00+07:00"
    assert land["due_at_text"] == "10:00 21/02/2024"
    assert land["due_at_long"] == "10 giờ 00 phút, ngày 21 tháng 02 năm 2024"
    assert marriage["due_at"] == "2024-02-15T17:00:00+07:00"
    assert client.get("/tiep-nhan/han/", {"procedure": "x"}).status_code == 404


# --- the list -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, expected",
    [
        ({"code": "DBD-KL"}, {"guardian"}),
        ({"applicant": "giàng a"}, {"land"}),
        ({"procedure": "guardian"}, {"guardian", "late"}),
        ({"field": "Hộ tịch"}, {"married", "guardian", "late"}),
        ({"channel": "truc_tuyen"}, {"married"}),
        ({"state": "da_co_ket_qua"}, {"married"}),
        ({"received_after": "05/03/2024", "received_before": "05/03/2024"}, {"married"}),
        ({"received_after": "06/03/2024"}, {"guardian"}),
        ({"due_after": "11/03/2024", "due_before": "11/03/2024"}, {"land", "guardian"}),
        ({"overdue": "on"}, {"late"}),
        ({"open": "on"}, {"land", "guardian", "late"}),
        ({"unit": "keo_lom"}, {"guardian"}),
        ({"unit": "district"}, {"land", "married", "guardian", "late"}),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, dict) else None,
)
def test_the_list_filters_by_each_parameter(client, dossiers, units, procedures, cast, params, expected):
    lookups = {
        "procedure": lambda key: procedures[key].pk,
        "field": lambda name: procedures["marriage"].field.pk if name == "Hộ tịch" else None,
        "unit": lambda key: units[key].pk,
    }
    query = {key: lookups[key](value) if key in lookups else value for key, value in params.items()}
    response = login(client, cast["office"]).get("/ho-so/", query)
    assert response.status_code == 200
    assert codes(response) == {dossiers[key].code for key in expected}


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("code", ["guardian", "late", "land", "married"]),
        ("-received_at", ["guardian", "married", "land", "late"]),
        ("due_at", ["married", "late", "land", "guardian"]),
        ("applicant", ["land", "married", "late", "guardian"]),
    ],
)
def test_the_list_sorts_by_a_column(client, dossiers, cast, sort, expected):
    response = login(client, cast["office"]).get("/ho-so/", {"sort": sort})
    assert [d.code for d in response.context["page"].object_list] == [dossiers[key].code for key in expected]


def test_the_list_shows_the_count_and_an_outcome_badge_per_row(client, dossiers, cast):
    html = login(client, cast["desk_pu_hong"]).get("/ho-so/").content.decode()
    assert "Tìm thấy <strong>3</strong> hồ sơ" in html
    assert '<span class="badge badge-red">Đang giải quyết quá hạn</span>' in html
    assert '<span class="badge badge-blue">Đúng hạn</span>' in html
    assert "Vàng A Dế" not in html  # Keo Lôm's dossier


def test_a_bad_date_in_a_filter_shows_nothing_and_says_so(client, dossiers, cast):
    response = login(client, cast["office"]).get("/ho-so/", {"received_after": "31/02/2024"})
    assert codes(response) == set()
    assert "Điều kiện lọc không hợp lệ" in response.content.decode()


def bulk_dossiers(unit, procedure, count):
    received = vn(2024, 3, 1, 9, 0)
    Dossier.objects.bulk_create(
        Dossier(
            code=f"BULK-{i:05d}",
            unit=unit,
            procedure=procedure,
            applicant_name=f"Người nộp {i}",
            processing_days=procedure.processing_days,
            received_at=received,
            due_at=received + timedelta(days=3),
        )
        for i in range(count)
    )


def test_counts_are_written_with_vietnamese_separators_and_pages_hold_fifty(client, units, procedures, cast):
    bulk_dossiers(units["pu_hong"], procedures["guardian"], 1234)
    login(client, cast["desk_pu_hong"])
    response = client.get("/ho-so/", {"sort": "code"})
    html = response.content.decode()
    assert "Tìm thấy <strong>1.234</strong> hồ sơ" in html
    assert "Trang 1/25" in html
    assert len(response.context["page"].object_list) == 50
    last = client.get("/ho-so/", {"sort": "code", "page": 25})
    assert [d.code for d in last.context["page"].object_list][-1] == "BULK-01233"
    assert len(last.context["page"].object_list) == 34


def pager(html):
    """The pager's links and marks as read: [(text, page or None)], in order."""
    nav = re.search(r'<nav class="pagination".*?</nav>', html, re.S).group(0)
    found = re.findall(r'<a href="\?[^"]*?page=(\d+)[^"]*"[^>]*>([^<]+)</a>|<span class="pager-(current|gap)"', nav)
    return [(text.strip(), int(number)) if number else (kind, None) for number, text, kind in found]


def test_the_pager_offers_first_previous_page_numbers_next_and_last(client, units, procedures, cast):
    bulk_dossiers(units["pu_hong"], procedures["guardian"], 1234)  # 25 pages of 50
    login(client, cast["desk_pu_hong"])

    first = pager(client.get("/ho-so/", {"sort": "code"}).content.decode())
    middle_html = client.get("/ho-so/", {"sort": "code", "page": 12}).content.decode()

    assert first == [("current", None), ("2", 2), ("3", 3), ("gap", None), ("25", 25), ("Trang sau ›", 2),
                     ("Trang cuối »", 25)]  # fmt: skip
    assert pager(middle_html) == [
        ("« Trang đầu", 1), ("‹ Trang trước", 11), ("1", 1), ("gap", None), ("10", 10), ("11", 11), ("current", None),
        ("13", 13), ("14", 14), ("gap", None), ("25", 25), ("Trang sau ›", 13), ("Trang cuối »", 25),
    ]  # fmt: skip
    assert '<span class="pager-current" aria-current="page">12</span>' in middle_html
    assert '<a href="?sort=code&amp;page=25" rel="last" class="pager-end">Trang cuối »</a>' in middle_html


def test_the_unit_column_appears_exactly_when_the_user_sees_several_units(client, dossiers, cast):
    for user, shown in ((cast["office"], True), (cast["home_affairs"], True), (cast["desk_pu_hong"], False)):
        login(client, user)
        for path in ("/ho-so/", "/"):
            html = client.get(path).content.decode()
            assert ('<th scope="col">Đơn vị</th>' in html) is shown, (user, path)
            assert ('<td class="unit" data-label="Đơn vị">UBND xã Pú Hồng</td>' in html) is shown, (user, path)
    # Today's codes no longer wrap: the code cell does not break (portal.css td.code).
    html = login(client, cast["office"]).get("/").content.decode()
    assert f'<td class="code" data-label="Mã hồ sơ"><a href="/ho-so/{dossiers["late"].code}/">' in html


def test_the_list_uses_the_same_number_of_queries_for_a_full_page(
    client, units, procedures, cast, django_assert_max_num_queries
):
    login(client, cast["office"])
    bulk_dossiers(units["pu_hong"], procedures["guardian"], 2)
    with django_assert_max_num_queries(10) as few:
        client.get("/ho-so/")
    Dossier.objects.bulk_create(
        Dossier(
            code=f"KL-{i:05d}",
            unit=units["keo_lom"],
            procedure=procedures["land"],
            applicant_name=f"Người nộp {i}",
            processing_days=5,
            received_at=vn(2024, 3, 1, 9, 0),
            due_at=vn(2024, 3, 8, 9, 0),
        )
        for i in range(120)
    )
    with django_assert_max_num_queries(10) as many:
        response = client.get("/ho-so/")
    assert len(response.context["page"].object_list) == 50
    assert len(many.captured_queries) == len(few.captured_queries)


# --- a dossier's page and its actions -----------------------------------------------------------------
def action(client, dossier, slug, **data):
    return client.post(
        reverse("cases:dossier_action", args=[dossier.code, slug]), {f"{slug}-{k}": v for k, v in data.items()}
    )


def messages_of(client, dossier):
    return [str(m) for m in client.get(f"/ho-so/{dossier.code}/").context["messages"]]


def test_the_dossier_page_shows_details_timeline_and_the_actions_its_state_allows(client, dossiers, cast):
    login(client, cast["desk_pu_hong"])
    response = client.get(f"/ho-so/{dossiers['married'].code}/")
    html = response.content.decode()
    assert "Lò Thị Mai" in html and "Thủ tục đăng ký kết hôn" in html
    assert "Tiếp nhận" in html and "Có kết quả" in html  # timeline
    assert "Có kết quả giải quyết hồ sơ." in html
    assert '<span class="badge badge-blue">Đúng hạn</span>' in html
    assert "Tiếp nhận hồ sơ; hẹn trả kết quả 05/03/2024 17:00." in html
    slugs = [item["slug"] for item in response.context["actions"]]
    # Received at the desk, so in the internal process: its official is named by handing the step over, not by
    # "Phân công" (tests/cases/test_process_views.py).
    assert slugs == ["tra-ket-qua", "sua-ngay"]
    open_slugs = [item["slug"] for item in client.get(f"/ho-so/{dossiers['land'].code}/").context["actions"]]
    assert open_slugs == ["yeu-cau-bo-sung", "tam-dung", "co-ket-qua", "tu-choi", "rut", "sua-ngay"]


def test_the_office_reads_a_dossier_but_gets_no_action_forms(client, dossiers, cast):
    response = login(client, cast["office"]).get(f"/ho-so/{dossiers['land'].code}/")
    assert response.status_code == 200
    assert response.context["actions"] == []
    assert "Bạn chỉ được xem hồ sơ này." in response.content.decode()


def test_requesting_a_supplement_stops_the_clock_and_prints_form_02(client, dossiers, cast):
    dossier = dossiers["land"]
    login(client, cast["desk_pu_hong"])
    response = action(client, dossier, "yeu-cau-bo-sung", missing_papers="Bản sao sổ hộ khẩu", reason="Thiếu giấy tờ")
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "bo_sung"
    assert ClockStop.objects.get(dossier=dossier).missing_papers == "Bản sao sổ hộ khẩu"
    form_02 = client.get(f"/ho-so/{dossier.code}/mau-02/").content.decode()
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in form_02
    assert "Bản sao sổ hộ khẩu" in form_02 and "Thiếu giấy tờ" in form_02


def test_papers_received_restart_the_clock_and_move_the_due_time(client, dossiers, cast):
    dossier = dossiers["land"]
    officer = cast["desk_pu_hong"]
    dossier.request_supplement(by=officer, missing_papers="Sổ hộ khẩu", at=vn(2024, 3, 7, 10, 0))
    login(client, officer)
    action(client, dossier, "nhan-bo-sung", at="")
    dossier.refresh_from_db()
    assert dossier.state == "dang_giai_quyet"
    assert dossier.due_at == vn(2024, 3, 12, 8, 0)  # one working day paused (Thu 10:00 → Fri 10:00)
    assert "Đã nhận hồ sơ bổ sung; thời hạn được tính tiếp." in messages_of(client, dossier)


def test_pausing_needs_a_reason_and_resuming_restarts(client, dossiers, cast):
    dossier = dossiers["land"]
    login(client, cast["desk_pu_hong"])
    response = action(client, dossier, "tam-dung", reason="")
    assert response.status_code == 400
    assert "Tạm dừng: vui lòng sửa các ô được đánh dấu." in response.content.decode()
    action(client, dossier, "tam-dung", reason="Chờ xác minh thực địa", at="08/03/2024 09:00")
    dossier.refresh_from_db()
    assert dossier.state == "tam_dung"
    assert dossier.clock_stopped_at == vn(2024, 3, 8, 9, 0)
    action(client, dossier, "tiep-tuc")
    dossier.refresh_from_db()
    assert dossier.state == "dang_giai_quyet"


def test_resolving_then_returning_the_result(client, dossiers, cast):
    dossier = dossiers["land"]
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "co-ket-qua", at="07/03/2024 16:30")
    action(client, dossier, "tra-ket-qua")
    dossier.refresh_from_db()
    assert dossier.resolved_at == vn(2024, 3, 7, 16, 30)
    assert dossier.returned_at == NOW
    assert dossier.state == "da_tra"
    assert list(dossier.events.values_list("kind", flat=True)) == ["received", "resolved", "returned"]


def test_a_step_the_state_does_not_allow_is_refused_with_a_message(client, dossiers, cast):
    dossier = dossiers["land"]
    dossier.request_supplement(by=cast["desk_pu_hong"], missing_papers="Sổ hộ khẩu")
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "co-ket-qua")
    dossier.refresh_from_db()
    assert dossier.resolved_at is None
    assert "Hồ sơ đang ở trạng thái «Chờ bổ sung», không thể ghi nhận có kết quả." in messages_of(client, dossier)


def test_a_step_in_the_future_is_refused(client, dossiers, cast):
    dossier = dossiers["land"]
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "co-ket-qua", at="09/03/2024 10:00")
    dossier.refresh_from_db()
    assert dossier.resolved_at is None
    assert "Thời điểm 10:00 09/03/2024 ở tương lai." in messages_of(client, dossier)


def test_refusing_records_the_reason_and_prints_form_03(client, dossiers, cast):
    dossier = dossiers["land"]
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "tu-choi", reason="Tranh chấp đã được Tòa án thụ lý")
    dossier.refresh_from_db()
    assert dossier.state == "tu_choi"
    form_03 = client.get(f"/ho-so/{dossier.code}/mau-03/").content.decode()
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ" in form_03
    assert "Tranh chấp đã được Tòa án thụ lý" in form_03


def test_form_03_does_not_exist_for_a_dossier_not_refused(client, dossiers, cast):
    login(client, cast["desk_pu_hong"])
    assert client.get(f"/ho-so/{dossiers['land'].code}/mau-03/").status_code == 404
    assert client.get(f"/ho-so/{dossiers['land'].code}/mau-02/").status_code == 404


def test_withdrawing(client, dossiers, cast):
    dossier = dossiers["late"]
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "rut", reason="Người nộp xin rút")
    dossier.refresh_from_db()
    assert dossier.state == "rut"
    assert dossier.ended_at == NOW


def test_correcting_a_date_needs_a_reason_and_keeps_the_old_value(client, dossiers, cast):
    dossier = dossiers["land"]
    old_due = dossier.due_at
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "sua-ngay", field="due_at", value="12/03/2024 17:00", reason="")
    dossier.refresh_from_db()
    assert dossier.due_at == old_due
    action(client, dossier, "sua-ngay", field="due_at", value="12/03/2024 17:00", reason="Nhập nhầm ngày hẹn")
    dossier.refresh_from_db()
    assert dossier.due_at == vn(2024, 3, 12, 17, 0)
    event = dossier.events.get(kind="corrected")
    assert event.reason == "Nhập nhầm ngày hẹn"
    html = client.get(f"/ho-so/{dossier.code}/").content.decode()
    assert "Sửa ngày hẹn trả từ 11/03/2024 08:00 thành 12/03/2024 17:00." in html


def test_assigning_a_handler_of_the_same_desk(client, dossiers, cast, django_user_model, units, procedures):
    colleague = django_user_model.objects.create_user("motcua.puhong2", first_name="Cà Văn D")
    Membership.objects.create(user=colleague, unit=units["pu_hong"], role=Role.DESK)
    # A dossier outside the internal process (imported, say): assignment names its handler.
    dossier = make("DBD-PH-CU-0001", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 8, 9))
    login(client, cast["desk_pu_hong"])
    action(client, dossier, "phan-cong", handler=cast["desk_keo_lom"].pk)
    dossier.refresh_from_db()
    assert dossier.handler is None
    action(client, dossier, "phan-cong", handler=colleague.pk)
    dossier.refresh_from_db()
    assert dossier.handler == colleague
    assert DossierEvent.objects.filter(dossier=dossier, kind="assigned").count() == 1


def test_an_unknown_action_is_not_found(client, dossiers, cast):
    login(client, cast["desk_pu_hong"])
    assert action(client, dossiers["land"], "xoa").status_code == 404


# --- Hôm nay ------------------------------------------------------------------------------------------
def test_today_shows_overdue_due_today_and_due_within_a_working_day(client, dossiers, units, procedures, cast):
    officer = cast["desk_pu_hong"]
    due_today = receive(units["pu_hong"], procedures["marriage"], "Sùng A Lử", vn(2024, 3, 8, 9, 0), by=officer)
    login(client, officer)
    response = client.get("/")
    sections = {section["key"]: section for section in response.context["sections"]}
    assert sections["overdue"]["count"] == 1
    assert [d.code for d in sections["overdue"]["dossiers"]] == [dossiers["late"].code]
    assert [d.code for d in sections["today"]["dossiers"]] == [due_today.code]
    # Friday 10:00 + one working day = Monday 10:00: the land dossier, due Monday 08:00.
    assert [d.code for d in sections["soon"]["dossiers"]] == [dossiers["land"].code]
    html = response.content.decode()
    assert 'class="today-section section-red" id="overdue"' in html
    assert 'class="today-section section-amber" id="today"' in html
    assert 'class="today-section section-green" id="soon"' in html
    assert f'href="/ho-so/{dossiers["late"].code}/"' in html


def test_today_for_the_office_counts_every_commune(client, dossiers, cast):
    response = login(client, cast["office"]).get("/")
    sections = {section["key"]: section for section in response.context["sections"]}
    assert sections["soon"]["count"] == 2  # Pú Hồng's land dossier and Keo Lôm's guardianship


def test_today_after_the_day_turns_moves_dossiers_into_overdue(client, dossiers, cast):
    with time_machine.travel(vn(2024, 3, 11, 9, 0), tick=False):
        # Logged in that morning: a session idle over the weekend has ended (SESSION_IDLE_MINUTES).
        response = login(client, cast["desk_pu_hong"]).get("/")
    sections = {section["key"]: section for section in response.context["sections"]}
    assert {d.code for d in sections["overdue"]["dossiers"]} == {dossiers["late"].code, dossiers["land"].code}
    assert sections["today"]["count"] == 0


def test_the_timeline_reads_as_sentences_with_dates_as_on_paper(client, dossiers, cast, units):
    """Issue 11, item 6: no field names, no ISO moments, the system named as such."""
    from cases.desk import timeline
    from cases.followup.overdue import flag_overdue

    late = dossiers["late"]
    officer = cast["desk_pu_hong"]
    late.assign(by=officer, handler=officer)
    late.request_supplement(by=officer, missing_papers="Bản sao giấy khai sinh", at=vn(2024, 3, 6, 9, 0))
    late.receive_supplement(by=officer, at=vn(2024, 3, 7, 9, 0))
    flag_overdue(as_of=vn(2024, 3, 8, 9, 30))
    login(client, officer)
    html = client.get(f"/ho-so/{late.code}/").content.decode()
    lines = [line.as_text() for line in timeline.lines(late.events.select_related("by"))]
    assert lines == [
        "01/03/2024 09:00 — Lò Văn A: Tiếp nhận hồ sơ; hẹn trả kết quả 06/03/2024 09:00.",
        "06/03/2024 09:00 — Lò Văn A: Yêu cầu người nộp bổ sung, hoàn thiện hồ sơ; dừng tính thời hạn giải quyết"
        " từ lúc này. Ghi chú: Bản sao giấy khai sinh",
        "07/03/2024 09:00 — Lò Văn A: Nhận hồ sơ bổ sung, tính tiếp thời hạn giải quyết; ngày hẹn trả chuyển từ"
        " 06/03/2024 09:00 sang 07/03/2024 09:00.",
        "08/03/2024 09:30 — Hệ thống (tự động): Hồ sơ quá hạn: đã qua thời điểm hẹn trả mà chưa có kết quả"
        " (ghi nhận lúc 08/03/2024 09:30).",
        "08/03/2024 10:00 — Lò Văn A: Phân công Lò Văn A xử lý hồ sơ.",  # recorded now: the frozen Friday 10:00
    ]
    for line in lines:
        assert line.split(": ", 1)[1] in html.replace("<br>", "") or "Ghi chú" in line
    assert "overdue_since" not in html and "+07:00" not in html and "hệ thống</span>" not in html
