import io
import json

import pytest
import time_machine
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from reports.documents.xlsx import COLUMNS
from reports.documents.xlsx import value as xlsx_value
from reports.figures import wording
from reports.figures.tally import tally
from tests.conftest import PASSWORD, vn

MARCH = {"ky": "thang", "nam": "2024", "thang": "3"}


@pytest.fixture
def office(client, cast):
    client.login(username=cast["office"].username, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def _april_2024():
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


def test_the_office_sees_its_district_figures_and_the_letter_text(office, march, units):
    response = office.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "UBND huyện Điện Biên Đông — từ ngày 01/03/2024 đến ngày 31/03/2024" in page
    assert "UBND xã Pú Hồng (01 hồ sơ TTHC đã giải quyết quá hạn, 03 hồ sơ TTHC đang giải quyết quá hạn)" in page
    # Communes and offices apart.
    assert [row["unit"].code for row in response.context["offices"]] == ["DBD", "DBD-KTHT"]
    assert [row["unit"].code for row in response.context["communes"]] == ["DBD-PH", "DBD-KL", "DBD-PG"]
    # Pú Hồng's on-time rate, Vietnamese decimal comma, coloured below target.
    assert 'class="rate-bad">66,67%' in page
    assert response.context["result"].totals == tally(response.context["period"], scope=units["district"]).totals


def test_each_number_links_to_the_dossiers_behind_it(office, march, units):
    response = office.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD"})
    pu_hong = next(row for row in response.context["communes"] if row["unit"].code == "DBD-PH")
    link = pu_hong["links"]["resolved_late"]
    assert "so_lieu=resolved_late" in link and f"unit={units['pu_hong'].pk}" in link
    assert "ky_tu=01%2F03%2F2024" in link and "ky_den=31%2F03%2F2024" in link


def test_a_commune_officer_cannot_read_another_communes_figures(client, cast, march):
    client.login(username=cast["desk_pu_hong"].username, password=PASSWORD)
    assert client.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD-KL"}).status_code == 404
    assert client.get(reverse("reports:download", args=["json"]), {**MARCH, "don_vi": "DBD"}).status_code == 404
    # Their own figures only, by default.
    own = client.get(reverse("reports:index"), MARCH)
    assert own.context["result"].scope.code == "DBD-PH"
    assert "UBND xã Keo Lôm" not in own.content.decode()


def test_the_outsider_sees_none_of_the_district(client, cast, march):
    client.login(username=cast["outsider"].username, password=PASSWORD)
    assert client.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD"}).status_code == 404


def test_downloads_carry_the_same_figures(office, march, units):
    params = {**MARCH, "don_vi": "DBD"}
    page = office.get(reverse("reports:index"), params).context["result"]
    expected = {key: getattr(page.totals, key) for key, _ in COLUMNS}
    assert expected["received_total"] == 12 and expected["resolved_late"] == 1  # the hand-counted March

    data = json.loads(office.get(reverse("reports:download", args=["json"]), params).content)
    carried = data["totals"]  # the JSON names the two channels apart (EXCHANGE_FORMAT.md)
    carried["received_direct_or_postal"] = carried["received_direct"] + carried["received_postal"]
    assert {key: carried[key] for key in expected} == expected
    assert data["text"] == wording.text(page)

    xlsx = office.get(reverse("reports:download", args=["xlsx"]), params)
    assert 'filename="so-lieu-DBD-20240301-20240331.xlsx"' in xlsx["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["Tổng hợp"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    (header,) = [row for row in rows if "Tổng số hồ sơ tiếp nhận" in row]
    (totals,) = [row for row in rows if "Tổng cộng" in row]
    first = header.index("Tổng số hồ sơ tiếp nhận")
    # Counts as they are; rates as the fraction a percent cell shows (97,51% is 0.9751).
    assert dict(zip(expected, totals[first : first + len(COLUMNS)], strict=True)) == {
        key: xlsx_value(page.totals, key) for key in expected
    }

    docx = office.get(reverse("reports:download", args=["docx"]), params)
    letter = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    for paragraph in wording.paragraphs(page):
        assert paragraph in letter


def test_a_wrong_period_is_explained_not_crashed(office, march):
    response = office.get(reverse("reports:index"), {"ky": "khoang", "tu": "31/02/2024", "den": "01/03/2024"})
    assert response.status_code == 200
    assert "Ngày «31/02/2024» không đọc được" in response.content.decode()


def test_the_weekly_report_shows_the_week_and_the_year_to_date(office, march):
    response = office.get(reverse("reports:weekly"), {"don_vi": "DBD", "ngay": "08/03/2024"})
    assert response.status_code == 200
    week, to_date = response.context["week"], response.context["to_date"]
    assert (week.period.start.isoformat(), week.period.end.isoformat()) == ("2024-03-02", "2024-03-08")
    assert to_date.period.start.isoformat() == "2024-01-01"
    assert week.totals.received_in_period <= to_date.totals.received_in_period


def test_the_dashboard_uses_a_fixed_number_of_queries(office, march, units, django_assert_num_queries):
    from cases.models import Level, Unit

    # 15 for the figures (two of them the satisfaction rates, by unit and by official) and 2 for the header's badge:
    # the office's visible unit ids, read as a literal list (the planner then uses the sort and (unit, …) indexes,
    # issue 12), and its open dossiers as its Today page counts them.
    # 5 for the steps (reports.figures.officials): the freezes, the finished steps, the late ones (and the calendar
    # when one is), those held overdue at the end, the open steps now.
    with django_assert_num_queries(22):
        office.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD"})
    for number in range(5):
        Unit.objects.create(
            code=f"DBD-X{number}", name=f"UBND xã Thử {number}", level=Level.COMMUNE, parent=units["district"]
        )
    # More units, the same queries: no query per row.
    with django_assert_num_queries(22):
        office.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD"})


def test_the_same_figures_in_the_dashboard_json_xlsx_and_text(office, march, units, tmp_path):
    """One definition: every form the office reads carries the same numbers for the same scope and period."""
    import io

    from openpyxl import load_workbook

    from reports.documents.xlsx import COLUMNS, value
    from reports.figures import wording
    from reports.figures.counters import COUNTER_NAMES

    params = {**MARCH, "don_vi": "DBD"}
    dashboard = office.get(reverse("reports:index"), params).context["result"]
    data = json.loads(office.get(reverse("reports:download", args=["json"]), params).content)
    book = load_workbook(io.BytesIO(office.get(reverse("reports:download", args=["xlsx"]), params).content))
    sheet = book["Tổng hợp"]
    total_row = next(row for row in sheet.iter_rows(min_row=5, values_only=True) if row[1] == "Tổng cộng")
    # Columns after code, name and level, in the order of reports.xlsx.COLUMNS.
    xlsx_totals = {key: total_row[3 + index] for index, (key, _) in enumerate(COLUMNS)}
    text = data["text"]

    totals = dashboard.totals
    assert {name: data["totals"][name] for name in COUNTER_NAMES} == {
        name: getattr(totals, name) for name in COUNTER_NAMES
    }
    for key, _ in COLUMNS:
        expected = value(totals, key)
        assert xlsx_totals[key] == expected, key
    assert xlsx_totals["received_total"] == 12
    # A rate cell holds the fraction its 0.00% format shows: 0.75 reads 75,00%, as the page writes 75,00%.
    assert round(xlsx_totals["on_time_rate"] * 100, 2) == data["totals"]["on_time_rate"]
    assert f"đã tiếp nhận {wording.number(totals.received_total)} hồ sơ" in text
    assert f"(đạt tỷ lệ {wording.percent(totals.on_time_rate)})" in text
    assert text == "\n\n".join(wording.paragraphs(dashboard))
    for row in dashboard.units:
        unit_json = next(u for u in data["units"] if u["code"] == row.unit.code)
        assert {name: unit_json[name] for name in COUNTER_NAMES} == {n: getattr(row.counters, n) for n in COUNTER_NAMES}


# --- the menu (issue 11, item 1) -------------------------------------------------------------------------------
def menu_links(client):
    """The header's links, as (text, href), from the Today page."""
    import re

    html = client.get(reverse("cases:today")).content.decode()
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    return {text.strip(): href for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


def test_home_affairs_reaches_its_page_and_the_weekly_report_from_the_menu(client, cast):
    client.login(username=cast["home_affairs"].username, password=PASSWORD)
    links = menu_links(client)
    assert links["Đánh giá, xếp loại"] == reverse("reports:homeaffairs")
    assert links["Báo cáo tuần"] == reverse("reports:weekly")
    page = client.get(links["Đánh giá, xếp loại"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'aria-current="page">Đánh giá, xếp loại' in html
    # No configuration names on a page an officer reads.
    assert "APPRAISAL_RULES" not in html and "Cách xếp loại đang áp dụng" in html


def test_the_menu_offers_each_report_to_those_who_may_open_it(client, cast):
    for role, homeaffairs in (("office", True), ("desk_pu_hong", False), ("outsider", False)):
        client.login(username=cast[role].username, password=PASSWORD)
        links = menu_links(client)
        assert ("Đánh giá, xếp loại" in links) is homeaffairs, role
        assert "Báo cáo tuần" in links and "Báo cáo" in links, role
        assert client.get(reverse("reports:homeaffairs")).status_code == (200 if homeaffairs else 403), role
        assert client.get(links["Báo cáo tuần"]).status_code == 200, role


@pytest.fixture
def two_home_affairs(units):
    """Phòng Nội vụ of Điện Biên Đông and of Krông Nô: the same name under two parents."""
    from cases.models import Level, Unit, UnitKind

    return [
        Unit.objects.create(code=code, name="Phòng Nội vụ", level=Level.DISTRICT, kind=UnitKind.OFFICE, parent=parent)
        for code, parent in (("DBD-NV", units["district"]), ("KN-NV", units["krong_no"]))
    ]


def test_the_whole_system_dashboard_names_the_parent_of_units_that_share_a_name(client, cast, march, two_home_affairs):
    import io

    from openpyxl import load_workbook

    client.force_login(cast["admin"])
    response = client.get(reverse("reports:index"), MARCH)
    page = response.content.decode()

    # Two roots (Điện Biên, Krông Nô): the heading and the select both say "Toàn hệ thống".
    assert '<p class="report-scope">Toàn hệ thống — ' in page
    assert '<option value="" selected>Toàn hệ thống</option>' in page
    assert 'value="DB" selected' not in page
    for name in ("Phòng Nội vụ (UBND huyện Điện Biên Đông)", "Phòng Nội vụ (UBND huyện Krông Nô)"):
        assert f'<th scope="row">{name}</th>' in page  # a dashboard row
        assert f">{name}</option>" in page  # the unit select
    # A name no other unit bears stays as it is.
    assert '<th scope="row">Phòng Kinh tế - Hạ tầng</th>' in page
    # The workbook names them the same way.
    book = load_workbook(io.BytesIO(client.get(reverse("reports:download", args=["xlsx"]), MARCH).content))
    names = {row[1] for row in book["Tổng hợp"].iter_rows(values_only=True)}
    assert {"Phòng Nội vụ (UBND huyện Điện Biên Đông)", "Phòng Nội vụ (UBND huyện Krông Nô)"} <= names
    # The dossier list's unit select too.
    listing = client.get(reverse("cases:dossier_list")).content.decode()
    assert ">Phòng Nội vụ (UBND huyện Krông Nô)</option>" in listing


def test_a_district_office_sees_its_one_phong_noi_vu_by_its_name_alone(office, march, two_home_affairs):
    page = office.get(reverse("reports:index"), {**MARCH, "don_vi": "DBD"}).content.decode()
    assert '<th scope="row">Phòng Nội vụ</th>' in page
    assert "Toàn hệ thống" not in page  # the office's select offers its own units only
    assert '<option value="DBD" selected>UBND huyện Điện Biên Đông</option>' in page
