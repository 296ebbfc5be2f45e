"""Cell values of the exchange format: moments (dd/mm/yyyy, ISO 8601, Excel dates) and procedure codes.

Bare dates (no time of day) are read as follows, because a desk works only in office hours:
- ngày tiếp nhận → the office opening time of that day (07:00 by default): the earliest moment it can have been
  received, so the computed due time never favours the unit;
- ngày hẹn trả → the office closing time (17:00): "due on 21/02" means by the end of that working day, as for
  a same-day procedure;
- ngày có kết quả, ngày trả kết quả → the closing time, but never before the previous step of the same day (a
  result dated the day of a receipt at 17:30 is put at 17:30). Outcomes are compared by calendar day, so the
  choice cannot move a dossier between early, on time and late.
An Excel date cell whose time is exactly 00:00 is a bare date.
"""

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

from .reading import as_text


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2})[:hH](\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_SHORT_CODE = re.compile(r"\d\.\d{1,5}")
_ISO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")


class BadValue(ValueError):
    """A cell that cannot be read; the message says why, in Vietnamese."""


def parse_moment(value, tz, default_time):
    """(aware datetime, True when the cell had a time of day). Raises BadValue."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(tz), True
        if value.time() == time(0, 0):
            return datetime.combine(value.date(), default_time, tz), False
        return value.replace(tzinfo=tz), True
    if isinstance(value, date):
        return datetime.combine(value, default_time, tz), False
    text = str(value).strip()
    if len(text) == 16 and text[2] == "/" and text[5] == "/" and text[10] == " " and text[13] == ":":
        # dd/mm/yyyy HH:MM, as the exports write it: without the regular expression.
        try:
            return datetime(
                int(text[6:10]), int(text[3:5]), int(text[:2]), int(text[11:13]), int(text[14:]), tzinfo=tz
            ), True
        except ValueError:
            pass  # the general reading below says what is wrong
    match = _DMY.fullmatch(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
    else:
        match = _ISO.fullmatch(text)
        if match:
            year, month, day, hour, minute, second = match.groups()
        elif _ISO_OFFSET.fullmatch(text):
            try:
                return datetime.fromisoformat(text.replace(" ", "T")).astimezone(tz), True
            except ValueError:
                raise BadValue(f"«{text}» không phải ngày hợp lệ") from None
        else:
            raise BadValue(f"«{text}» không đọc được (dùng dd/mm/yyyy, dd/mm/yyyy HH:MM hoặc yyyy-mm-dd)")
    try:
        if hour is None:
            return datetime.combine(date(int(year), int(month), int(day)), default_time, tz), False
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz), True
    except ValueError:
        raise BadValue(f"«{text}» không phải ngày hợp lệ") from None


def format_moment(moment, tz):
    """dd/mm/yyyy HH:MM in Vietnam's time zone (what import reads back to the same minute)."""
    if moment is None:
        return ""
    moment = moment.astimezone(tz)
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year} {moment.hour:02d}:{moment.minute:02d}"


def same_minute(old, new):
    if old is None or new is None:
        return old is new
    # Aware moments: the same minute of the same instant (every zone's offset is whole minutes).
    return int(old.timestamp()) // 60 == int(new.timestamp()) // 60


def procedure_code(value):
    """A national code that Excel turned into a number keeps its six decimals: 1.00089 → '1.000890'."""
    if isinstance(value, float):
        return f"{value:.6f}"
    text = as_text(value)
    if _SHORT_CODE.fullmatch(text):
        whole, decimals = text.split(".")
        return f"{whole}.{decimals.ljust(6, '0')}"
    return text
