"""Giải trình: the office names units with late or overdue dossiers and asks each for a written explanation by a
date; each unit answers once, with an optional attachment; the office follows who answered.

Who may do what is cases.desk.access; the figures that name the units are the tally's.
"""

import os
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cases.core.formats import day, megabytes, moment
from cases.desk import access
from reports.figures import periods
from reports.figures.officials import responsible
from reports.figures.tally import tally

from .models import Explanation, ExplanationRequest


class FollowupRefused(ValueError):
    """A follow-up step the rules do not allow; the message is Vietnamese and shown to the user."""


@transaction.atomic
def request_explanations(*, office_unit, period, deadline, by, reference="", note="", today=None, units=None):
    """Ask every unit below the office with late or overdue dossiers in the period for an explanation by a date.

    The units and their figures come from the tally, stored as they were when asked. The office's own unit is not
    asked (it is the one asking). `units` (ids) narrows the request to the units the office ticked; a unit without
    late or overdue dossiers is never named, whatever is ticked.
    """
    if not access.may_request_explanations(by, office_unit):
        raise FollowupRefused(f"Chỉ Văn phòng hoặc quản trị của {office_unit.name} được yêu cầu giải trình.")
    today = today or timezone.localdate()
    if deadline < today:
        raise FollowupRefused(f"Hạn gửi giải trình {day(deadline)} đã qua.")
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
    return access.may_answer_for(user, explanation.unit_id)


def can_view_explanation(user, explanation):
    """The unit's own members, and above it the office, Nội vụ (appraisal) and administrators; nobody else."""
    return access.may_read_unit_record(user, explanation.unit)


def visible_explanations(user):
    """The explanations the user may read (the same rule as can_view_explanation, as a queryset)."""
    queryset = Explanation.objects.select_related("request", "unit")
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(access.unit_records_q(user, "unit"))


def overseen_requests(user):
    """The requests of the offices the user oversees (their own office's, and those below it)."""
    queryset = ExplanationRequest.objects.select_related("office", "created_by")
    return queryset.filter(access.overseen_q(user, "office__path"))


def owed_by(user):
    """The explanations the user's own units owe (or gave): the unit side of the page."""
    return Explanation.objects.filter(unit_id__in=access.staffed_unit_ids(user)).select_related(
        "request__office", "unit", "answered_by"
    )


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
        raise FollowupRefused(f"Tệp «{name}» dung lượng {megabytes(upload.size)} MB, vượt quá giới hạn 10 MB.")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in SIGNATURES[extension]):
        raise FollowupRefused(f"Nội dung tệp «{name}» không phải tệp {extension.upper()} hợp lệ.")
    return name


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
            raise FollowupRefused(f"{locked.unit.name} đã gửi giải trình lúc {moment(locked.answered_at)}.")
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


def responsible_steps(request, unit_ids=None, today=None):
    """The steps and officials behind the late or overdue dossiers of the units asked (all of the request's, or
    `unit_ids`), counted as the request counted them: its period, up to today while it runs."""
    today = today or timezone.localdate()
    period = periods.date_range(request.period_start, request.period_end).up_to(today)
    if unit_ids is None:
        unit_ids = list(request.explanations.values_list("unit_id", flat=True))
    return responsible(period, unit_ids)
