"""Working time and due times, on the calendar that migration 0002 seeds from the `holidays` package."""

import random
from datetime import date, time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from cases.catalogue.calendar import WorkCalendar, calendar, deactivate_calendar_day, package_calendar, sync_calendar
from cases.models import CalendarSource, Holiday, WorkdayOverride
from tests.conftest import vn

HOUR = 3600


@pytest.fixture
def cal(db):
    return WorkCalendar.load()


def days_off_between(cal, first, last):
    day, off = first, []
    while day <= last:
        if not cal.is_working_day(day):
            off.append(day)
        day += timedelta(days=1)
    return off


# --- the seeded calendar ------------------------------------------------------------------------------


def test_the_seeded_calendar_holds_the_holidays_and_make_up_days_relied_on(db):
    holidays = set(Holiday.objects.values_list("date", flat=True))
    tet = {
        2023: [date(2023, 1, d) for d in range(20, 27)],
        2024: [date(2024, 2, d) for d in range(8, 15)],
        2025: [date(2025, 1, d) for d in range(27, 32)] + [date(2025, 2, 1)],
        2026: [date(2026, 2, d) for d in range(16, 21)],
    }
    for days in tet.values():
        assert set(days) <= holidays
    assert {date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1), date(2024, 9, 2), date(2024, 9, 3)} <= holidays
    assert {date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2), date(2025, 9, 1), date(2025, 9, 2)} <= holidays
    assert {date(2026, 1, 1), date(2026, 1, 2), date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)} <= holidays
    assert set(WorkdayOverride.objects.values_list("date", flat=True)) >= {
        date(2024, 5, 4),
        date(2025, 4, 26),
        date(2026, 1, 10),
        date(2026, 8, 22),
    }
    assert not Holiday.objects.exclude(source=CalendarSource.PACKAGE).exists()


# --- DOMAIN.md's examples -----------------------------------------------------------------------------


def test_five_days_received_before_tet_2024_are_due_a_week_after_it(cal):
    assert cal.due_at(vn(2024, 2, 7, 10, 0), 5) == vn(2024, 2, 21, 10, 0)


def test_a_saturday_receipt_counts_from_monday_and_ends_at_a_close(cal):
    assert cal.due_at(vn(2025, 3, 1, 9, 15), 2) == vn(2025, 3, 4, 17, 0)


# --- Tết, year by year --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "off"),
    [
        # Tết Quý Mão: 29 Tết (Fri 20/01) to mùng 5 (Thu 26/01).
        (date(2023, 1, 19), date(2023, 1, 27), [date(2023, 1, d) for d in range(20, 27)]),
        # Tết Giáp Thìn: Thu 08/02 to Wed 14/02.
        (date(2024, 2, 7), date(2024, 2, 15), [date(2024, 2, d) for d in range(8, 15)]),
        # Tết Ất Tỵ: Sat 25/01 to Sun 02/02.
        (
            date(2025, 1, 24),
            date(2025, 2, 3),
            [date(2025, 1, d) for d in range(25, 32)] + [date(2025, 2, 1), date(2025, 2, 2)],
        ),
        # Tết Bính Ngọ: Sat 14/02 to Sun 22/02.
        (date(2026, 2, 13), date(2026, 2, 23), [date(2026, 2, d) for d in range(14, 23)]),
    ],
)
def test_tet_days_are_not_worked(cal, first, last, off):
    assert days_off_between(cal, first, last) == off


@pytest.mark.parametrize(
    ("received_at", "days", "due_at"),
    [
        (vn(2023, 1, 19, 10, 0), 1, vn(2023, 1, 27, 10, 0)),
        (vn(2024, 2, 12, 9, 0), 1, vn(2024, 2, 15, 17, 0)),  # received during Tết: counts from the first day back
        (vn(2025, 1, 24, 14, 0), 2, vn(2025, 2, 4, 14, 0)),
        (vn(2026, 2, 13, 16, 0), 1, vn(2026, 2, 23, 16, 0)),
    ],
)
def test_tet_is_skipped_in_due_times(cal, received_at, days, due_at):
    assert cal.due_at(received_at, days) == due_at


# --- 30/4–1/5 and 2/9 with their swaps ----------------------------------------------------------------


