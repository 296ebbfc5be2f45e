"""Early / on time / late / within deadline / overdue: the one definition (DOMAIN.md, "Outcome").

Resolved dossiers are compared with their due time by calendar day in Vietnam's time zone: resolved before the
due day = early, on the due day = on time, after = late. An open dossier is overdue once its due time has
passed (live views), or, at the end of a period, when it was due before the period's last day. Refused and
withdrawn dossiers are neither.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

EARLY = "truoc_han"
ON_TIME = "dung_han"
LATE = "qua_han"
OPEN_WITHIN = "trong_han"
OPEN_OVERDUE = "dang_qua_han"
ENDED = "ket_thuc"

LABELS = {
    EARLY: "Trước hạn",
    ON_TIME: "Đúng hạn",
    LATE: "Quá hạn",
    OPEN_WITHIN: "Đang giải quyết trong hạn",
    OPEN_OVERDUE: "Đang giải quyết quá hạn",
    ENDED: "Từ chối / rút",
}


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


def local_date(field):
    """The calendar day of a datetime column in Vietnam (SQL)."""
    return TruncDate(field, tzinfo=local_tz())


# --- conditions (SQL) -----------------------------------------------------------------------------
def open_q():
    """Still being processed: no result, not refused or withdrawn."""
    return Q(resolved_at__isnull=True, ended_at__isnull=True)


def overdue_q(now=None):
    """Open and past its due time, now."""
    return open_q() & Q(due_at__lt=now or timezone.now())


def resolved_early_q():
    return Q(resolved_at__isnull=False, resolved_day__lt=F("due_day"))


def resolved_on_time_q():
    return Q(resolved_at__isnull=False, resolved_day=F("due_day"))


def resolved_late_q():
    return Q(resolved_at__isnull=False, resolved_day__gt=F("due_day"))


def with_days(queryset):
    """Annotate the local calendar days the comparisons need."""
    return queryset.annotate(resolved_day=local_date("resolved_at"), due_day=local_date("due_at"))


def with_outcome(queryset, now=None):
    """Annotate `outcome` (one of the constants above) for lists and exports."""
    now = now or timezone.now()
    return with_days(queryset).annotate(
        outcome=Case(
            When(ended_at__isnull=False, resolved_at__isnull=True, then=Value(ENDED)),
            When(resolved_early_q(), then=Value(EARLY)),
            When(resolved_on_time_q(), then=Value(ON_TIME)),
            When(resolved_late_q(), then=Value(LATE)),
            When(due_at__lt=now, then=Value(OPEN_OVERDUE)),
            default=Value(OPEN_WITHIN),
            output_field=CharField(),
        )
    )


# --- one dossier (Python) ---------------------------------------------------------------------------
def outcome_of(dossier, now=None):
    """The same classification for a dossier already in memory (detail page, receipt)."""
    tz = local_tz()
    if dossier.resolved_at is None:
        if dossier.ended_at is not None:
            return ENDED
        return OPEN_OVERDUE if dossier.due_at < (now or timezone.now()) else OPEN_WITHIN
    resolved_day = dossier.resolved_at.astimezone(tz).date()
    due_day = dossier.due_at.astimezone(tz).date()
    if resolved_day < due_day:
        return EARLY
    if resolved_day == due_day:
        return ON_TIME
    return LATE
