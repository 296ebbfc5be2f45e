"""Thư nhắc việc: each desk officer's morning e-mail of what is overdue, due today and due the next working day."""

import logging
from dataclasses import dataclass, field

from django.core.mail import EmailMessage, get_connection

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Unit
from cases.core.formats import day, display_name, number
from cases.desk.models import Dossier, Membership
from cases.desk.outcome import DUE_SOON, DUE_TODAY, OVERDUE, horizons, open_q
from cases.desk.states import Role

log = logging.getLogger(__name__)

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
        # The same three buckets as the Today page and the badge (cases.desk.outcome), on rows already read.
        bucket = h.bucket(due_at)
        if bucket == OVERDUE:
            digest.overdue.append(code)
            digest.overdue_without_apology += apology_id is None
        elif bucket == DUE_TODAY:
            digest.due_today.append(code)
        elif bucket == DUE_SOON:
            digest.due_tomorrow.append(code)
    return digests


def _codes(codes):
    shown = ", ".join(codes[:DIGEST_CODES])
    more = len(codes) - DIGEST_CODES
    return f"{shown} và {number(more)} hồ sơ khác" if more > 0 else shown


def digest_text(user, digests, h):
    lines = [f"Kính gửi {display_name(user)},", "", f"Tình hình hồ sơ cần xử lý đầu ngày làm việc {day(h.today)}:"]
    for digest in digests:
        lines += ["", digest.unit.name.upper()]
        for label, codes in (
            (f"Đến hạn hôm nay ({day(h.today)})", digest.due_today),
            (f"Đến hạn ngày làm việc tiếp theo ({day(h.next_working_day)})", digest.due_tomorrow),
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
    work_calendar = work_calendar or calendar()
    h = horizons(now, work_calendar)
    if not work_calendar.is_working_day(h.today):
        log.info("Ngày %s không phải ngày làm việc: không gửi thư nhắc việc.", day(h.today))
        return 0
    memberships = list(
        Membership.objects.filter(role=Role.DESK, active=True, user__is_active=True)
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
            f"[Một cửa] Hồ sơ ngày {day(h.today)}: {number(counts[0])} đến hạn hôm nay,"
            f" {number(counts[1])} đến hạn ngày làm việc tiếp theo, {number(counts[2])} quá hạn"
        )
        messages.append(EmailMessage(subject, digest_text(user, user_digests, h), to=[user.email]))
    sent = get_connection().send_messages(messages) if messages else 0
    log.info("Thư nhắc việc ngày %s: đã gửi %s thư.", day(h.today), number(sent or 0))
    return sent or 0