def test_2024_reunification_day_swap_works_saturday_4_may_and_rests_monday_29_april(cal):
    assert days_off_between(cal, date(2024, 4, 26), date(2024, 5, 5)) == [
        date(2024, 4, 27), date(2024, 4, 28), date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1), date(2024, 5, 5)
    ]  # fmt: skip
    assert cal.due_at(vn(2024, 4, 26, 10, 0), 3) == vn(2024, 5, 4, 10, 0)


def test_2025_reunification_day_swap_works_saturday_26_april_and_rests_friday_2_may(cal):
    assert cal.is_working_day(date(2025, 4, 26))
    assert days_off_between(cal, date(2025, 4, 29), date(2025, 5, 5)) == [
        date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3), date(2025, 5, 4)
    ]  # fmt: skip
    assert cal.due_at(vn(2025, 4, 25, 16, 0), 1) == vn(2025, 4, 26, 16, 0)
    assert cal.due_at(vn(2025, 4, 29, 16, 0), 1) == vn(2025, 5, 5, 16, 0)


@pytest.mark.parametrize(
    ("received_at", "due_at", "off"),
    [
        (vn(2024, 8, 30, 16, 0), vn(2024, 9, 4, 16, 0), [date(2024, 9, 2), date(2024, 9, 3)]),
        (vn(2025, 8, 29, 16, 0), vn(2025, 9, 3, 16, 0), [date(2025, 9, 1), date(2025, 9, 2)]),
        (vn(2026, 8, 28, 16, 0), vn(2026, 9, 3, 16, 0), [date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)]),
    ],
)
def test_national_day_is_skipped(cal, received_at, due_at, off):
    weekdays_off = [day for day in days_off_between(cal, received_at.date(), due_at.date()) if day.weekday() < 5]
    assert weekdays_off == off
    assert cal.due_at(received_at, 1) == due_at


def test_2026_national_day_swap_makes_saturday_22_august_a_working_day(cal):
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.due_at(vn(2026, 8, 21, 16, 0), 1) == vn(2026, 8, 22, 16, 0)


def test_2026_new_year_swap_rests_friday_2_january_and_works_saturday_10_january(cal):
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert cal.due_at(vn(2025, 12, 31, 16, 0), 1) == vn(2026, 1, 5, 16, 0)
    assert cal.due_at(vn(2026, 1, 9, 16, 0), 1) == vn(2026, 1, 10, 16, 0)


# --- receipts outside office hours ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "due_at"),
    [
        (vn(2024, 3, 4, 12, 0), vn(2024, 3, 5, 11, 30)),  # lunch: counts from 13:30, ends at the morning's close
        (vn(2024, 3, 4, 18, 30), vn(2024, 3, 5, 17, 0)),  # evening: counts from 07:00 next working day
        (vn(2024, 3, 8, 17, 0), vn(2024, 3, 11, 17, 0)),  # at the Friday close: Monday
        (vn(2024, 3, 4, 6, 15), vn(2024, 3, 4, 17, 0)),  # before opening: the whole day counts
        (vn(2024, 3, 9, 10, 0), vn(2024, 3, 11, 17, 0)),  # Saturday: Monday
        (vn(2024, 3, 4, 7, 0), vn(2024, 3, 4, 17, 0)),  # ends exactly at a close: stays there, not 07:00 next day
    ],
)
def test_one_working_day_from_receipts_at_odd_hours(cal, received_at, due_at):
    assert cal.due_at(received_at, 1) == due_at


def test_a_count_ending_exactly_at_a_close_stays_at_the_close(cal):
    assert cal.add_working_time(vn(2024, 3, 4, 7, 0), 4.5 * HOUR) == vn(2024, 3, 4, 11, 30)
    assert cal.add_working_time(vn(2024, 3, 4, 13, 30), 3.5 * HOUR) == vn(2024, 3, 4, 17, 0)
    assert cal.add_working_time(vn(2024, 3, 4, 13, 30), 3.5 * HOUR + 60) == vn(2024, 3, 5, 7, 1)


