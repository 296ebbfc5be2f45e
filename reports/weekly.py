"""Báo cáo tuần (seed 002: every Friday before 10:00): the last seven days and the year to date, for an office scope.

One place for the weekly_report command and the reports.weekly_report job; figures from reports.tally, text from
reports.wording, the letter from reports.docx, the figures sheet from reports.xlsx.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from cases.models import Membership, Role, Unit
from reports import periods, wording
from reports.tally import tally

log = logging.getLogger(__name__)

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
    from reports import docx

    docx.letter(week, subject=subject(week)).save(path)


def office_scopes():
    """Every unit with an office (Văn phòng) membership: each gets its own report of its subtree."""
    return Unit.objects.filter(memberships__role=Role.OFFICE).distinct().order_by("path")


def write_and_send(day=None, today=None):
    """For each office scope: the letter (.docx) and the figures (.xlsx) in MEDIA_ROOT/bao-cao-tuan/, and a short
    e-mail to the scope's office users. Running it twice for the same week rewrites the same files."""
    from reports import xlsx

    day = day or default_day(today)
    folder = Path(settings.MEDIA_ROOT) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written, messages = [], []
    for scope in office_scopes():
        week, to_date = tallies(day, scope)
        stem = f"{scope.code}-{week.period.end:%Y-%m-%d}"
        letter, sheet = folder / f"{stem}.docx", folder / f"{stem}.xlsx"
        write_letter(week, letter)
        xlsx.write(week, sheet)
        written += [letter, sheet]
        recipients = sorted(
            Membership.objects.filter(unit=scope, role=Role.OFFICE, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
            .distinct()
        )
        if recipients:
            body = (
                f"{scope.name.upper()}\n\n"
                f"TRONG TUẦN ({week.period.range_text})\n{wording.summary(week)}\n\n"
                f"LŨY KẾ ({to_date.period.range_text})\n{wording.summary(to_date)}\n\n"
                f"Dự thảo công văn và bảng số liệu: {FOLDER}/{letter.name}, {FOLDER}/{sheet.name}.\n"
            )
            messages.append(EmailMessage(f"[Một cửa] Báo cáo tuần {week.period.label}", body, to=recipients))
    sent = get_connection().send_messages(messages) if messages else 0
    log.info("Báo cáo tuần đến ngày %s: %s tệp, %s thư.", f"{day:%d/%m/%Y}", len(written), sent or 0)
    return written
