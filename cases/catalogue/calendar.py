"""Working time (DOMAIN.md, "Working days" and "Due date").

A working day is a weekday that is not a holiday, or a weekend day worked in exchange (ngày làm bù). Working
time runs only inside office hours. Plain functions over a WorkCalendar loaded once (two small queries), so a
bulk import computes thousands of due times without touching the database again.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays as holidays_package
from django.conf import settings
from holidays.countries.vietnam import VietnamStaticHolidays
from simple_history.utils import bulk_create_with_history

from .models import CalendarSource, Holiday, WorkdayOverride

ONE_DAY = timedelta(days=1)
MICROS = 1_000_000


def _micros(moment):
    """A time of day as microseconds after midnight."""
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * MICROS + moment.microsecond


def _parse_time(value):
    if isinstance(value, time):
        return value
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


_BUILT = {}  # calendars already built in this process, by content


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset
    workdays: frozenset
    office_hours: tuple
    same_day_cutoff: time
    tz: ZoneInfo

    @classmethod
    def load(cls):
        """The calendar as the administrator left it: holidays and make-up days from the database."""
        return cls.build(
            holidays=Holiday.objects.filter(active=True).values_list("date", flat=True),
            workdays=WorkdayOverride.objects.filter(active=True).values_list("date", flat=True),
        )

    @classmethod
    def build(cls, holidays=(), workdays=(), office_hours=None, same_day_cutoff=None):
        hours = tuple((_parse_time(start), _parse_time(end)) for start, end in (office_hours or settings.OFFICE_HOURS))
        fields = {
            "holidays": frozenset(holidays),
            "workdays": frozenset(workdays),
            "office_hours": hours,
            "same_day_cutoff": _parse_time(same_day_cutoff or settings.SAME_DAY_CUTOFF),
            "tz": ZoneInfo(settings.TIME_ZONE),
        }
        # One object per content (and year: the day table reaches this year) in each process, so that the day table
        # is built once, not on every request (it costs ~10 ms, a receipt's whole budget).
        key = (*fields.values(), date.today().year)
        found = _BUILT.get(key)
        if found is None:
            if len(_BUILT) >= 16:
                _BUILT.clear()
            found = _BUILT[key] = cls(**fields)
        return found

    # --- days -----------------------------------------------------------------------------------
    def is_working_day(self, day):
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day):
        """The first working day strictly after `day`."""
        day += ONE_DAY
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def working_days_from(self, day):
        """`day` if it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    # --- hours ----------------------------------------------------------------------------------
    @cached_property
    def working_day_seconds(self):
        return sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start)).seconds
            for start, end in self.office_hours
        )

    def intervals(self, day):
        """The office-hour intervals of `day` as aware datetimes; none on a day off."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))
            for start, end in self.office_hours
        ]

    def opening(self, day):
        return datetime.combine(day, self.office_hours[0][0], self.tz)

    def closing(self, day):
        return datetime.combine(day, self.office_hours[-1][1], self.tz)

    def local(self, moment):
        return moment.astimezone(self.tz)

    def outside_office_hours(self, moment):
        """On a day off, or before the day's opening or after its closing. The lunch break is not counted: a
        receipt begun before 11:30 often ends after it, and the due time counts from 13:30 anyway."""
        local = self.local(moment)
        day = local.date()
        return not self.is_working_day(day) or not self.opening(day) <= local <= self.closing(day)

    def next_opening(self, moment):
        """The opening of the working day from which work done at `moment` counts (itself when within hours)."""
        local = self.local(moment)
        day = local.date()
        if self.is_working_day(day) and local < self.opening(day):
            return self.opening(day)
        if not self.outside_office_hours(local):
            return local
        return self.opening(self.next_working_day(day))

    def hours_text(self):
        """'07:00–11:30, 13:30–17:00'."""
        return ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in self.office_hours)

    # Working time is mapped onto one line: a moment's "position" is the working time (in microseconds) from the
    # start of a precomputed table of days, so adding working time is one addition and two lookups. Bulk imports
    # compute due times for 150.000 rows; walking day by day was the slow part. Outside the table (far past or
    # future) the day-by-day walk is used, and the tests check that both agree.
    @cached_property
    def _spans(self):
        """Office-hour intervals in microseconds after midnight."""
        return tuple((_micros(start), _micros(end)) for start, end in self.office_hours)

    @cached_property
    def _day_micros(self):
        return self.working_day_seconds * MICROS

    @cached_property
    def _day_table(self):
        """(first ordinal, last ordinal, working days before each day of the table, ordinals of the working days)."""
        years = [day.year for day in self.holidays | self.workdays]
        years.append(datetime.now(self.tz).year)
        first = date(min(years) - 2, 1, 1).toordinal()
        last = date(max(years) + 3, 12, 31).toordinal()
        before, ordinals = [], []
        for ordinal in range(first, last + 1):
            before.append(len(ordinals))
            if self.is_working_day(date.fromordinal(ordinal)):
                ordinals.append(ordinal)
        before.append(len(ordinals))
        return first, last, before, ordinals

    def _position(self, moment):
        """Working microseconds from the table's start to the local `moment`; None outside the table."""
        first, last, before, _ordinals = self._day_table
        ordinal = moment.toordinal()
        if not first <= ordinal <= last:
            return None
        index = ordinal - first
        position = before[index] * self._day_micros
        if before[index + 1] == before[index]:
            return position  # a day off: the same as the next opening
        clock = ((moment.hour * 60 + moment.minute) * 60 + moment.second) * MICROS + moment.microsecond
        for opens, closes in self._spans:
            if clock <= opens:
                break
            if clock < closes:
                return position + clock - opens
            position += closes - opens
        return position

    def _moment(self, position):
        """The moment at `position`; a position that falls on an opening is the previous close. None past the table."""
        days, rest = divmod(position, self._day_micros)
        if rest == 0 and days > 0:
            days, rest = days - 1, self._day_micros
        ordinals = self._day_table[3]
        if days >= len(ordinals):
            return None
        for opens, closes in self._spans:
            if rest <= closes - opens:
                clock = opens + rest
                break
            rest -= closes - opens
        day = date.fromordinal(ordinals[days])
        return datetime.combine(day, time.min, self.tz) + timedelta(microseconds=clock)

    def add_working_time(self, start, seconds):
        """`start` plus `seconds` of working time. A count that ends at a close stays there (not the next opening)."""
        moment = self.local(start)
        if seconds <= 0:
            return moment
        position = self._position(moment)
        if position is not None:
            result = self._moment(position + round(seconds * MICROS))
            if result is not None:
                return result
        return self._add_working_time_by_walking(moment, seconds)

    def working_seconds_between(self, start, end):
        """Working time between two moments, in whole seconds (0 when end is not after start)."""
        start, end = self.local(start), self.local(end)
        if end <= start:
            return 0
        first, last = self._position(start), self._position(end)
        if first is not None and last is not None:
            return (last - first) // MICROS
        return self._working_seconds_by_walking(start, end)

    def latest_start(self, end, seconds):
        """The latest moment from which `seconds` of working time have passed by `end`: a moment m is at least that
        far back (working_seconds_between(m, end) >= seconds) exactly when m <= latest_start(end, seconds). The
        performer's list compares it with when a step was last touched, in SQL, instead of measuring every row."""
        end = self.local(end)
        if seconds <= 0:
            return end
        position = self._position(end)
        if position is not None and position - round(seconds * MICROS) > 0:
            moment = self._moment(position - round(seconds * MICROS))
            if moment is not None:
                return self._next_opening_if_closing(moment)
        return self._latest_start_by_walking(end, seconds)

    def _next_opening_if_closing(self, moment):
        """A moment at a close stands for the whole break after it (no working time passes there): its latest
        moment is the next opening."""
        clock = _micros(moment)
        spans = self._spans
        for index, (_opens, closes) in enumerate(spans):
            if clock == closes:
                if index + 1 < len(spans):
                    return datetime.combine(moment.date(), self.office_hours[index + 1][0], self.tz)
                return self.opening(self.next_working_day(moment.date()))
        return moment

    # The plain day-by-day definitions: used outside the table, and as the reference the tests compare with.
    def _add_working_time_by_walking(self, start, seconds):
        moment = self.local(start)
        if seconds <= 0:
            return moment
        remaining = timedelta(seconds=seconds)
        day = moment.date()
        full_day = timedelta(seconds=self.working_day_seconds)
        while True:
            intervals = self.intervals(day)
            # Skip whole days quickly when the count starts before the day opens.
            if intervals and moment <= intervals[0][0] and remaining > full_day:
                remaining -= full_day
                day += ONE_DAY
                moment = datetime.combine(day, time.min, self.tz)
                continue
            for opens, closes in intervals:
                if moment >= closes:
                    continue
                moment = max(moment, opens)
                available = closes - moment
                if remaining <= available:
                    return moment + remaining
                remaining -= available
                moment = closes
            day += ONE_DAY
            moment = datetime.combine(day, time.min, self.tz)

    def _latest_start_by_walking(self, end, seconds):
        remaining = timedelta(seconds=seconds)
        day = end.date()
        while True:
            for opens, closes in reversed(self.intervals(day)):
                if opens >= end:
                    continue
                available = min(closes, end) - opens
                if remaining <= available:
                    return min(closes, end) - remaining
                remaining -= available
            day -= ONE_DAY

    def _working_seconds_by_walking(self, start, end):
        start, end = self.local(start), self.local(end)
        if end <= start:
            return 0
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            for opens, closes in self.intervals(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta(0):
                    total += overlap
            day += ONE_DAY
        return int(total.total_seconds())

    # --- the due-time rule ------------------------------------------------------------------------
    def due_at(self, received_at, processing_days, same_day_cutoff=None):
        """When a dossier received at `received_at` is due (DOMAIN.md, "Due date")."""
        received = self.local(received_at)
        if processing_days == 0:
            cutoff = same_day_cutoff or self.same_day_cutoff
            day = received.date()
            # A cut-off later than the close must not make a dossier due before it was received.
            if not self.is_working_day(day) or received.time() > cutoff or received > self.closing(day):
                day = self.next_working_day(day)
            return self.closing(day)
        return self.add_working_time(received, processing_days * self.working_day_seconds)

    def due_after_stop(
        self, due_at, stopped_at, resumed_at, received_at, processing_days, restart=None, same_day_cutoff=None
    ):
        """The due time once the clock restarts after a supplement request or a pause.

        By default the due time moves by the working time the clock stood still; with SUPPLEMENT_CLOCK=restart
        (some provinces) the whole processing time starts again from the resumption.
        """
        if restart is None:
            restart = settings.SUPPLEMENT_CLOCK == "restart"
        if restart:
            return self.due_at(resumed_at, processing_days, same_day_cutoff)
        return self.add_working_time(due_at, self.working_seconds_between(stopped_at, resumed_at))


def calendar():
    """The current calendar (two small queries: call once per request or per batch)."""
    return WorkCalendar.load()


# --- seeding from the holidays package -----------------------------------------------------------
# Swaps announced after the installed `holidays` release; an administrator adds the next ones in the admin.
KNOWN_ADDITIONS = {
    "holidays": {date(2026, 1, 2): "Nghỉ bù Tết Dương lịch (đổi cho thứ Bảy 10/01/2026)"},
    "workdays": {date(2026, 1, 10): "Làm bù cho ngày 02/01/2026"},
}


def package_calendar(first_year, last_year):
    """Holidays and make-up working days of the public sector, from the `holidays` package (country VN).

    The package lists each swapped day off as a holiday; the worked Saturday it was swapped from comes from the
    package's table of swaps (month, day, from-month, from-day[, from-year]) keyed by the year of the day off.
    """
    years = range(first_year, last_year + 1)
    days_off = dict(holidays_package.country_holidays("VN", years=years, language="vi").items())
    worked = {}
    for year, swaps in VietnamStaticHolidays.special_public_holidays.items():
        if year not in years:
            continue
        for swap in swaps if isinstance(swaps[0], tuple) else (swaps,):
            month, day, from_month, from_day, *from_year = swap
            worked_day = date(from_year[0] if from_year else year, from_month, from_day)
            worked[worked_day] = f"Làm bù cho ngày {date(year, month, day):%d/%m/%Y}"
    for day, name in KNOWN_ADDITIONS["holidays"].items():
        if day.year in years:
            days_off.setdefault(day, name)
    for day, name in KNOWN_ADDITIONS["workdays"].items():
        if day.year in years:
            worked.setdefault(day, name)
    return days_off, worked


SYNC_REASON = "Đồng bộ lịch nhà nước (gói holidays)"


def sync_calendar(first_year=None, last_year=None):
    """Copy the package's calendar into the editable tables; returns (holidays added, make-up days added).

    Idempotent. A date the administrator has already decided is left alone: a row that exists (edited, added by
    hand, or deactivated) is kept as it is, and no package row is added on its date (see deactivate_calendar_day).
    """
    if first_year is None:
        first_year, last_year = settings.CALENDAR_YEARS
    days_off, worked = package_calendar(first_year, last_year)
    decided = set(Holiday.objects.values_list("date", flat=True))
    decided |= set(WorkdayOverride.objects.values_list("date", flat=True))
    added_off, added_worked = (
        bulk_create_with_history(
            [
                model(date=day, name=name[:255], source=CalendarSource.PACKAGE)
                for day, name in sorted(days.items())
                if day not in decided
            ],
            model,
            default_change_reason=SYNC_REASON,
        )
        for model, days in ((Holiday, days_off), (WorkdayOverride, worked))
    )
    return len(added_off), len(added_worked)


def deactivate_calendar_day(row):
    """Take a Holiday or WorkdayOverride out of the calendar, as an administrator does; it is never deleted.

    The row stays, inactive, with its history: the date remains decided, so the next sync does not bring the
    package's row back; reactivating it restores the day.
    """
    if row.active:
        row.active = False
        row.save(update_fields=["active"])