# --- 0-day procedures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "cutoff", "due_at"),
    [
        (vn(2024, 3, 4, 14, 59), None, vn(2024, 3, 4, 17, 0)),
        (vn(2024, 3, 4, 15, 0), None, vn(2024, 3, 4, 17, 0)),  # at the cut-off is not after it
        (vn(2024, 3, 4, 15, 1), None, vn(2024, 3, 5, 17, 0)),
        (vn(2024, 3, 8, 16, 0), None, vn(2024, 3, 11, 17, 0)),  # Friday afternoon: Monday
        (vn(2024, 3, 9, 9, 0), None, vn(2024, 3, 11, 17, 0)),  # Saturday: Monday
        (vn(2024, 2, 7, 16, 0), None, vn(2024, 2, 15, 17, 0)),  # eve of Tết: the first day back
        (vn(2024, 3, 4, 11, 15), time(11, 0), vn(2024, 3, 5, 17, 0)),  # the procedure's own cut-off
        (vn(2024, 3, 4, 16, 0), time(16, 30), vn(2024, 3, 4, 17, 0)),
        (vn(2024, 3, 4, 17, 30), time(18, 0), vn(2024, 3, 5, 17, 0)),  # after the close: never due before receipt
    ],
)
def test_same_day_procedures_are_due_at_a_close(cal, received_at, cutoff, due_at):
    assert cal.due_at(received_at, 0, cutoff) == due_at


def test_the_same_day_cut_off_is_a_setting(db, settings):
    settings.SAME_DAY_CUTOFF = "16:00"
    assert WorkCalendar.load().due_at(vn(2024, 3, 4, 15, 30), 0) == vn(2024, 3, 4, 17, 0)
    settings.SAME_DAY_CUTOFF = "15:00"
    assert WorkCalendar.load().due_at(vn(2024, 3, 4, 15, 30), 0) == vn(2024, 3, 5, 17, 0)


# --- the administrator's calendar -------------------------------------------------------------------


def test_a_holiday_added_by_an_administrator_counts_from_the_next_load(cal):
    received = vn(2024, 3, 4, 16, 0)
    assert cal.due_at(received, 1) == vn(2024, 3, 5, 16, 0)
    Holiday.objects.create(date=date(2024, 3, 5), name="Nghỉ đột xuất", source=CalendarSource.ADMIN)
    assert cal.due_at(received, 1) == vn(2024, 3, 5, 16, 0)  # a loaded calendar does not change under its user
    assert calendar().due_at(received, 1) == vn(2024, 3, 6, 16, 0)


def test_a_make_up_day_added_by_an_administrator_counts_from_the_next_load(cal):
    received = vn(2024, 3, 8, 16, 0)
    assert cal.due_at(received, 1) == vn(2024, 3, 11, 16, 0)
    WorkdayOverride.objects.create(date=date(2024, 3, 9), name="Làm bù", source=CalendarSource.ADMIN)
    assert WorkCalendar.load().due_at(received, 1) == vn(2024, 3, 9, 16, 0)


# --- working time between two moments, and clock stops ------------------------------------------------


def test_working_time_between_skips_the_weekend_and_lunch(cal):
    # Fri 16:00–17:00, then Mon 07:00–11:30 and 13:30–14:00.
    assert cal.working_seconds_between(vn(2024, 3, 8, 16, 0), vn(2024, 3, 11, 14, 0)) == 6 * HOUR
    assert cal.working_seconds_between(vn(2024, 3, 11, 11, 0), vn(2024, 3, 11, 14, 0)) == 1 * HOUR
    assert cal.working_seconds_between(vn(2024, 3, 11, 12, 0), vn(2024, 3, 11, 13, 0)) == 0
    assert cal.working_seconds_between(vn(2024, 3, 11, 14, 0), vn(2024, 3, 8, 16, 0)) == 0


def test_a_supplement_moves_the_due_time_by_the_working_time_stopped(cal, settings):
    settings.SUPPLEMENT_CLOCK = "resume"
    due = cal.due_after_stop(
        due_at=vn(2024, 2, 21, 10, 0), stopped_at=vn(2024, 2, 20, 10, 0), resumed_at=vn(2024, 2, 21, 10, 0),
        received_at=vn(2024, 2, 7, 10, 0), processing_days=5,
    )  # fmt: skip
    assert due == vn(2024, 2, 22, 10, 0)


