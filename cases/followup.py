"""Overdue monitoring and follow-up: the overdue flag, the desk's counts and digests, apologies, explanations.

Services only; views, tasks and commands call these. Every figure here reuses cases.outcome and reports.tally.
"""

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import connections, transaction
from django.db.models import Count, F, Q
from django.db.models.sql import UpdateQuery
from django.utils import timezone

from . import access
from .models import Dossier, DossierEvent, EventKind, Explanation, ExplanationRequest, Membership, Role, Unit
from .outcome import local_tz, open_q, overdue_q

log = logging.getLogger(__name__)

EVENT_BATCH = 2000


class FollowupRefused(ValueError):
    """A follow-up step the rules do not allow; the message is Vietnamese and shown to the user."""


def number(value):
    """1234 → '1.234'."""
    return f"{value:,}".replace(",", ".")


def _fmt_day(day):
    return f"{day:%d/%m/%Y}"


def _fmt(moment):
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def _day_start(day):
    return datetime.combine(day, time.min, local_tz())


# --- the overdue flag -------------------------------------------------------------------------------
class Flagged(NamedTuple):
    total: int  # open and past their due time at as_of
    new: int  # flagged by this run


def flag_overdue(as_of=None):
    """Flag every open dossier past its due time that is not flagged yet, in one UPDATE, with one event each.

    Idempotent: a second run at the same moment flags nothing and writes no event. A dossier whose due time was
    moved later (a resumption, a correction, an import) is unflagged, so it is flagged — and recorded — again if it
    passes the new due time; a resolved or ended dossier keeps its flag as history. A back-dated run (as_of in the
    past) never unflags what is overdue now.
    """
    now = timezone.now()
    as_of = as_of or now
    with transaction.atomic():
        Dossier.objects.filter(open_q(), overdue_since__isnull=False, due_at__gte=max(as_of, now)).update(
            overdue_since=None
        )
        ids = _claim_newly_overdue(as_of)
        stamp = timezone.localtime(as_of).isoformat()
        DossierEvent.objects.bulk_create(
            (
                DossierEvent(
                    dossier_id=pk,
                    kind=EventKind.OVERDUE,
                    at=as_of,
                    recorded_at=now,
                    before={"overdue_since": None},
                    after={"overdue_since": stamp},
                )
                for pk in ids
            ),
            batch_size=EVENT_BATCH,
        )
        total = Dossier.objects.filter(overdue_q(as_of)).count()
    log.info("Gắn cờ quá hạn lúc %s: %s hồ sơ quá hạn (mới: %s)", _fmt(as_of), number(total), number(len(ids)))
    return Flagged(total, len(ids))


def _claim_newly_overdue(as_of):
    """Set overdue_since on the newly overdue rows and return their ids.

    PostgreSQL and SQLite ≥ 3.35: one `UPDATE … WHERE overdue_since IS NULL AND open AND due_at < as_of
    RETURNING id`. Under PostgreSQL's READ COMMITTED a concurrent run re-checks `overdue_since IS NULL` on the rows
    it waited for, so two runs never flag (and record) the same dossier twice.
    """
    queryset = Dossier.objects.filter(overdue_q(as_of), overdue_since__isnull=True)
    connection = connections[queryset.db]
    if not connection.features.can_return_columns_from_insert:
        # No RETURNING: claim the ids under row locks, then update exactly those rows.
        ids = list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True))
        for start in range(0, len(ids), EVENT_BATCH):
            Dossier.objects.filter(pk__in=ids[start : start + EVENT_BATCH]).update(overdue_since=as_of)
        return ids
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values({"overdue_since": as_of})
    query.clear_ordering(force=True)
    if len(query.alias_map) > 1:  # a join would need Django's pk__in rewrite; overdue_q has none
        raise AssertionError("flag_overdue expects conditions on the dossier table only")
    sql, params = query.get_compiler(queryset.db).as_sql()
    pk_column = connection.ops.quote_name(Dossier._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk_column}", params)
        return [row[0] for row in cursor.fetchall()]


# --- what the desk must do today ---------------------------------------------------------------------
class DeskCounts(NamedTuple):
    due_today: int
    due_tomorrow: int  # due within the next working day
    overdue: int

    @property
    def total(self):
        return self.due_today + self.due_tomorrow + self.overdue


@dataclass(frozen=True)
class Horizons:
    """The boundaries of 'overdue', 'due today' and 'due by the end of the next working day', seen at `now`."""

    now: datetime
    today: object
    next_working_day: object
    today_end: datetime
    next_day_end: datetime


def horizons(now=None, work_calendar=None):
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    next_day = _next_working_day(today, work_calendar)
    return Horizons(now, today, next_day, _day_start(today + timedelta(days=1)), _day_start(next_day + timedelta(1)))


