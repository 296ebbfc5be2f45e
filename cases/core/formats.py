"""How the portal writes numbers, rates, dates and people in Vietnamese: 136.583 · 97,51% · 21/02/2024 10:00.

The one definition every page, letter, e-mail, workbook and command output uses.
"""

from datetime import datetime

from django.utils import timezone


def number(value, decimals=0):
    """136583 → '136.583'; 1234.5 with decimals=1 → '1.234,5'."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def count(value):
    """Counts in a list of units are written with two digits, as the letters do: '01 hồ sơ'."""
    return f"{value:02d}" if value < 10 else number(value)


# A rate is rounded to, and always written with, two decimals: seed 001's 97,51%. One rule for every page,
# letter, e-mail and workbook (whose rate cells use RATE_FORMAT), so figures side by side read alike.
RATE_DIGITS = 2
RATE_FORMAT = "0.00%"  # a workbook's rate cell, holding the fraction (0.9751 shows as 97,51%)


def percent(value, digits=RATE_DIGITS):
    """A measured rate: 97.51 → '97,51%', 96.9 → '96,90%', 100 → '100,00%'; None (nothing to divide by) → '—'."""
    if value is None:
        return "—"
    return f"{number(value, digits)}%"


def percent_limit(value):
    """A limit set by policy (a target, a rating threshold) as it was set: 95 → '95%', 97.5 → '97,5%'.

    Not a measured rate: the letters write targets so ("chỉ tiêu trên 70%", seed 002).
    """
    text = f"{value:.{RATE_DIGITS}f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}%"


def day(value):
    """dd/mm/yyyy; a moment is read in Vietnam's time zone."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value:%d/%m/%Y}"


def moment(value):
    """HH:MM dd/mm/yyyy, in Vietnam's time zone."""
    return f"{timezone.localtime(value):%H:%M %d/%m/%Y}" if value else ""


def day_time(value):
    """dd/mm/yyyy HH:MM, in Vietnam's time zone (how tables and timelines write a moment)."""
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M}" if value else ""


def long_date(value):
    """'ngày 21 tháng 02 năm 2024', as the forms of Circular 01/2018 write it."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}"


def long_datetime(value):
    """'10 giờ 00 phút, ngày 21 tháng 02 năm 2024'."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, {long_date(local)}"


def working_hours(seconds):
    """Working seconds as hours, one decimal when not whole: 5400 → '1,5 giờ', 28800 → '8 giờ'."""
    text = number(seconds / 3600, 1)
    return f"{text[:-2] if text.endswith(',0') else text} giờ"


def megabytes(size):
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def display_name(user):
    """A user as pages and letters name them: the full name, else the login."""
    if user is None:
        return ""
    return name_of(user.first_name, user.last_name, user.get_username())


def name_of(first_name, last_name, username):
    """display_name from a user's columns, for rows read without their users ('' for no user)."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""