def test_a_supplement_restarts_the_whole_processing_time_where_the_province_says_so(cal, settings):
    settings.SUPPLEMENT_CLOCK = "restart"
    due = cal.due_after_stop(
        due_at=vn(2024, 2, 21, 10, 0), stopped_at=vn(2024, 2, 20, 10, 0), resumed_at=vn(2024, 2, 21, 10, 0),
        received_at=vn(2024, 2, 7, 10, 0), processing_days=5,
    )  # fmt: skip
    assert due == vn(2024, 2, 28, 10, 0)


# --- office hours are a setting ---------------------------------------------------------------------


def test_office_hours_are_a_setting(db, settings):
    settings.OFFICE_HOURS = [("07:30", "11:30"), ("13:00", "17:00")]
    cal = WorkCalendar.load()
    assert cal.working_day_seconds == 8 * HOUR
    assert cal.due_at(vn(2024, 3, 4, 7, 10), 1) == vn(2024, 3, 4, 17, 0)
    # 13:10 is inside the afternoon now: 3 h 50 min on Monday, 4 h on Tuesday morning, 10 min after lunch.
    assert cal.due_at(vn(2024, 3, 4, 13, 10), 1) == vn(2024, 3, 5, 13, 10)
    settings.OFFICE_HOURS = [("07:00", "11:30"), ("13:30", "17:00")]
    assert WorkCalendar.load().due_at(vn(2024, 3, 4, 13, 10), 1) == vn(2024, 3, 5, 11, 30)


# --- the fast path agrees with the plain definition -------------------------------------------------


def test_fast_working_time_agrees_with_walking_day_by_day(cal):
    rnd = random.Random(20240207)
    start = vn(2023, 1, 1)
    amounts = [1, 60, 4.5 * HOUR, 3.5 * HOUR, 8 * HOUR, 5 * 8 * HOUR, 13 * 8 * HOUR + 1, 30 * 8 * HOUR]
    for _ in range(3000):
        moment = start + timedelta(minutes=rnd.randrange(4 * 365 * 24 * 60))
        if rnd.random() < 0.4:  # the edges: openings, closes, midnight
            moment = moment.replace(hour=rnd.choice([0, 7, 11, 13, 17, 23]), minute=rnd.choice([0, 30]))
        seconds = rnd.choice(amounts)
        assert cal.add_working_time(moment, seconds) == cal._add_working_time_by_walking(moment, seconds), moment
        later = moment + timedelta(minutes=rnd.randrange(1, 60 * 24 * 40))
        assert cal.working_seconds_between(moment, later) == cal._working_seconds_by_walking(moment, later), moment


def test_the_latest_start_is_where_working_seconds_between_reaches_the_amount(cal):
    """A step is hanging when working_seconds_between(last touch, now) >= N hours; the list asks SQL for
    last touch <= latest_start(now, N hours) instead. Both say the same for every moment, fast path or walking."""
    rnd = random.Random(20240311)
    start = vn(2023, 1, 1)
    amounts = [1, 4.5 * HOUR, 8 * HOUR, 16 * HOUR, 7.5 * HOUR, 5 * 8 * HOUR]
    for _ in range(1500):
        end = start + timedelta(minutes=rnd.randrange(4 * 365 * 24 * 60))
        if rnd.random() < 0.4:
            end = end.replace(hour=rnd.choice([0, 7, 11, 13, 17, 23]), minute=rnd.choice([0, 30]))
        seconds = rnd.choice(amounts)
        latest = cal.latest_start(end, seconds)
        assert latest == cal._latest_start_by_walking(cal.local(end), seconds), end
        assert cal.working_seconds_between(latest, end) >= seconds, end
        assert cal.working_seconds_between(latest + timedelta(seconds=1), end) < seconds, end
    # Exactly at a boundary the latest moment is the opening after the break, not the close before it.
    assert cal.latest_start(vn(2024, 3, 4, 9, 0), 2 * HOUR) == vn(2024, 3, 4, 7, 0)
    assert cal.latest_start(vn(2024, 3, 4, 14, 30), HOUR) == vn(2024, 3, 4, 13, 30)
    assert cal.latest_start(vn(2024, 3, 4, 8, 0), HOUR) == vn(2024, 3, 4, 7, 0)  # Monday: Friday's close is earlier
    assert cal.latest_start(vn(2024, 3, 4, 8, 0), 2 * HOUR) == vn(2024, 3, 1, 16, 0)
    assert cal.latest_start(vn(1995, 3, 7, 10, 0), 8 * HOUR) == vn(1995, 3, 6, 10, 0)  # outside the table


