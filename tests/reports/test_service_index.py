"""The service index (Decision 766) of March 2024, worked out by hand from the `march` fixture."""

import io
import json

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from cases.desk.states import Satisfaction
from cases.models import Dossier, Rating
from reports.figures.service_index import rules, service_index
from tests.conftest import PASSWORD, vn


@pytest.fixture(autouse=True)
def _april_2024():
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


def _by_code(index):
    return {row.unit.code: row for row in index.units}


def test_a_commune_gets_each_groups_points_by_the_rules(scored, units):
    row = _by_code(service_index(scored, scope=units["district"]))["DBD-PH"]
    # Timeliness: (early 4 + on time 2 + open within deadline 5, 7, 11) / (3 resolved + 6 open) = 5/9 × 20.
    assert row.group("timeliness").points == 11.11
    assert row.group("timeliness").needs == ["1 hồ sơ giải quyết quá hạn", "3 hồ sơ đang giải quyết quá hạn"]
    # Online: 2 of 8 received = 25%, half of the 50% threshold: 6 of 12; 4 of 8 would be full points.
    assert row.group("online").points == 6.00
    assert row.group("online").needs == ["thêm 2 hồ sơ trực tuyến"]
    # Digitisation: 22 × (½ × 1/3 + ½ × 2/8) = 22 × 7/24 = 6.4166…
    assert row.group("digitisation").points == 6.42
    assert row.group("digitisation").needs == ["số hóa thêm 2 kết quả", "số hóa thêm 6 hồ sơ (thành phần hồ sơ)"]
    # Satisfaction: 2 of 3 ratings in March.
    assert row.group("satisfaction").points == 12.00
    assert row.group("satisfaction").needs == ["1 đánh giá không hài lòng"]
    assert (row.measured_points, row.measured_max) == (35.53, 72)
    # Not measured is not zero.
    assert row.group("transparency").points is None and not row.group("transparency").measured
    assert row.group("payment").points is None


def test_groups_with_nothing_to_measure_are_null(scored, units):
    index = _by_code(service_index(scored, scope=units["district"]))
    keo_lom = index["DBD-KL"]
    assert keo_lom.group("timeliness").points == 20.00 and keo_lom.group("timeliness").needs == []
    assert keo_lom.group("online").points == 12.00
    assert keo_lom.group("digitisation").points == 0.00
    assert keo_lom.group("satisfaction").points is None
    assert (keo_lom.measured_points, keo_lom.measured_max) == (32.00, 54)
    empty = index["DBD-PG"]
    assert [group.points for group in empty.groups] == [None] * 6
    assert (empty.measured_points, empty.measured_max) == (None, 0)


def test_the_scope_totals_add_the_counts_not_the_points(scored, units):
    totals = service_index(scored, scope=units["district"]).totals
    # Timeliness 6/10; online 3 of 9 over 50%; digitisation 22 × (½ × 1/4 + ½ × 2/9) = 5.194…
    assert [totals.group(key).points for key in ("timeliness", "online", "digitisation", "satisfaction")] == [
        12.00,
        8.00,
        5.19,
        12.00,
    ]
    assert totals.group("online").needs == ["thêm 2 hồ sơ trực tuyến"]
    assert (totals.measured_points, totals.measured_max) == (37.19, 72)


def test_weights_and_thresholds_are_settings(scored, units, settings):
    settings.SERVICE_INDEX_RULES = {**settings.SERVICE_INDEX_RULES, "online": {"points": 10, "threshold": 20}}
    row = _by_code(service_index(scored, scope=units["district"]))["DBD-PH"]
    assert row.group("online").points == 10.00 and row.group("online").needs == []
    assert "10 × tỷ lệ hồ sơ tiếp nhận trực tuyến" in row.group("online").rule
    assert "đạt từ 20% trở lên được đủ 10 điểm" in row.group("online").rule
    with pytest.raises(ImproperlyConfigured):
        rules({"speed": {"points": 5}})


def test_the_command_writes_the_exchange_json(scored, capsys):
    call_command("service_index", "--from", "01/03/2024", "--to", "31/03/2024", "--unit", "DBD", "--format", "json")
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"period", "scope", "units", "totals"}
    assert document["period"] == {"from": "2024-03-01", "to": "2024-03-31"}
    assert document["scope"] == {"code": "DBD", "name": "UBND huyện Điện Biên Đông"}
    pu_hong = next(unit for unit in document["units"] if unit["code"] == "DBD-PH")
    assert set(pu_hong) == {
        "code",
        "name",
        "timeliness_points",
        "online_points",
        "digitisation_points",
        "satisfaction_points",
        "measured_points",
        "measured_max",
        "counts",
    }
    assert pu_hong["timeliness_points"] == 11.11 and pu_hong["digitisation_points"] == 6.42
    assert pu_hong["counts"]["rated"] == 3 and pu_hong["counts"]["papers_digitized"] == 2
    phinh_giang = next(unit for unit in document["units"] if unit["code"] == "DBD-PG")
    assert phinh_giang["satisfaction_points"] is None and phinh_giang["measured_max"] == 0
    assert document["totals"]["measured_points"] == 37.19


