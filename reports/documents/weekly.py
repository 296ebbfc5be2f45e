"""Báo cáo tuần (seed 002: every Friday before 10:00): the last seven days and the year to date, for an office scope.

The documents of the weekly_report command and the reports.weekly_report job (sent by cases.followup.weekly):
figures from the tally, text from the wording, the letter (docx) and the figures sheet (xlsx).
"""

from datetime import timedelta

from django.utils import timezone

from reports.figures import periods, wording
from reports.figures.tally import tally

from . import docx, xlsx

FOLDER = "bao-cao-tuan"


def default_day(today=None):
    """The week ends yesterday: the report of Friday morning covers Friday to Thursday."""
    return (today or timezone.localdate()) - timedelta(days=1)


def tallies(day, scope=None):
    """(the seven days ending on `day`, the year to date) for the scope."""
    return (
        tally(periods.week_ending(day), scope=scope, by_field=False),
        tally(periods.year_to_date(day), scope=scope, by_field=False),
    )


def subject(week):
    return f"V/v báo cáo kết quả giải quyết TTHC {week.period.label}"


def text(week, to_date):
    """The report as text: the week in full (named units included), the year to date in one paragraph."""
    return (
        f"TRONG TUẦN ({week.period.range_text})\n{wording.text(week)}\n\n"
        f"LŨY KẾ ({to_date.period.range_text})\n{wording.summary(to_date)}\n"
    )


def write_letter(week, path):
    docx.letter(week, subject=subject(week)).save(path)


def write_sheet(week, path):
    xlsx.write(week, path)
