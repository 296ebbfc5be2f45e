"""Reporting periods (DOMAIN.md, "Periods"): month, quarter, six months, year, any range, the statistical period.

A period is a run of whole calendar days in Vietnam's time zone, both ends included.
"""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from cases.catalogue.calendar import calendar as load_calendar

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


# The years a report may ask for: wide, but a number a date can hold.
FIRST_YEAR, LAST_YEAR = 1990, 2100


class PeriodError(ValueError):
    """A period that cannot exist; the message is Vietnamese and shown to the user."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str = ""
    kind: str = "range"

    def __post_init__(self):
        if self.end < self.start:
            raise PeriodError(f"Ngày kết thúc {self.end:%d/%m/%Y} trước ngày bắt đầu {self.start:%d/%m/%Y}.")
        if not self.label:
            object.__setattr__(self, "label", f"từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}")

    @property
    def tz(self):
        return ZoneInfo(settings.TIME_ZONE)

    @property
    def start_at(self):
        """The first moment of the period."""
        return datetime.combine(self.start, time.min, self.tz)

    @property
    def end_at(self):
        """The first moment after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, self.tz)

    @property
    def last_day_at(self):
        """The first moment of the period's last day: open dossiers due before it are overdue at the period's end."""
        return datetime.combine(self.end, time.min, self.tz)

    @property
    def quarter_number(self):
        """The quarter the period starts in (1–4): what the picker shows for a quarter."""
        return (self.start.month - 1) // 3 + 1

    @property
    def half_number(self):
        """1 for the first six months, 2 for the last: what the picker shows for a half-year."""
        return 1 if self.start.month <= 6 else 2

    @property
    def range_text(self):
        return f"từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"

    def up_to(self, today):
        """The part of the period that has happened: a running period ends today (figures as of today)."""
        if self.end <= today:
            return self
        if self.start > today:
            raise PeriodError(f"Kỳ {self.label} chưa bắt đầu.")
        return Period(self.start, today, f"{self.label} (đến ngày {today:%d/%m/%Y})", self.kind)

    def previous(self):
        """The period of the same length just before this one (same kind for months, quarters, years)."""
        if self.kind == "month":
            prior = self.start - timedelta(days=1)
            return month(prior.year, prior.month)
        if self.kind == "quarter":
            prior = self.start - timedelta(days=1)
            return quarter(prior.year, (prior.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.start.year - 1)
        length = self.end - self.start
        return date_range(self.start - length - timedelta(days=1), self.start - timedelta(days=1))


def month(y, m):
    if not 1 <= m <= 12:
        raise PeriodError(f"Tháng {m} không có.")
    last = month_calendar.monthrange(y, m)[1]
    return Period(date(y, m, 1), date(y, m, last), f"tháng {m:02d}/{y}", "month")


def months_before(first_day, count):
    """The `count` calendar months ending with the month of `first_day`, oldest first."""
    index = first_day.year * 12 + first_day.month - 1
    return [month(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


def quarter(y, q):
    if not 1 <= q <= 4:
        raise PeriodError(f"Quý {q} không có.")
    first_month = 3 * (q - 1) + 1
    last = month_calendar.monthrange(y, first_month + 2)[1]
    return Period(date(y, first_month, 1), date(y, first_month + 2, last), f"quý {ROMAN[q]} năm {y}", "quarter")


def half(y, h):
    if h == 1:
        return Period(date(y, 1, 1), date(y, 6, 30), f"6 tháng đầu năm {y}", "half")
    if h == 2:
        return Period(date(y, 7, 1), date(y, 12, 31), f"6 tháng cuối năm {y}", "half")
    raise PeriodError("Nửa năm chỉ là 1 hoặc 2.")


def year(y):
    return Period(date(y, 1, 1), date(y, 12, 31), f"năm {y}", "year")


def date_range(start, end):
    return Period(start, end, kind="range")


def statistical_month(y, m):
    """Kỳ thống kê tháng m: from the 15th of the previous month to the 14th of month m."""
    if not 1 <= m <= 12:
        raise PeriodError(f"Tháng {m} không có.")
    start = date(y - 1, 12, 15) if m == 1 else date(y, m - 1, 15)
    end = date(y, m, 14)
    return Period(start, end, f"kỳ thống kê tháng {m:02d}/{y} (từ {start:%d/%m/%Y} đến {end:%d/%m/%Y})", "stat_month")


def statistical_year(y):
    """Kỳ thống kê năm: from 15/12 of the previous year to 14/12."""
    start, end = date(y - 1, 12, 15), date(y, 12, 14)
    return Period(start, end, f"kỳ thống kê năm {y} (từ {start:%d/%m/%Y} đến {end:%d/%m/%Y})", "stat_year")


def week_ending(day):
    """The seven days ending on `day` (the weekly report of seed 002)."""
    start = day - timedelta(days=6)
    return Period(start, day, f"tuần từ {start:%d/%m/%Y} đến {day:%d/%m/%Y}", "week")


def year_to_date(day):
    return Period(date(day.year, 1, 1), day, f"từ ngày 01/01/{day.year} đến ngày {day:%d/%m/%Y}", "ytd")


def parse_day(text):
    """dd/mm/yyyy or ISO yyyy-mm-dd."""
    text = (text or "").strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise PeriodError(f"Ngày «{text[:30]}» không đọc được (dùng dd/mm/yyyy).")


PICKER_FIELDS = ("ky", "nam", "thang", "quy", "nua", "tu", "den")


def from_params(params, today):
    """A period from query parameters: ky=thang|quy|nua_nam|nam|ky_thong_ke|khoang, nam, thang, quy, nua, tu, den.

    Without any of them: the default period (`default`).
    """
    if not any(params.get(name) for name in PICKER_FIELDS):
        return default(today)[0]
    kind = params.get("ky") or "thang"
    try:
        y = int(params.get("nam") or today.year)
        if not FIRST_YEAR <= y <= LAST_YEAR:
            raise PeriodError(f"Năm {str(y)[:12]} ngoài khoảng {FIRST_YEAR}–{LAST_YEAR}.")
        if kind == "thang":
            return month(y, int(params.get("thang") or today.month))
        if kind == "quy":
            return quarter(y, int(params.get("quy") or (today.month - 1) // 3 + 1))
        if kind == "nua_nam":
            return half(y, int(params.get("nua") or (1 if today.month <= 6 else 2)))
        if kind == "nam":
            return year(y)
        if kind == "ky_thong_ke":
            return statistical_month(y, int(params.get("thang") or today.month))
        if kind == "khoang":
            return date_range(parse_day(params.get("tu")), parse_day(params.get("den")))
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError("Kỳ báo cáo không hợp lệ.") from exc
    raise PeriodError(f"Loại kỳ «{kind[:20]}» không có.")


# --- the period a page opens on ------------------------------------------------------------------------------
def working_days_elapsed(first, today, work_calendar):
    """Working days from `first` up to yesterday: the days of a running period that are over."""
    days, current = 0, first
    while current < today:
        days += work_calendar.is_working_day(current)
        current += timedelta(days=1)
    return days


def default(today, work_calendar=None):
    """(period, sentence) — what an office means by "this month" when nobody chose a period.

    The running month up to today; but while it has had fewer than settings.REPORT_MONTH_SETTLES_AFTER working
    days, the month just ended (offices report on it in those days, and a day or two of figures says nothing).
    The sentence says which, for the page to show.
    """
    running = month(today.year, today.month)
    elapsed = working_days_elapsed(running.start, today, work_calendar or load_calendar())
    if elapsed < settings.REPORT_MONTH_SETTLES_AFTER:
        previous = running.previous()
        done = "chưa qua ngày làm việc nào" if elapsed == 0 else f"mới qua {elapsed} ngày làm việc"
        return previous, (
            f"Mặc định: {previous.label}, tháng vừa hết — {running.label} {done} (trang mở trên tháng đang chạy từ"
            f" ngày làm việc thứ {settings.REPORT_MONTH_SETTLES_AFTER + 1} của tháng)."
        )
    return running.up_to(today), f"Mặc định: {running.label}, tháng đang chạy, tính đến hết ngày {today:%d/%m/%Y}."


@dataclass(frozen=True)
class Picked:
    """The period a page shows, with what its picker needs to show that period again (a round trip)."""

    period: Period
    error: str | None
    default_note: str | None  # set when nobody chose a period: which one the page opened on, and why
    years: tuple

    months = tuple(range(1, 13))
    quarters = (1, 2, 3, 4)
    halves = ((1, "Đầu năm"), (2, "Cuối năm"))


def pick(params, today, clip=False):
    """The period the picker's fields ask for (or the default), an error in Vietnamese, and the picker's lists.

    `clip`: a running period ends today (what a page that lists figures shows in its heading).
    """
    note, error = None, None
    try:
        if any(params.get(name) for name in PICKER_FIELDS):
            period = from_params(params, today)
            if clip:
                period = period.up_to(today)
        else:
            period, note = default(today)
    except PeriodError as exc:
        period, note = default(today)
        error = str(exc)
    years = sorted({*range(today.year, today.year - 6, -1), period.start.year, period.end.year}, reverse=True)
    return Picked(period, error, note, tuple(years))