def test_the_command_writes_a_safe_workbook(scored, units, tmp_path):
    Dossier.objects.filter(unit=units["pu_hong"]).update()
    units["pu_hong"].name = '=HYPERLINK("http://x")'
    units["pu_hong"].save()
    path = tmp_path / "chi-so.xlsx"
    call_command("service_index", "--from", "2024-03-01", "--to", "2024-03-31", "--unit", "DBD", "--format", "xlsx",
                 "--output", str(path))  # fmt: skip
    sheet = load_workbook(path).active
    rows = [row for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] == "DBD-PH"]
    by_group = {row[2]: row for row in rows}
    assert by_group["Tiến độ giải quyết"][4] == 11.11
    assert by_group["Công khai, minh bạch"][4] == "Không tính"
    assert by_group["Dịch vụ công trực tuyến"][7] == "thêm 2 hồ sơ trực tuyến"
    assert by_group["Cộng các nhóm đo được"][3:5] == (72, 35.53)
    # A name that looks like a formula stays text.
    cell = next(c for c in sheet["B"] if c.value == '=HYPERLINK("http://x")')
    assert cell.data_type == "s"


MARCH = {"ky": "thang", "nam": "2024", "thang": "3"}


def test_the_office_sees_each_units_points_rule_and_needs(client, cast, scored):
    client.login(username=cast["office"].username, password=PASSWORD)
    dashboard = client.get(reverse("reports:index"), MARCH).content.decode()
    assert reverse("reports:service_index") in dashboard
    page = client.get(reverse("reports:service_index"), MARCH).content.decode()
    assert "UBND xã Pú Hồng — 35,53/72 điểm đo được" in page
    assert "11,11" in page and "6,42" in page
    assert "thêm 2 hồ sơ trực tuyến" in page and "1 đánh giá không hài lòng" in page
    assert "Chưa đo" in page  # transparency and online payment, never 0
    assert "12 × tỷ lệ hồ sơ tiếp nhận trực tuyến" in page
    document = json.loads(client.get(reverse("reports:service_index_download", args=["json"]), MARCH).content)
    assert document["totals"]["measured_points"] == 37.19


def test_a_commune_sees_only_its_own_index(client, cast, scored):
    client.login(username=cast["desk_pu_hong"].username, password=PASSWORD)
    page = client.get(reverse("reports:service_index"), MARCH).content.decode()
    assert "UBND xã Pú Hồng — 35,53/72" in page and "Keo Lôm" not in page
    assert client.get(reverse("reports:service_index"), {**MARCH, "don_vi": "DBD-KL"}).status_code == 404
    book = client.get(reverse("reports:service_index_download", args=["xlsx"]), MARCH)
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert {row[0] for row in sheet.iter_rows(min_row=4, values_only=True)} == {"DBD-PH", "Tổng cộng"}


def test_the_dashboard_shows_satisfaction_and_the_office_lists_the_unsatisfied(client, cast, scored):
    client.login(username=cast["office"].username, password=PASSWORD)
    Rating.objects.filter(level=Satisfaction.NOT_SATISFIED, rated_at__month=3).update(comment="Chờ lâu quá")
    page = client.get(reverse("reports:index"), MARCH).content.decode()
    assert "Mức độ hài lòng của người dân" in page
    assert '<td>3</td><td>2</td><td class="bad">1</td><td>66,67%</td>' in page
    listed = client.get(reverse("reports:unsatisfied"), MARCH).content.decode()
    assert "Chờ lâu quá" in listed and reverse("cases:dossier_detail", args=["6"]) in listed
    assert ">13<" not in listed  # rated in April
    april = client.get(reverse("reports:unsatisfied"), {"ky": "thang", "nam": "2024", "thang": "4"})
    assert reverse("cases:dossier_detail", args=["13"]) in april.content.decode()
    client.login(username=cast["desk_keo_lom"].username, password=PASSWORD)
    assert "Chờ lâu quá" not in client.get(reverse("reports:unsatisfied"), MARCH).content.decode()
