from datetime import date

import pytest

from reports.figures import periods


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
    assert periods.from_params({}, today) == periods.month(2024, 5)
    assert periods.from_params({"ky": "quy", "nam": "2023", "quy": "4"}, today) == periods.quarter(2023, 4)
    ranged = periods.from_params({"ky": "khoang", "tu": "01/01/2019", "den": "30/06/2019"}, today)
    assert ranged.end == date(2019, 6, 30)
    with pytest.raises(periods.PeriodError, match="trước ngày bắt đầu"):
        periods.from_params({"ky": "khoang", "tu": "30/06/2019", "den": "01/01/2019"}, today)
    with pytest.raises(periods.PeriodError, match="không đọc được"):
        periods.from_params({"ky": "khoang", "tu": "31/02/2019", "den": "01/03/2019"}, today)
    with pytest.raises(periods.PeriodError):
        periods.from_params({"ky": "thang", "thang": "13"}, today)
