"""The dossier list at a province's scale: names found with or without diacritics, the subtree as literal ids,
the count capped and keyset pages past it (issue 12)."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.core import pager
from cases.core.copy import bulk_insert
from cases.core.text import fold
from cases.desk.models import Dossier
from cases.views import desk as desk_views
from tests.conftest import make, vn

NAMES = {
    "A1": "Nguyễn Văn An",
    "A2": "NGUYỄN  VĂN   ĐỨC",
    "A3": "Nguyễn Thị Bình",
    "A4": "Lê Văn Cường",
    "A5": "Đặng Thị Ánh Tuyết",
}


def codes(response):
    return {dossier.code for dossier in response.context["page"].object_list}


@pytest.fixture
def named(units, procedures):
    for number, (code, name) in enumerate(NAMES.items()):
        dossier = make(code, units["pu_hong"], procedures["land"], vn(2024, 3, 1 + number, 9), vn(2024, 3, 20, 17))
        # A correction of the name and phone: the folded column follows the update.
        Dossier.objects.filter(pk=dossier.pk).update(applicant_name=name, applicant_phone=f"091234567{number}")


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("nguyen van", {"A1", "A2"}),  # without diacritics finds the names written with them
        ("Nguyễn Văn", {"A1", "A2"}),  # with diacritics finds them too (and the upper-case one)
        ("NGUYEN   van", {"A1", "A2"}),  # spaces and case do not matter
        ("đuc", {"A2"}),
        ("duc", {"A2"}),
        ("anh tuyet", {"A5"}),
        ("dang", {"A5"}),  # Đ is a D
        ("Cương", {"A4"}),  # a mark typed wrong still finds the letters
        ("nguyen thi an", set()),
    ],
)
def test_the_applicant_is_found_with_or_without_diacritics(client, cast, named, typed, found):
    client.force_login(cast["office"])
    response = client.get(reverse("cases:dossier_list"), {"applicant": typed})
    assert codes(response) == found
    assert response.context["page"].count == len(found)


def test_code_and_phone_search_by_their_beginning(client, cast, named):
    client.force_login(cast["desk_pu_hong"])
    url = reverse("cases:dossier_list")
    assert codes(client.get(url, {"code": "a"})) == set(NAMES)  # codes are upper case; typed case does not matter
    assert codes(client.get(url, {"code": "A3"})) == {"A3"}
    assert codes(client.get(url, {"phone": "+84 912.345.672"})) == {"A3"}  # written as the phone rule accepts
    assert codes(client.get(url, {"phone": "0912"})) == set(NAMES)
    assert codes(client.get(url, {"phone": "0988"})) == set()


def test_the_folded_name_is_kept_by_the_database_on_every_write_path(units, procedures):
    """The desk's receipt, a correction of the name, the bulk writer's COPY: the folded column follows, and equals
    fold() in Python for every name the name rule lets in."""
    dossier = Dossier.receive(unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Lò Thị Ưởng")
    dossier.refresh_from_db()
    assert dossier.applicant_folded == "lo thi uong"
    Dossier.objects.filter(pk=dossier.pk).update(applicant_name="Giàng A Dế")
    dossier.refresh_from_db()
    assert dossier.applicant_folded == "giang a de"
    now = timezone.now()
    odd = ["Quàng Văn Ọc", "  Hà\u00a0Thị\tNgọc  ", "Nguye\u0300\u0302n Vu\u031b\u0303", "Ðinh Ø Ü", "Vi Thị Xuân-Hoa"]
    rows = [
        {
            "code": f"BULK-{number}",
            "procedure_id": procedures["land"].pk,
            "unit_id": units["keo_lom"].pk,
            "applicant_name": name,
            "processing_days": 5,
            "received_at": now,
            "due_at": now,
        }  # fmt: skip
        for number, name in enumerate(odd)
    ]
    bulk_insert(Dossier, rows, now)
    stored = dict(Dossier.objects.filter(code__startswith="BULK-").values_list("applicant_name", "applicant_folded"))
    assert stored == {name: fold(name) for name in odd}


def test_the_office_filters_its_subtree_with_a_literal_id_list(client, cast, units, procedures):
    """`unit_id IN (3, 4, …)`, never `IN (SELECT … path LIKE …)`: the planner then sees the units (and their
    indexes) instead of reading the table once per unit."""
    make("IN-PH", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 20, 17))
    make("IN-KL", units["keo_lom"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 20, 17))
    make("OUT-KN", units["krong_no"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 20, 17))
    client.force_login(cast["office"])
    for page, params in [
        ("cases:dossier_list", {}),
        ("cases:dossier_list", {"unit": units["district"].pk}),
        ("cases:dossier_list", {"applicant": "nguoi nop", "sort": "due_at"}),
        ("cases:today", {}),
    ]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(page), params)
        assert response.status_code == 200
        dossier_queries = [q["sql"] for q in queries.captured_queries if 'FROM "cases_dossier"' in q["sql"]]
        assert dossier_queries, page
        for sql in dossier_queries:
            assert re.search(r'"cases_dossier"\."unit_id" IN \(\d+(, \d+)*\)', sql), sql
            assert "path" not in sql.split(" WHERE ", 1)[1], sql
        if page == "cases:dossier_list":
            assert codes(response) == {"IN-PH", "IN-KL"}


@pytest.fixture
def many(units, procedures, monkeypatch):
    """Nine dossiers, two a page, a count that stops at four: pages 1–2 by number, the rest by keyset."""
    monkeypatch.setattr(desk_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(pager, "COUNT_CAP", 4)
    for number in range(9):
        # Two share a due time: the id breaks the tie, so no row repeats or goes missing across pages.
        make(f"K{number}", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 10 + number // 2, 17))
    return [f"K{number}" for number in range(9)]


def link(response, rel):
    found = re.search(rf'href="([^"]+)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def shown(response):
    return [dossier.code for dossier in response.context["page"].object_list]


def test_the_pager_walks_past_the_counted_rows_by_keyset_and_back(client, cast, many):
    client.force_login(cast["desk_pu_hong"])
    url = reverse("cases:dossier_list")
    response = client.get(url, {"sort": "due_at"})
    assert "Tìm thấy <strong>hơn 4</strong> hồ sơ" in response.content.decode()
    seen, pages = [], []
    while True:
        seen += shown(response)
        pages.append(response.context["page"].number)
        following = link(response, "next")
        if following is None:
            break
        response = client.get(url + following)
    assert seen == many  # every dossier once, in due order, the tie by id
    assert pages == [1, 2, 3, 4, 5]
    assert "sau=" in url + link(client.get(url, {"sort": "due_at", "page": 2}), "next")  # past the cap: a keyset
    # Back from the deepest page, one page at a time, to the first.
    back = []
    while (previous := link(response, "prev")) is not None:
        response = client.get(url + previous)
        back = shown(response) + back
    assert back == many[:8]
    # "Trang cuối" without counting: the reversed order's first page, in the page's order.
    last = client.get(url + link(client.get(url, {"sort": "-due_at"}), "last"))
    assert shown(last) == ["K1", "K0"]
    assert link(last, "next") is None
    assert shown(client.get(url + link(last, "prev"))) == ["K3", "K2"]


def test_a_short_list_keeps_its_numbered_pages_and_exact_count(client, cast, many, monkeypatch):
    monkeypatch.setattr(pager, "COUNT_CAP", 100)
    client.force_login(cast["desk_pu_hong"])
    response = client.get(reverse("cases:dossier_list"), {"sort": "code", "page": 5})
    page = response.context["page"]
    assert (page.count, page.num_pages, page.number) == (9, 5, 5)
    assert shown(response) == ["K8"]
    assert "Trang 5/5" in response.content.decode()
    assert link(response, "prev").endswith("page=4")


def test_a_hand_edited_cursor_shows_the_first_page(client, cast, many):
    client.force_login(cast["desk_pu_hong"])
    response = client.get(reverse("cases:dossier_list"), {"sort": "due_at", "sau": "not-a-date~x"})
    assert response.status_code == 200
    assert shown(response) == ["K0", "K1"]


def test_the_list_renders_no_procedure_options_but_the_chosen_one(client, cast, procedures):
    client.force_login(cast["office"])
    page = client.get(reverse("cases:dossier_list")).content.decode()
    select = re.search(r'<select name="procedure".*?</select>', page, re.S).group(0)
    assert select.count("<option") == 1  # "Tất cả"; the page's script searches /thu-tuc/tim/
    chosen = client.get(reverse("cases:dossier_list"), {"procedure": procedures["land"].pk}).content.decode()
    select = re.search(r'<select name="procedure".*?</select>', chosen, re.S).group(0)
    assert select.count("<option") == 2 and procedures["land"].code in select and "selected" in select
