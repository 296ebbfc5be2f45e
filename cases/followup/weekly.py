"""Báo cáo tuần (seed 002: every Friday before 10:00): each office's letter and figures written to MEDIA_ROOT and
announced by e-mail. The documents are reports.documents.weekly's."""

import logging
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from cases.catalogue.models import Unit
from cases.core.formats import day as day_text
from cases.desk.models import Membership
from cases.desk.states import Role
from reports.documents import weekly
from reports.figures import wording

log = logging.getLogger(__name__)


def office_scopes():
    """Every unit with an office (Văn phòng) membership: each gets its own report of its subtree."""
    return Unit.objects.filter(memberships__role=Role.OFFICE, memberships__active=True).distinct().order_by("path")


def write_and_send(day=None, today=None):
    """For each office scope: the letter (.docx) and the figures (.xlsx) in MEDIA_ROOT/bao-cao-tuan/, and a short
    e-mail to the scope's office users. Running it twice for the same week rewrites the same files."""
    day = day or weekly.default_day(today)
    folder = Path(settings.MEDIA_ROOT) / weekly.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written, messages = [], []
    for scope in office_scopes():
        week, to_date = weekly.tallies(day, scope)
        stem = f"{scope.code}-{week.period.end:%Y-%m-%d}"
        letter, sheet = folder / f"{stem}.docx", folder / f"{stem}.xlsx"
        weekly.write_letter(week, letter)
        weekly.write_sheet(week, sheet)
        written += [letter, sheet]
        recipients = sorted(
            Membership.objects.filter(unit=scope, role=Role.OFFICE, active=True, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
            .distinct()
        )
        if recipients:
            body = (
                f"{scope.name.upper()}\n\n"
                f"TRONG TUẦN ({week.period.range_text})\n{wording.summary(week)}\n\n"
                f"LŨY KẾ ({to_date.period.range_text})\n{wording.summary(to_date)}\n\n"
                f"Dự thảo công văn và bảng số liệu: {weekly.FOLDER}/{letter.name}, {weekly.FOLDER}/{sheet.name}.\n"
            )
            messages.append(EmailMessage(f"[Một cửa] Báo cáo tuần {week.period.label}", body, to=recipients))
    sent = get_connection().send_messages(messages) if messages else 0
    log.info("Báo cáo tuần đến ngày %s: %s tệp, %s thư.", day_text(day), len(written), sent or 0)
    return written
