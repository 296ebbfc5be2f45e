"""Early / on time / late / within deadline / overdue / due today / due soon: the one definition (DOMAIN.md).

Resolved dossiers are compared with their due time by calendar day in Vietnam's time zone: resolved before the
due day = early, on the due day = on time, after = late. Refused and withdrawn dossiers are neither.

Two views of "overdue", each said on its screen:
- live (the desk: Hôm nay, the header badge, the morning digest, the list's "đang quá hạn"): open and past its
  due time now; "due today" is due between now and midnight, "due soon" by the end of the next working day;
- at the end of a period (the figures, reports.figures.counters): open at the period's end and due before the
  period's last day, so a dossier due at 10:00 on the last day is still within deadline that day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.catalogue.calendar import calendar as load_calendar

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


# --- what a catalogue change touches (the admin says so; due times are never rewritten behind the desk's back) ---
def processing_days_change_q(procedure):
    """Open dossiers of a procedure whose processing time changed: they keep the due time given at receipt."""
    return open_q() & Q(procedure=procedure)


def calendar_day_change_q(day):
    """Open dossiers whose due time was counted across `day` (received by its end, due on or after its start): a
    holiday or make-up day added, moved or taken back there would have given them another due time."""
    start = datetime.combine(day, time.min, local_tz())
    return open_q() & Q(received_at__lt=start + timedelta(days=1), due_at__gte=start)


def resolved_early_q():
    return Q(resolved_at__isnull=False, resolved_day__lt=F("due_day"))


def resolved_on_time_q():
    return Q(resolved_at__isnull=False, resolved_day=F("due_day"))


def resolved_timely_q():
    """Early or on time: the numerator of the on-time rate."""
    return Q(resolved_at__isnull=False, resolved_day__lte=F("due_day"))


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


# --- what needs doing now: overdue, due today, due soon (live) ---------------------------------------------
OVERDUE, DUE_TODAY, DUE_SOON = "qua_han", "hom_nay", "sap_den"
DEADLINE_LABELS = {
    OVERDUE: "Đang quá hạn",
    DUE_TODAY: "Đến hạn trong hôm nay",
    DUE_SOON: "Đến hạn ngày làm việc tiếp theo",
}


@dataclass(frozen=True)
class Horizons:
    """The boundaries of 'overdue', 'due today' and 'due by the end of the next working day', seen at `now`."""

    now: datetime
    today: date
    next_working_day: date
    today_end: datetime
    next_day_end: datetime

    def conditions(self):
        """{bucket: Q} over open dossiers; the buckets do not overlap."""
        return {
            OVERDUE: Q(due_at__lt=self.now),
            DUE_TODAY: Q(due_at__gte=self.now, due_at__lt=self.today_end),
            DUE_SOON: Q(due_at__gte=self.today_end, due_at__lt=self.next_day_end),
        }

    def bucket(self, due_at):
        """The bucket of one due time (None when it is later than the next working day)."""
        if due_at < self.now:
            return OVERDUE
        if due_at < self.today_end:
            return DUE_TODAY
        if due_at < self.next_day_end:
            return DUE_SOON
        return None


def _day_start(day):
    return datetime.combine(day, time.min, local_tz())


def horizons(now=None, work_calendar=None):
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    next_day = _next_working_day(today, work_calendar)
    return Horizons(now, today, next_day, _day_start(today + timedelta(days=1)), _day_start(next_day + timedelta(1)))


def _next_working_day(today, work_calendar=None):
    # The header shows the counts on every page: keep the calendar's two queries out of it for a few minutes.
    if work_calendar is not None:
        return work_calendar.next_working_day(today)
    key = f"outcome:next-working-day:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = load_calendar().next_working_day(today)
        cache.set(key, found, 300)
    return found


def deadline_counts(dossiers, h=None):
    """{bucket: count} of the open dossiers of a queryset: one aggregate (the Today page and the badge)."""
    h = h or horizons()
    row = (
        dossiers.filter(open_q(), due_at__lt=h.next_day_end)
        .order_by()
        .aggregate(**{name: Count("id", filter=condition) for name, condition in h.conditions().items()})
    )
    return {name: row[name] or 0 for name in DEADLINE_LABELS}


def deadline_q(bucket, h=None):
    """Open dossiers in one bucket (the dossier list's `han` filter, what the Today page and the badge link to)."""
    h = h or horizons()
    return open_q() & h.conditions()[bucket]


# --- a step of the internal process (DOMAIN.md, "The process inside a unit") --------------------------------
# Finished: early before its due day, on time on it, late after its due time (not its due day: an hour of a
# two-hour step matters); still held: overdue past its due time. A step handed but not yet taken up has no due
# time and so no outcome yet.
STEP_WAITING = "cho_nhan"
STEP_LABELS = {**LABELS, STEP_WAITING: "Chờ nhận", LATE: "Trễ hạn", OPEN_OVERDUE: "Đang quá hạn"}


def step_outcome(step, now=None):
    if step.due_at is None:
        return STEP_WAITING if step.finished_at is None else ON_TIME
    if step.finished_at is None:
        return OPEN_OVERDUE if step.due_at < (now or timezone.now()) else OPEN_WITHIN
    if step.finished_at > step.due_at:
        return LATE
    tz = local_tz()
    return EARLY if step.finished_at.astimezone(tz).date() < step.due_at.astimezone(tz).date() else ON_TIME


def step_seconds_late(step, work_calendar, now=None):
    """Working seconds past the step's due time: at its end, or now for a step still held (0 when in time)."""
    if step.due_at is None:
        return 0
    end = step.finished_at or now or timezone.now()
    return work_calendar.working_seconds_between(step.due_at, end) if end > step.due_at else 0


def step_late_q():
    """Finished after its due time (SQL)."""
    return Q(finished_at__isnull=False, due_at__isnull=False, finished_at__gt=F("due_at"))


def step_overdue_q(now=None):
    """Still held past its due time, now (SQL)."""
    return Q(finished_at__isnull=True, due_at__lt=now or timezone.now())


def with_step_days(queryset):
    """Annotate the local calendar days step_early_q and step_on_time_q compare (a DossierStep queryset)."""
    return queryset.annotate(step_finished_day=local_date("finished_at"), step_due_day=local_date("due_at"))


def step_early_q():
    """Finished on a day before its due day (SQL, over with_step_days): step_outcome's EARLY."""
    return Q(finished_at__isnull=False, due_at__isnull=False, step_finished_day__lt=F("step_due_day"))


def step_on_time_q():
    """Finished neither late nor early (SQL, over with_step_days): step_outcome's ON_TIME, which includes a step
    that ended before anyone took it up (no due time)."""
    in_time = Q(finished_at__lte=F("due_at"), step_finished_day=F("step_due_day"))
    return Q(finished_at__isnull=False) & (Q(due_at__isnull=True) | in_time)


def late_steps(steps, work_calendar, now=None):
    """[(step, working seconds late)] of the steps that overran (finished late, or held past their due time now),
    the most late first: what a late dossier's delay is traced to (DOMAIN.md)."""
    now = now or timezone.now()
    # A step finished at 17:30, due at 17:00, is late by no working time at all: it is listed all the same.
    found = [
        (step, step_seconds_late(step, work_calendar, now))
        for step in steps
        if step_outcome(step, now) in (LATE, OPEN_OVERDUE)
    ]
    return sorted(found, key=lambda pair: (-pair[1], pair[0].handed_at))
