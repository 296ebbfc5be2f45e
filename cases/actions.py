"""Every change to a dossier: validated, atomic, and recorded as a DossierEvent in the same transaction.

Dossier gets these as methods (see DossierActions); views and imports call them, never save() fields by hand.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .calendar import calendar as load_calendar

# A step may be recorded a little in the future (clocks of desk PCs drift), not more.
FUTURE_TOLERANCE = timedelta(minutes=5)


class ActionRefused(ValidationError):
    """A step that the dossier's state or dates do not allow; the message is shown to the user."""


def _fmt(moment):
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def _stamp(value):
    return timezone.localtime(value).isoformat() if value else None


class DossierActions:
    """Mixed into Dossier."""

    # --- receipt --------------------------------------------------------------------------------
    @classmethod
    def next_code(cls, unit, day):
        """`<unit code>-<yymmdd>-<sequence>`: per unit and day, readable over the phone."""
        prefix = f"{unit.code}-{day:%y%m%d}-"
        last = (
            cls.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
        )
        sequence = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
        return f"{prefix}{sequence:04d}"

    @classmethod
    def receive(cls, *, unit, procedure, applicant_name, by=None, received_at=None, code="", work_calendar=None,
                **details):
        """Tiếp nhận: compute the due time, save, and record the receipt."""
        received_at = received_at or timezone.now()
        work_calendar = work_calendar or load_calendar()
        due_at = work_calendar.due_at(received_at, procedure.processing_days, procedure.same_day_cutoff)
        for attempt in range(5):
            dossier = cls(
                code=code or cls.next_code(unit, timezone.localtime(received_at).date()),
                unit=unit, procedure=procedure, applicant_name=applicant_name, received_at=received_at,
                processing_days=procedure.processing_days, due_at=due_at, received_by=by, **details,
            )
            try:
                with transaction.atomic():
                    dossier.save()
                    dossier._record("received", by, received_at, after={"due_at": _stamp(due_at)})
                return dossier
            except IntegrityError:
                if code or attempt == 4:
                    raise ActionRefused(f"Mã hồ sơ {dossier.code} đã có.") from None
        raise AssertionError("unreachable")

    # --- steps ------------------------------------------------------------------------------------
    def request_supplement(self, *, by, missing_papers, reason="", at=None):
        """Yêu cầu bổ sung (Mẫu 02): the clock stops until the papers arrive."""
        self._stop_clock("bo_sung", "supplement_requested", by, at, reason, missing_papers)

    def receive_supplement(self, *, by, at=None):
        """Papers received: the clock restarts and the due time moves."""
        self._restart_clock("bo_sung", "supplement_received", by, at)

    def pause(self, *, by, reason, at=None):
        self._stop_clock("tam_dung", "paused", by, at, reason, "")

    def resume(self, *, by, at=None):
        self._restart_clock("tam_dung", "resumed", by, at)

    def resolve(self, *, by, at=None, result_digitized=None):
        """Có kết quả. A dossier waiting for papers must have them first."""
        at = self._check_time(at)
        self._require_state(("dang_giai_quyet",), "ghi nhận có kết quả")
        before = self._snapshot("state", "resolved_at")
        self.state, self.resolved_at = "da_co_ket_qua", at
        if result_digitized is not None:
            self.result_digitized = result_digitized
        self._save_and_record("resolved", by, at, before)

    def return_result(self, *, by, at=None):
        """Trả kết quả cho người nộp."""
        at = self._check_time(at, not_before=self.resolved_at, not_before_label="ngày có kết quả")
        self._require_state(("da_co_ket_qua",), "trả kết quả")
        before = self._snapshot("state", "returned_at")
        self.state, self.returned_at = "da_tra", at
        self._save_and_record("returned", by, at, before)

    def refuse(self, *, by, reason, at=None):
        """Từ chối (Mẫu 03): the reason is required and printed."""
        self._end_without_result("tu_choi", "refused", by, reason, at, "từ chối")

    def withdraw(self, *, by, reason, at=None):
        self._end_without_result("rut", "withdrawn", by, reason, at, "rút hồ sơ")

    def assign(self, *, by, handler):
        before = {"handler": self.handler.get_username() if self.handler_id else None}
        self.handler = handler
        self._save_and_record("assigned", by, timezone.now(), before, after={"handler": handler.get_username()})

    CORRECTABLE = {
        "received_at": "ngày tiếp nhận",
        "due_at": "ngày hẹn trả",
        "resolved_at": "ngày có kết quả",
        "returned_at": "ngày trả kết quả",
    }

    def correct_date(self, *, by, field, value, reason, work_calendar=None):
        """Sửa ngày: a wrong entry is corrected with a reason, the old value kept in the event."""
        if field not in self.CORRECTABLE:
            raise ActionRefused(f"Không sửa được trường {field}.")
        if not (reason or "").strip():
            raise ActionRefused("Cần ghi lý do sửa ngày.")
        if value is None and field in ("received_at", "due_at"):
            raise ActionRefused(f"{self.CORRECTABLE[field].capitalize()} không được để trống.")
        if getattr(self, f"{field}") is None and value is not None and field in ("resolved_at", "returned_at"):
            raise ActionRefused(f"Hồ sơ chưa có {self.CORRECTABLE[field]}; dùng thao tác tương ứng.")
        before = self._snapshot(field, "due_at")
        setattr(self, field, value)
        if field == "received_at" and not self.due_at_given:
            work_calendar = work_calendar or load_calendar()
            self.due_at = work_calendar.due_at(value, self.processing_days, self.procedure.same_day_cutoff)
        if field == "due_at":
            self.due_at_given = True
        self._check_order()
        self._save_and_record("corrected", by, timezone.now(), before, reason=reason.strip())

    # --- helpers ----------------------------------------------------------------------------------
    def _stop_clock(self, pause_kind, event_kind, by, at, reason, missing_papers):
        at = self._check_time(at)
        self._require_state(("dang_giai_quyet",), "dừng tính thời hạn")
        if pause_kind == "bo_sung" and not (missing_papers or "").strip():
            raise ActionRefused("Cần ghi rõ giấy tờ phải bổ sung.")
        if pause_kind == "tam_dung" and not (reason or "").strip():
            raise ActionRefused("Cần ghi lý do tạm dừng.")
        before = self._snapshot("state")
        self.state, self.clock_stopped_at = pause_kind, at
        with transaction.atomic():
            self.clock_stops.create(kind=pause_kind, started_at=at, reason=reason or "", missing_papers=missing_papers or "", by=by)
            self._save_and_record(event_kind, by, at, before, reason=(missing_papers or reason or "").strip())

    def _restart_clock(self, pause_kind, event_kind, by, at, work_calendar=None):
        at = self._check_time(at, not_before=self.clock_stopped_at, not_before_label="ngày dừng")
        self._require_state((pause_kind,), "tiếp tục tính thời hạn")
        work_calendar = work_calendar or load_calendar()
        stop = self.clock_stops.filter(ended_at__isnull=True).order_by("-started_at").first()
        started = stop.started_at if stop else self.clock_stopped_at
        before = self._snapshot("state", "due_at")
        self.due_at = work_calendar.due_after_stop(
            self.due_at, started, at, self.received_at, self.processing_days
        )
        self.state, self.clock_stopped_at = "dang_giai_quyet", None
        if self.overdue_since and self.due_at > timezone.now():
            self.overdue_since = None
        with transaction.atomic():
            if stop:
                stop.ended_at = at
                stop.working_seconds = work_calendar.working_seconds_between(started, at)
                stop.save(update_fields=["ended_at", "working_seconds"])
            self._save_and_record(event_kind, by, at, before)

    def _end_without_result(self, state, event_kind, by, reason, at, verb):
        at = self._check_time(at)
        if not (reason or "").strip():
            raise ActionRefused(f"Cần ghi lý do {verb}.")
        self._require_state(("dang_giai_quyet", "bo_sung", "tam_dung"), verb)
        before = self._snapshot("state", "ended_at")
        self.state, self.ended_at, self.clock_stopped_at = state, at, None
        with transaction.atomic():
            self.clock_stops.filter(ended_at__isnull=True).update(ended_at=at)
            self._save_and_record(event_kind, by, at, before, reason=reason.strip())

    def _require_state(self, allowed, verb):
        if self.state not in allowed:
            raise ActionRefused(f"Hồ sơ đang ở trạng thái «{self.get_state_display()}», không thể {verb}.")

    def _check_time(self, at, not_before=None, not_before_label="ngày tiếp nhận"):
        at = at or timezone.now()
        if at > timezone.now() + FUTURE_TOLERANCE:
            raise ActionRefused(f"Thời điểm {_fmt(at)} ở tương lai.")
        not_before = not_before or self.received_at
        if at < not_before:
            raise ActionRefused(f"Thời điểm {_fmt(at)} trước {not_before_label} {_fmt(not_before)}.")
        return at

    def _check_order(self):
        if self.resolved_at and self.resolved_at < self.received_at:
            raise ActionRefused(
                f"Ngày có kết quả {_fmt(self.resolved_at)} trước ngày tiếp nhận {_fmt(self.received_at)}."
            )
        if self.returned_at and self.resolved_at and self.returned_at < self.resolved_at:
            raise ActionRefused(
                f"Ngày trả kết quả {_fmt(self.returned_at)} trước ngày có kết quả {_fmt(self.resolved_at)}."
            )
        if self.due_at < self.received_at:
            raise ActionRefused(f"Ngày hẹn trả {_fmt(self.due_at)} trước ngày tiếp nhận {_fmt(self.received_at)}.")

    def _snapshot(self, *fields):
        values = {}
        for name in fields:
            value = getattr(self, name)
            values[name] = _stamp(value) if hasattr(value, "tzinfo") else value
        return values

    def _save_and_record(self, kind, by, at, before, reason="", after=None):
        with transaction.atomic():
            self.save()
            self._record(kind, by, at, before=before, after=after or self._snapshot(*before), reason=reason)

    def _record(self, kind, by, at, before=None, after=None, reason=""):
        return self.events.create(kind=kind, by=by, at=at, before=before or {}, after=after or {}, reason=reason)
