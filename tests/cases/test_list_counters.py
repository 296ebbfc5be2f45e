"""The dossier list behind a dashboard number: the same count on the dashboard and in the list."""

import pytest
import time_machine
from django.urls import reverse
from django.utils.http import urlencode

from cases.desk import access
from reports.figures.counters import COUNTER_NAMES
from reports.figures.tally import tally
from tests.conftest import vn

MARCH = {"ky_tu": "01/03/2024", "ky_den": "31/03/2024"}


@pytest.fixture(autouse=True)
def _april_2024():
    with time_machine.travel(vn(2024, 4, 10, 9), tick=False):
        yield


def listed(client, **params):
    response = client.get(reverse("cases:dossier_list"), {**MARCH, **params})
    assert response.status_code == 200
    return response


def codes(response):
    return {dossier.code for dossier in response.context["page"].object_list}


@pytest.mark.parametrize("counter", COUNTER_NAMES)
def test_each_units_number_on_the_dashboard_is_the_count_of_its_list(client, cast, units, march, counter):  # noqa: F811
    office = cast["office"]
    client.force_login(office)
    result = tally(march, scope=units["district"], allowed_units=access.visible_units(office))
    for row in result.units:
        response = listed(client, so_lieu=counter, unit=row.unit.pk)
        assert response.context["page"].count == getattr(row.counters, counter), (counter, row.unit.code)
    totals = listed(client, so_lieu=counter, trong_don_vi=units["district"].pk)
    assert totals.context["page"].count == getattr(result.totals, counter), counter


def test_the_dashboards_own_links_lead_to_the_same_numbers(client, cast, units, march):  # noqa: F811
    client.force_login(cast["office"])
    dashboard = client.get(reverse("reports:index"), {"ky": "thang", "nam": "2024", "thang": "3", "don_vi": "DBD"})
    pu_hong = next(row for row in dashboard.context["communes"] if row["unit"].code == "DBD-PH")
    for counter in ("resolved_late", "in_progress_overdue", "received_online"):
        response = client.get(pu_hong["links"][counter])
        assert response.context["page"].count == getattr(pu_hong["counters"], counter)
    total = client.get(dashboard.context["total_links"]["in_progress_overdue"])
    assert total.context["page"].count == dashboard.context["result"].totals.in_progress_overdue


def test_the_list_says_which_number_it_shows(client, cast, units, march):  # noqa: F811
    client.force_login(cast["office"])
    response = listed(client, so_lieu="resolved_late", unit=units["pu_hong"].pk)
    assert codes(response) == {"6"}
    assert (
        "Hồ sơ đã giải quyết quá hạn, từ ngày 01/03/2024 đến ngày 31/03/2024 — UBND xã Pú Hồng"
        in response.content.decode()
    )
    subtree = listed(client, so_lieu="in_progress_overdue", trong_don_vi=units["district"].pk)
    assert codes(subtree) == {"3", "8", "13"}
    assert (
        "Hồ sơ đang giải quyết quá hạn, từ ngày 01/03/2024 đến ngày 31/03/2024 — UBND huyện Điện Biên Đông và các "
        "đơn vị trực thuộc" in subtree.content.decode()
    )


def test_the_counter_keeps_through_other_filters(client, cast, units, march):  # noqa: F811
    client.force_login(cast["office"])
    response = listed(client, so_lieu="received_in_period", trong_don_vi=units["district"].pk, channel="truc_tuyen")
    assert codes(response) == {"4", "5", "12"}
    html = response.content.decode()
    # The form carries the counter on, hidden, so "Lọc" refines the same number.
    assert 'name="so_lieu" value="received_in_period"' in html and 'name="ky_tu" value="01/03/2024"' in html


def test_a_counter_link_for_a_unit_outside_the_scope_shows_nothing(client, cast, units, march):  # noqa: F811
    client.force_login(cast["desk_pu_hong"])
    assert codes(listed(client, so_lieu="received_total", unit=units["keo_lom"].pk)) == set()
    assert codes(listed(client, so_lieu="received_total", trong_don_vi=units["district"].pk)) == set()
    assert codes(listed(client, so_lieu="received_total", trong_don_vi=units["keo_lom"].pk)) == set()
    # Their own is there.
    own = listed(client, so_lieu="resolved_total", trong_don_vi=units["pu_hong"].pk)
    assert codes(own) == {"2", "4", "6"}


def test_without_a_unit_the_counter_covers_what_the_user_may_see(client, cast, units, march):  # noqa: F811
    client.force_login(cast["desk_pu_hong"])
    response = listed(client, so_lieu="received_online")
    assert codes(response) == {"4", "5"}  # not Keo Lôm's 12
    assert "— tất cả đơn vị bạn được xem" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"so_lieu": "received_total", "ky_tu": "", "ky_den": ""},
        {"so_lieu": "received_total", "ky_tu": "31/03/2024", "ky_den": "01/03/2024"},
        {"so_lieu": "khong_co", "ky_tu": "01/03/2024", "ky_den": "31/03/2024"},
        {"so_lieu": "received_total", "ky_tu": "31/02/2024", "ky_den": "31/03/2024"},
    ],
)
def test_a_broken_counter_link_shows_nothing_and_says_why(client, cast, march, params):  # noqa: F811
    client.force_login(cast["office"])
    response = client.get(reverse("cases:dossier_list"), params)
    assert response.status_code == 200
    assert codes(response) == set()
    assert "Điều kiện lọc không hợp lệ" in response.content.decode()


def test_the_export_of_a_counter_link_has_the_same_dossiers(client, cast, units, march):  # noqa: F811
    client.force_login(cast["office"])
    query = urlencode({**MARCH, "so_lieu": "in_progress_total", "trong_don_vi": units["district"].pk})
    response = client.get(f"{reverse('cases:dossier_export', args=['csv'])}?{query}")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    listed_codes = codes(client.get(f"{reverse('cases:dossier_list')}?{query}"))
    assert {line.split(",")[0] for line in lines[1:]} == listed_codes == {"3", "5", "7", "8", "11", "13"}