def _next_working_day(today, work_calendar=None):
    # The header shows the counts on every page: keep the two calendar queries out of it for a few minutes.
    if work_calendar is not None:
        return work_calendar.next_working_day(today)
    key = f"followup:next-working-day:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        from .calendar import calendar

        found = calendar().next_working_day(today)
        cache.set(key, found, 300)
    return found


def _bucket_conditions(h):
    return {
        "overdue": Q(due_at__lt=h.now),
        "due_today": Q(due_at__gte=h.now, due_at__lt=h.today_end),
        "due_tomorrow": Q(due_at__gte=h.today_end, due_at__lt=h.next_day_end),
    }


def desk_counts(user, now=None):
    """(due today, due within the next working day, overdue) for the dossiers open at the user's desks: one query."""
    from .access import desk_units

    h = horizons(now)
    conditions = _bucket_conditions(h)
    row = (
        Dossier.objects.filter(open_q(), unit__in=desk_units(user), due_at__lt=h.next_day_end)
        .order_by()
        .aggregate(**{name: Count("id", filter=condition) for name, condition in conditions.items()})
    )
    return DeskCounts(row["due_today"] or 0, row["due_tomorrow"] or 0, row["overdue"] or 0)


# --- morning digest ---------------------------------------------------------------------------------
DIGEST_CODES = 30  # codes listed per line; the rest are counted


@dataclass
class UnitDigest:
    unit: Unit
    due_today: list = field(default_factory=list)
    due_tomorrow: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    overdue_without_apology: int = 0

    @property
    def empty(self):
        return not (self.due_today or self.due_tomorrow or self.overdue)


def unit_digests(units, h):
    """{unit id: UnitDigest} for the dossiers open at these units and due by the end of the next working day."""
    digests = {unit.pk: UnitDigest(unit) for unit in units}
    rows = (
        Dossier.objects.filter(open_q(), unit__in=list(digests), due_at__lt=h.next_day_end)
        .order_by("due_at", "code")
        .values_list("unit_id", "code", "due_at", "apology__id")
    )
    for unit_id, code, due_at, apology_id in rows:
        digest = digests[unit_id]
        # The same three buckets as desk_counts (_bucket_conditions), on rows already read.
        if due_at < h.now:
            digest.overdue.append(code)
            digest.overdue_without_apology += apology_id is None
        elif due_at < h.today_end:
            digest.due_today.append(code)
        else:
            digest.due_tomorrow.append(code)
    return digests


def _codes(codes):
    shown = ", ".join(codes[:DIGEST_CODES])
    more = len(codes) - DIGEST_CODES
    return f"{shown} và {number(more)} hồ sơ khác" if more > 0 else shown


def digest_text(user, digests, h):
    name = user.get_full_name() or user.get_username()
    lines = [f"Kính gửi {name},", "", f"Tình hình hồ sơ cần xử lý đầu ngày làm việc {_fmt_day(h.today)}:"]
    for digest in digests:
        lines += ["", digest.unit.name.upper()]
        for label, codes in (
            (f"Đến hạn hôm nay ({_fmt_day(h.today)})", digest.due_today),
            (f"Đến hạn ngày làm việc tiếp theo ({_fmt_day(h.next_working_day)})", digest.due_tomorrow),
            ("Đang quá hạn", digest.overdue),
        ):
            lines.append(f"- {label}: {number(len(codes))} hồ sơ" + (f": {_codes(codes)}." if codes else "."))
        if digest.overdue_without_apology:
            lines.append(
                f"  Trong đó {number(digest.overdue_without_apology)} hồ sơ quá hạn chưa có phiếu xin lỗi và hẹn lại"
                " ngày trả kết quả (Mẫu 04): đề nghị lập phiếu gửi người nộp."
            )
    lines += ["", "Thư gửi tự động từ Cổng Một cửa; không trả lời thư này."]
    return "\n".join(lines)