def test_working_time_far_outside_the_seeded_years_still_counts(cal):
    assert cal.due_at(vn(1995, 3, 6, 10, 0), 1) == vn(1995, 3, 7, 10, 0)
    assert cal.due_at(vn(2080, 3, 1, 10, 0), 1) == vn(2080, 3, 4, 10, 0)  # Friday → Monday
    assert cal.working_seconds_between(vn(1995, 3, 6, 10, 0), vn(1995, 3, 7, 10, 0)) == 8 * HOUR


# --- seeding from the holidays package --------------------------------------------------------------


def test_the_package_calendar_lists_swaps_with_their_worked_saturday():
    days_off, worked = package_calendar(2024, 2026)
    assert date(2024, 4, 29) in days_off and date(2024, 5, 4) in worked
    assert date(2025, 5, 2) in days_off and date(2025, 4, 26) in worked
    assert date(2026, 8, 31) in days_off and date(2026, 8, 22) in worked
    assert date(2026, 1, 2) in days_off and date(2026, 1, 10) in worked
    assert all(day.weekday() >= 5 for day in worked)


def test_syncing_twice_adds_nothing_the_second_time(db):
    assert sync_calendar() == (0, 0)  # migration 0002 already seeded every configured year
    added_off, added_worked = sync_calendar(2031, 2031)
    assert added_off == len(package_calendar(2031, 2031)[0]) > 0
    assert sync_calendar(2031, 2031) == (0, 0)


def test_sync_keeps_what_an_administrator_changed_added_or_took_out(db):
    Holiday.objects.filter(date=date(2024, 9, 3)).update(name="Quốc khánh (ngày thứ hai)", source=CalendarSource.ADMIN)
    Holiday.objects.create(date=date(2024, 11, 20), name="Nghỉ theo quyết định của tỉnh")
    deactivate_calendar_day(Holiday.objects.get(date=date(2024, 4, 29)))
    deactivate_calendar_day(WorkdayOverride.objects.get(date=date(2024, 5, 4)))

    assert sync_calendar(2024, 2024) == (0, 0)

    assert Holiday.objects.get(date=date(2024, 9, 3)).name == "Quốc khánh (ngày thứ hai)"
    assert Holiday.objects.filter(date=date(2024, 11, 20)).exists()
    # Taken out, not deleted: the rows stay, inactive, and the sync does not switch them back on.
    assert not Holiday.objects.get(date=date(2024, 4, 29)).active
    assert not WorkdayOverride.objects.get(date=date(2024, 5, 4)).active
    cal = WorkCalendar.load()
    assert cal.is_working_day(date(2024, 4, 29))
    assert not cal.is_working_day(date(2024, 5, 4))
    assert not cal.is_working_day(date(2024, 11, 20))


def test_a_day_taken_out_comes_back_when_reactivated(db):
    holiday = Holiday.objects.get(date=date(2025, 5, 2))
    deactivate_calendar_day(holiday)
    assert WorkCalendar.load().is_working_day(date(2025, 5, 2))
    holiday.active = True
    holiday.save()
    assert not WorkCalendar.load().is_working_day(date(2025, 5, 2))
    assert [row.active for row in holiday.history.order_by("history_id")][-2:] == [False, True]


def test_the_sync_command_says_in_vietnamese_what_it_added(db):
    out = StringIO()
    call_command("sync_calendar", "--from-year", "2031", "--to-year", "2032", stdout=out)
    expected = len(package_calendar(2031, 2032)[0])
    assert out.getvalue().strip() == f"Đã thêm {expected} ngày nghỉ lễ và 0 ngày làm bù cho các năm 2031–2032."
    out = StringIO()
    call_command("sync_calendar", "--from-year", "2031", "--to-year", "2031", stdout=out)
    assert out.getvalue().strip() == "Đã thêm 0 ngày nghỉ lễ và 0 ngày làm bù cho năm 2031."
