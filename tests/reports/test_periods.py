import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from cases.catalogue.calendar import WorkCalendar
from reports.figures import periods
from tests.conftest import PASSWORD, vn


def test_statistical_period_runs_from_the_15th_to_the_14th():
    march = periods.statistical_month(2024, 3)
    assert (march.start, march.end) == (date(2024, 2, 15), date(2024, 3, 14))
    january = periods.statistical_month(2024, 1)
    assert (january.start, january.end) == (date(2023, 12, 15), date(2024, 1, 14))
    assert (periods.statistical_year(2024).start, periods.statistical_year(2024).end) == (
        date(2023, 12, 15),
        date(2024, 12, 14),
    )


def test_quarters_halves_and_leap_february():
    assert periods.quarter(2024, 1).end == date(2024, 3, 31)
    assert periods.quarter(2024, 1).label == "quý I năm 2024"
    assert periods.half(2019, 1).label == "6 tháng đầu năm 2019"
    assert periods.month(2024, 2).end == date(2024, 2, 29)


def test_bounds_are_whole_days_in_vietnam():
    march = periods.month(2024, 3)
    assert march.start_at.isoformat() == "2024-03-01T00:00:00+07:00"
    assert march.end_at.isoformat() == "2024-04-01T00:00:00+07:00"


def test_from_params_reads_the_picker_and_refuses_nonsense():
    today = date(2024, 5, 20)
    assert periods.from_params({"ky": "thang"}, today) == periods.month(2024, 5)
    assert periods.from_params({"ky": "quy", "nam": "2023", "quy": "4"}, today) == periods.quarter(2023, 4)
    ranged = periods.from_params({"ky": "khoang", "tu": "01/01/2019", "den": "30/06/2019"}, today)
    assert ranged.end == date(2019, 6, 30)
    with pytest.raises(periods.PeriodError, match="trước ngày bắt đầu"):
        periods.from_params({"ky": "khoang", "tu": "30/06/2019", "den": "01/01/2019"}, today)
    with pytest.raises(periods.PeriodError, match="không đọc được"):
        periods.from_params({"ky": "khoang", "tu": "31/02/2019", "den": "01/03/2019"}, today)
    with pytest.raises(periods.PeriodError):
        periods.from_params({"ky": "thang", "thang": "13"}, today)


# --- the period a page opens on (issue 11, item 3) ------------------------------------------------------------
def test_on_the_first_day_of_a_month_the_default_is_the_month_just_ended(settings):
    settings.REPORT_MONTH_SETTLES_AFTER = 5
    work = WorkCalendar.build()
    # Tuesday 01/12/2026: no working day of December is over yet.
    period, note = periods.default(date(2026, 12, 1), work)
    assert period == periods.month(2026, 11)
    assert note.startswith("Mặc định: tháng 11/2026, tháng vừa hết — tháng 12/2026 chưa qua ngày làm việc nào")
    # Monday 07/12/2026: four working days over (1–4/12), still November.
    assert periods.default(date(2026, 12, 7), work)[0] == periods.month(2026, 11)
    # Tuesday 08/12/2026: five working days over: December up to today, not the days to come.
    period, note = periods.default(date(2026, 12, 8), work)
    assert (period.start, period.end, period.kind) == (date(2026, 12, 1), date(2026, 12, 8), "month")
    assert note == "Mặc định: tháng 12/2026, tháng đang chạy, tính đến hết ngày 08/12/2026."


def test_holidays_do_not_count_as_days_of_the_month_gone_by(settings):
    settings.REPORT_MONTH_SETTLES_AFTER = 5
    # 2–6/9/2024: National Day holiday on 2 and 3 September; Wednesday 04/09 to Monday 09/09 are 4 working days.
    work = WorkCalendar.build(holidays=[date(2024, 9, 2), date(2024, 9, 3)])
    assert periods.default(date(2024, 9, 10), work)[0] == periods.month(2024, 8)
    assert periods.default(date(2024, 9, 11), work)[0].end == date(2024, 9, 11)


def selected(html, name):
    """The value of the option shown as chosen in the select `name`."""
    select = re.search(rf'<select name="{name}">(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="([^"]*)" selected', select).group(1)


@pytest.fixture
def office(client, cast):
    client.login(username=cast["office"].username, password=PASSWORD)
    return client


@pytest.mark.parametrize("url", ["reports:index", "reports:homeaffairs", "cases:explanation_request_new"])
def test_the_picker_shows_the_period_it_was_asked_for(office, units, url):
    with time_machine.travel(vn(2024, 12, 10, 9), tick=False):
        html = office.get(reverse(url), {"ky": "quy", "nam": "2024", "quy": "3"}).content.decode()
        assert (selected(html, "ky"), selected(html, "quy"), selected(html, "nam")) == ("quy", "3", "2024")
        html = office.get(reverse(url), {"ky": "nua_nam", "nam": "2023", "nua": "2"}).content.decode()
        assert (selected(html, "ky"), selected(html, "nua"), selected(html, "nam")) == ("nua_nam", "2", "2023")
        # Sent back as shown with only the year changed: the same half of the other year.
        fields = {name: selected(html, name) for name in ("ky", "nam", "thang", "quy", "nua")} | {"nam": "2024"}
        again = office.get(reverse(url), fields)
        assert (again.context["period"].start, again.context["period"].end) == (date(2024, 7, 1), date(2024, 12, 10))


def test_the_dashboard_says_which_period_it_opened_on(office, units, settings):
    settings.REPORT_MONTH_SETTLES_AFTER = 5
    with time_machine.travel(vn(2026, 12, 1, 9), tick=False):
        response = office.get(reverse("reports:index"))
    assert response.context["period"] == periods.month(2026, 11)
    assert "Mặc định: tháng 11/2026, tháng vừa hết" in response.content.decode()
    # A period chosen by the user needs no such note.
    with time_machine.travel(vn(2026, 12, 1, 9), tick=False):
        chosen = office.get(reverse("reports:index"), {"ky": "thang", "nam": "2026", "thang": "12"})
    assert (chosen.context["period"].start, chosen.context["period"].end) == (date(2026, 12, 1), date(2026, 12, 1))
    assert "Mặc định" not in chosen.content.decode()


def test_home_affairs_opens_on_the_same_period_never_on_days_to_come(client, cast, units, settings):
    settings.REPORT_MONTH_SETTLES_AFTER = 5
    with time_machine.travel(vn(2026, 12, 15, 9), tick=False):
        client.login(username=cast["home_affairs"].username, password=PASSWORD)  # sessions end when idle
        response = client.get(reverse("reports:homeaffairs"))
    period = response.context["period"]
    assert (period.start, period.end) == (date(2026, 12, 1), date(2026, 12, 15))
    assert "từ ngày 01/12/2026 đến ngày 15/12/2026" in response.content.decode()
    with time_machine.travel(vn(2026, 12, 2, 9), tick=False):
        client.login(username=cast["home_affairs"].username, password=PASSWORD)
        assert client.get(reverse("reports:homeaffairs")).context["period"] == periods.month(2026, 11)