def send_digests(now=None, work_calendar=None):
    """One e-mail per desk officer (with an address) on a working day: due today, due next working day, overdue.

    Officers whose desks have nothing due are not written to. Returns the number of e-mails sent (0 on a day off).
    """
    from .calendar import calendar

    work_calendar = work_calendar or calendar()
    h = horizons(now, work_calendar)
    if not work_calendar.is_working_day(h.today):
        log.info("Ngày %s không phải ngày làm việc: không gửi thư nhắc việc.", _fmt_day(h.today))
        return 0
    memberships = list(
        Membership.objects.filter(role=Role.DESK, user__is_active=True)
        .exclude(user__email="")
        .select_related("user", "unit")
        .order_by("user_id", "unit__path")
    )
    digests = unit_digests({m.unit for m in memberships}, h)
    per_user = {}
    for membership in memberships:
        per_user.setdefault(membership.user, []).append(digests[membership.unit_id])
    messages = []
    for user, user_digests in per_user.items():
        if all(digest.empty for digest in user_digests):
            continue
        counts = [sum(len(getattr(d, name)) for d in user_digests) for name in ("due_today", "due_tomorrow", "overdue")]
        subject = (
            f"[Một cửa] Hồ sơ ngày {_fmt_day(h.today)}: {number(counts[0])} đến hạn hôm nay,"
            f" {number(counts[1])} đến hạn ngày làm việc tiếp theo, {number(counts[2])} quá hạn"
        )
        messages.append(EmailMessage(subject, digest_text(user, user_digests, h), to=[user.email]))
    sent = get_connection().send_messages(messages) if messages else 0
    log.info("Thư nhắc việc ngày %s: đã gửi %s thư.", _fmt_day(h.today), number(sent or 0))
    return sent or 0


# --- apologies in the figures ---------------------------------------------------------------------------
def late_q(period):
    """Resolved late in the period (reports.tally's definition), with the index-friendly condition it implies."""
    from reports.tally import counter_conditions

    return counter_conditions(period)["resolved_late"] & Q(resolved_at__gt=F("due_at"))


def overdue_at_end_q(period):
    """Open and overdue at the period's end (reports.tally's definition), with the OR of indexed arms it implies."""
    from reports.tally import counter_conditions

    end = period.end_at
    arms = Q(resolved_at__isnull=True, ended_at__isnull=True) | Q(resolved_at__gte=end) | Q(ended_at__gte=end)
    return counter_conditions(period)["in_progress_overdue"] & arms


def apology_counts(period, units, owed=None):
    """{unit id: (late or overdue, of which with an apology)} for units with any.

    `owed` ({unit id: late + overdue}, e.g. from a Tally: resolved_late + in_progress_overdue, the same
    definitions) saves counting the late dossiers again; then only the dossiers that have an apology are read,
    starting from the small apology table. Without it, one aggregate per kind (a dossier is never both), each
    reading its own index ranges.
    """
    from reports.tally import unit_ids

    from .outcome import with_days

    period = period.up_to(timezone.localdate())  # a running period counts as of today, as the tally does
    ids = unit_ids(units)
    dossiers = with_days(Dossier.objects.filter(unit_id__in=ids, received_at__lt=period.end_at))
    conditions = (late_q(period), overdue_at_end_q(period))
    late = dict(owed or {})
    if owed is None:
        for condition in conditions:
            for row in dossiers.filter(condition).values("unit_id").order_by().annotate(count=Count("id")):
                late[row["unit_id"]] = late.get(row["unit_id"], 0) + row["count"]
    with_apology = {
        row["unit_id"]: row["count"]
        for row in dossiers.filter(conditions[0] | conditions[1], apology__isnull=False)
        .values("unit_id")
        .order_by()
        .annotate(count=Count("id"))
    }
    return {unit_id: (count, with_apology.get(unit_id, 0)) for unit_id, count in late.items() if count}


# --- explanations (giải trình) ----------------------------------------------------------------------------
def _above_or_at(membership, unit):
    return unit.path.startswith(membership.unit.path)


def can_request_explanations(user, office_unit):
    """The office (Văn phòng) or an administrator at the unit or above it."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.role in (Role.OFFICE, Role.ADMIN) and _above_or_at(m, office_unit) for m in access.memberships(user))


@transaction.atomic
def request_explanations(*, office_unit, period, deadline, by, reference="", note="", today=None, units=None):
    """Ask every unit below the office with late or overdue dossiers in the period for an explanation by a date.

    The units and their figures come from reports.tally.tally, stored as they were when asked. The office's own
    unit is not asked (it is the one asking). `units` (ids) narrows the request to the units the office ticked;
    a unit without late or overdue dossiers is never named, whatever is ticked.
    """
    from reports.tally import tally

    if not can_request_explanations(by, office_unit):
        raise FollowupRefused(f"Chỉ Văn phòng hoặc quản trị của {office_unit.name} được yêu cầu giải trình.")
    today = today or timezone.localdate()
    if deadline < today:
        raise FollowupRefused(f"Hạn gửi giải trình {_fmt_day(deadline)} đã qua.")
    figures = tally(period, scope=office_unit, by_field=False)
    named = [row for row in figures.units_with_late_or_overdue() if row.unit.pk != office_unit.pk]
    if units is not None:
        chosen = {int(pk) for pk in units}
        named = [row for row in named if row.unit.pk in chosen]
    if not named:
        raise FollowupRefused(
            f"Không có đơn vị nào thuộc {office_unit.name} có hồ sơ giải quyết quá hạn hoặc đang quá hạn"
            f" {period.range_text}: không có đơn vị cần giải trình."
        )
    request = ExplanationRequest.objects.create(
        office=office_unit, period_start=period.start, period_end=period.end, deadline=deadline,
        reference=(reference or "").strip(), note=(note or "").strip(), created_by=by,
    )  # fmt: skip
    Explanation.objects.bulk_create(
        Explanation(
            request=request,
            unit=row.unit,
            late_count=row.counters.resolved_late,
            overdue_count=row.counters.in_progress_overdue,
        )
        for row in named
    )
    return request


def can_answer_explanation(user, explanation):
    """Only the unit's own staff (desk or office membership at that very unit) answer for it."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, unit_id=explanation.unit_id, role__in=(Role.DESK, Role.OFFICE)).exists()


def can_view_explanation(user, explanation):
    """The unit's own members, and above it the office, Nội vụ (appraisal) and administrators; nobody else."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    unit = explanation.unit
    for membership in access.memberships(user):
        if membership.unit_id == unit.pk:
            return True
        if membership.role in (Role.OFFICE, Role.HOME_AFFAIRS, Role.ADMIN) and _above_or_at(membership, unit):
            return True
    return False


def visible_explanations(user):
    """The explanations the user may read (the same rule as can_view_explanation, as a queryset)."""
    queryset = Explanation.objects.select_related("request", "unit")
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    condition = Q(pk__in=[])
    for membership in access.memberships(user):
        condition |= Q(unit_id=membership.unit_id)
        if membership.role in (Role.OFFICE, Role.HOME_AFFAIRS, Role.ADMIN):
            condition |= Q(unit__path__startswith=membership.unit.path)
    return queryset.filter(condition)


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc
ZIP = b"PK\x03\x04"  # .docx
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "doc": (OLE2,),
    "docx": (ZIP,),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}


def check_attachment(upload):
    """Size ≤ 10 MB; PDF, Word or a JPG/PNG picture, by its extension and by its first bytes."""
    name = os.path.basename(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in SIGNATURES:
        raise FollowupRefused(f"Tệp «{name}» không được nhận: chỉ nhận tệp PDF, DOC, DOCX, JPG, PNG.")
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise FollowupRefused(f"Tệp «{name}» dung lượng {_megabytes(upload.size)} MB, vượt quá giới hạn 10 MB.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in SIGNATURES[extension]):
        raise FollowupRefused(f"Nội dung tệp «{name}» không phải tệp {extension.upper()} hợp lệ.")
    return name


def _megabytes(size):
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def answer_explanation(explanation, *, by, text, attachment=None, at=None):
    """The unit's written explanation, with an optional attachment. Answered once: the office may already have read
    it, and an amendment would overwrite that without a trace (no history table). An answer after the deadline is
    taken and shows as late.
    """
    if not can_answer_explanation(by, explanation):
        raise FollowupRefused(f"Chỉ cán bộ của {explanation.unit.name} được gửi giải trình của đơn vị.")
    text = (text or "").strip()
    if not text:
        raise FollowupRefused("Cần ghi nội dung giải trình.")
    name = check_attachment(attachment) if attachment else None
    at = at or timezone.now()
    with transaction.atomic():
        locked = Explanation.objects.select_for_update().select_related("request", "unit").get(pk=explanation.pk)
        if locked.answered_at is not None:
            raise FollowupRefused(f"{locked.unit.name} đã gửi giải trình lúc {_fmt(locked.answered_at)}.")
        locked.text, locked.answered_at, locked.answered_by = text, at, by
        if attachment:
            locked.attachment.save(name, attachment, save=False)
        try:
            locked.save(update_fields=["text", "answered_at", "answered_by", "attachment"])
        except Exception:
            if attachment:
                locked.attachment.delete(save=False)
            raise
    for name_ in ("text", "answered_at", "answered_by_id", "attachment"):
        setattr(explanation, name_, getattr(locked, name_))
    return explanation


@dataclass
class ExplanationStatus:
    request: ExplanationRequest
    answered: list  # answered, on time or late (Explanation.is_late tells)
    waiting: list  # not answered, deadline not passed
    past_deadline: list  # not answered, deadline passed

    @property
    def total(self):
        return len(self.answered) + len(self.waiting) + len(self.past_deadline)


def explanation_status(request, today=None):
    """Who answered, who has not yet, who is past the deadline without answering: one query."""
    today = today or timezone.localdate()
    answered, waiting, past = [], [], []
    for explanation in request.explanations.select_related("unit", "answered_by", "request").order_by("unit__path"):
        if explanation.answered:
            answered.append(explanation)
        elif today > request.deadline:
            past.append(explanation)
        else:
            waiting.append(explanation)
    return ExplanationStatus(request, answered, waiting, past)
