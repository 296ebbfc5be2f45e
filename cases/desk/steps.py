"""Every change to a dossier: validated, atomic, and recorded as a DossierEvent in the same transaction.

Dossier gets these as methods (see DossierSteps); views, the API and imports call them, never save() fields by hand.
Which state allows which step, and what each event records, are the rules of cases.desk.states.
Each step reads the dossier again under a row lock before it checks anything, so two officers acting at once
cannot both resolve it; a refused step writes nothing and leaves the instance as the database has it.
"""

import logging
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from cases.catalogue.calendar import calendar as load_calendar
from cases.catalogue.models import Level
from cases.core import queue

from . import codes
from .outcome import LATE, late_steps, outcome_of
from .signals import step_recorded
from .states import (
    ALLOWED,
    EVENT_FIELDS,
    OPEN_STATES,
    STOP_STATE,
    EventKind,
    PauseKind,
    Satisfaction,
    State,
    snapshot,
    stamp,
)

log = logging.getLogger(__name__)

# The step that restarts the clock after each kind of stop.
STEP_RESUMING = {PauseKind.SUPPLEMENT: "receive_supplement", PauseKind.PAUSE: "resume"}

# A step may be recorded a little in the future (clocks of desk PCs drift), not more.
FUTURE_TOLERANCE = timedelta(minutes=5)


class ActionRefused(ValidationError):
    """A step that the dossier's state or dates do not allow; the message is shown to the user."""


def _fmt(moment):
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else ""


def receipt_refusal(unit, procedure, day):
    """Why `unit` may not receive a dossier of `procedure` received on `day`; None when it may.

    One rule for the desk, an import and the API: units are merged and abolished (two-level government from
    01/07/2025), so a closed desk receives nothing; a procedure no longer applied is not received.
    """
    if not unit.is_valid_on(day):
        successor = f"; hồ sơ nộp tại {unit.merged_into.name}" if unit.merged_into_id else ""
        return f"{unit.name} không còn hoạt động ngày {day:%d/%m/%Y}{successor}."
    if not procedure.active:
        return f"Thủ tục {procedure.code} đã ngừng áp dụng."
    return None


def level_refusal(desk, resolving_unit, procedure):
    """Why the desk may not take in this procedure for that unit (a message), or None when it may.

    The unit that resolves must be of the procedure's level (cấp thực hiện); a desk of another level takes it in
    for such a unit only where the province allows receipt across levels (RECEIPT_ACROSS_LEVELS). The desk and the
    API ask it; an import of history does not (what was received, was received).
    """
    if not procedure.level:
        return None
    level = Level(procedure.level).label.lower()
    if resolving_unit.level != procedure.level:
        return (
            f"Thủ tục {procedure.code} thuộc thẩm quyền giải quyết {level}, không thuộc {resolving_unit.name}:"
            f" chọn đơn vị giải quyết {level}."
        )
    if desk.level != procedure.level and not settings.RECEIPT_ACROSS_LEVELS:
        return (
            f"Bộ phận Một cửa {desk.name} không tiếp nhận thủ tục {level} ({procedure.code}): tỉnh chưa cho phép"
            " tiếp nhận hồ sơ khác cấp. Hướng dẫn người nộp đến nơi tiếp nhận thủ tục này."
        )
    return None


def receipt_warning(received_at, work_calendar):
    """What to tell the officer about a receipt outside office hours (not a refusal: a desk may stay open late,
    but a wrong clock or a mistyped hour shows here); '' within hours."""
    if not work_calendar.outside_office_hours(received_at):
        return ""
    local = timezone.localtime(received_at)
    when = "ngày nghỉ" if not work_calendar.is_working_day(local.date()) else "ngoài giờ làm việc"
    return (
        f"Hồ sơ tiếp nhận lúc {_fmt(received_at)}, {when} ({work_calendar.hours_text()} các ngày làm việc):"
        f" thời hạn giải quyết tính từ {_fmt(work_calendar.next_opening(received_at))}."
        " Kiểm tra lại giờ tiếp nhận nếu nhập nhầm."
    )


def apology_warning(issued_at, due_at):
    """An apology issued after the due time: Decree 61/2018, Art. 18 expects it before the time runs out."""
    if issued_at <= due_at:
        return ""
    return (
        f"Phiếu xin lỗi lập lúc {_fmt(issued_at)}, sau thời điểm hẹn trả {_fmt(due_at)}: Nghị định 61/2018/NĐ-CP,"
        " Điều 18 yêu cầu gửi phiếu xin lỗi và hẹn lại ngày trả trước khi hết hạn giải quyết."
    )


def _step(method):
    """Run a step in one transaction on a freshly locked row; on any failure restore the instance from the DB."""

    @wraps(method)
    def run(self, *args, **kwargs):
        try:
            with transaction.atomic():
                self.refresh_from_db(from_queryset=type(self)._base_manager.select_for_update())
                return method(self, *args, **kwargs)
        except Exception:
            self.refresh_from_db()
            raise

    return run


class DossierSteps:
    """Mixed into Dossier."""

    # --- receipt --------------------------------------------------------------------------------
    @classmethod
    def next_code(cls, unit, day):
        """`<unit code>-<yymmdd>-<number>`, per unit and day, readable over the phone (cases.desk.codes): the next
        number of the day's counter, past any number a typed or imported code took. Call inside the transaction
        that saves the dossier (the counter row stays locked until it commits)."""
        while True:
            code = f"{codes.prefix(unit, day)}{codes.take_number(unit, day):04d}"
            if not cls.objects.filter(code=code).exists():
                return code
            # Codes written without the counter (before it, or by the demo generator): go past all of them at once.
            taken = cls.objects.filter(code__startswith=codes.prefix(unit, day)).values_list("code", flat=True)
            codes.claim([(unit.pk, day, codes.highest_taken(unit, day, taken))])

    @classmethod
    def receive(
        cls, *, unit, procedure, applicant_name, by=None, received_at=None, code="", work_calendar=None, due_at=None,
        resolving_unit=None, **details,
    ):  # fmt: skip
        """Tiếp nhận at the desk of `unit`: compute the due time (or keep one typed in, as an import's ngày hẹn trả),
        save, record. `resolving_unit`: another unit of the province that resolves it (Decree 118/2025/NĐ-CP).

        A code given by hand follows the rules of cases.desk.codes; without one, the unit's next number of the day
        is given, and that never fails for want of a free number."""
        now = timezone.now()
        received_at = received_at or now
        if received_at > now + FUTURE_TOLERANCE:
            raise ActionRefused(f"Ngày tiếp nhận {_fmt(received_at)} ở tương lai.")
        desk, resolving_unit = unit, resolving_unit or unit
        for checked in {desk, resolving_unit}:
            refusal = receipt_refusal(checked, procedure, timezone.localtime(received_at).date())
            if refusal:
                raise ActionRefused(refusal)
        refusal = level_refusal(desk, resolving_unit, procedure)
        if refusal:
            raise ActionRefused(refusal)
        if resolving_unit != desk:
            # Received regardless of the administrative boundary: the desk numbers it, the other unit resolves it.
            details["receiving_unit"] = desk
        if code:
            refusal = codes.refusal(code, unit)
            if refusal:
                raise ActionRefused(f"Mã hồ sơ {refusal}.")
        work_calendar = work_calendar or load_calendar()
        warning = receipt_warning(received_at, work_calendar)
        if due_at is None:
            due_at = work_calendar.due_at(received_at, procedure.processing_days, procedure.same_day_cutoff)
        else:
            if due_at < received_at:
                raise ActionRefused(f"Ngày hẹn trả {_fmt(due_at)} trước ngày tiếp nhận {_fmt(received_at)}.")
            details["due_at_given"] = True
        day = timezone.localtime(received_at).date()
        try:
            with transaction.atomic():
                dossier = cls(
                    code=code or cls.next_code(desk, day),
                    unit=resolving_unit, procedure=procedure, applicant_name=applicant_name, received_at=received_at,
                    processing_days=procedure.processing_days, due_at=due_at, received_by=by, **details,
                )  # fmt: skip
                dossier.save()
                if code:
                    codes.claim_codes([(desk.pk, desk.code, code)])
                dossier._record(
                    EventKind.RECEIVED, by, received_at, after=dossier._snapshot(EventKind.RECEIVED), warning=warning
                )
                dossier._open_first_step(by, work_calendar)
                dossier._flag_if_overdue()
            return dossier
        except IntegrityError:
            # Only a code given by hand can be taken (an automatic one is checked under the counter's lock).
            if code and cls.objects.filter(code=code).exists():
                raise ActionRefused(f"Mã hồ sơ {code} đã có.") from None
            raise

    # --- steps ------------------------------------------------------------------------------------
    @_step
    def request_supplement(self, *, by, missing_papers, reason="", at=None):
        """Yêu cầu bổ sung (Mẫu 02): the clock stops until the papers arrive."""
        if not (missing_papers or "").strip():
            raise ActionRefused("Cần ghi rõ giấy tờ phải bổ sung.")
        self._stop_clock(PauseKind.SUPPLEMENT, EventKind.SUPPLEMENT_REQUESTED, by, at, reason, missing_papers)

    @_step
    def receive_supplement(self, *, by, at=None, work_calendar=None):
        """Papers received: the clock restarts and the due time moves."""
        self._restart_clock(PauseKind.SUPPLEMENT, EventKind.SUPPLEMENT_RECEIVED, by, at, work_calendar)

    @_step
    def pause(self, *, by, reason, at=None):
        """Tạm dừng: the clock stops; the reason is required."""
        if not (reason or "").strip():
            raise ActionRefused("Cần ghi lý do tạm dừng.")
        self._stop_clock(PauseKind.PAUSE, EventKind.PAUSED, by, at, reason, "")

    @_step
    def resume(self, *, by, at=None, work_calendar=None):
        self._restart_clock(PauseKind.PAUSE, EventKind.RESUMED, by, at, work_calendar)

    @_step
    def resolve(self, *, by, at=None, result_digitized=None):
        """Có kết quả. A dossier waiting for papers or paused must be resumed first."""
        self._require_state("resolve", "ghi nhận có kết quả")
        at = self._check_time(at, *self._last_restart())
        before = self._snapshot(EventKind.RESOLVED)
        self.state, self.resolved_at = State.RESOLVED, at
        if result_digitized is not None:
            self.result_digitized = result_digitized
        self._save_and_record(EventKind.RESOLVED, by, at, before)

    @_step
    def return_result(self, *, by, at=None):
        """Trả kết quả cho người nộp: only once the result is there, and not before it."""
        self._require_state("return_result", "trả kết quả")
        at = self._check_time(at, self.resolved_at, "ngày có kết quả")
        before = self._snapshot(EventKind.RETURNED)
        self.state, self.returned_at = State.RETURNED, at
        self._close_process(at)
        self._save_and_record(EventKind.RETURNED, by, at, before)

    @_step
    def refuse(self, *, by, reason, at=None):
        """Từ chối (Mẫu 03): the reason is required and printed."""
        self._end_without_result("refuse", State.REFUSED, EventKind.REFUSED, by, reason, at, "từ chối")

    @_step
    def withdraw(self, *, by, reason, at=None):
        """Rút hồ sơ at the applicant's request: the reason is required."""
        self._end_without_result("withdraw", State.WITHDRAWN, EventKind.WITHDRAWN, by, reason, at, "rút hồ sơ")

    @_step
    def assign(self, *, by, handler):
        """Phân công người xử lý: while the dossier is open or its result not yet handed back."""
        self._require_state("assign", "phân công xử lý")
        if handler is None:
            raise ActionRefused("Cần chọn người xử lý.")
        if self.handler_id == handler.pk:
            raise ActionRefused(f"Hồ sơ đã được phân công cho {_name(handler)}.")
        before = {"handler": self.handler.get_username() if self.handler_id else None}
        self.handler = handler
        self._save_and_record(EventKind.ASSIGNED, by, timezone.now(), before, after={"handler": handler.get_username()})

    CORRECTABLE = {
        "received_at": "ngày tiếp nhận",
        "due_at": "ngày hẹn trả",
        "resolved_at": "ngày có kết quả",
        "returned_at": "ngày trả kết quả",
    }

    @_step
    def correct_date(self, *, by, field, value, reason, work_calendar=None):
        """Sửa ngày: a wrong entry is corrected with a reason, the old value kept in the event."""
        if field not in self.CORRECTABLE:
            raise ActionRefused(f"Không sửa được trường {field}.")
        label = self.CORRECTABLE[field]
        if not (reason or "").strip():
            raise ActionRefused("Cần ghi lý do sửa ngày.")
        if value is None:
            raise ActionRefused(f"{label.capitalize()} không được để trống.")
        if getattr(self, field) is None:
            raise ActionRefused(f"Hồ sơ chưa có {label}; dùng thao tác tương ứng.")
        if field != "due_at" and value > timezone.now() + FUTURE_TOLERANCE:
            raise ActionRefused(f"{label.capitalize()} {_fmt(value)} ở tương lai.")
        if value == getattr(self, field):
            raise ActionRefused(f"{label.capitalize()} đã là {_fmt(value)}.")
        before = snapshot(self, (field, "due_at"))
        setattr(self, field, value)
        if field == "received_at" and not self.due_at_given:
            self.due_at = self._recomputed_due(work_calendar or load_calendar())
        if field == "due_at":
            self.due_at_given = True
        self._check_order()
        if self.overdue_since and self.due_at > timezone.now():
            self.overdue_since = None
        self._save_and_record(EventKind.CORRECTED, by, timezone.now(), before, reason=reason.strip())
        self._flag_if_overdue()

    @_step
    def issue_apology(self, *, by, reason, new_due_at, at=None, step=None, work_calendar=None):
        """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): once only, for a dossier still open (Decree 61/2018,
        Art. 18 wants it before the due time, when the delay is foreseen) or resolved late. Issued after the due
        time it is recorded with a warning, not refused: the applicant is owed it all the same.

        The due time stays as it was: the figures keep the dossier late; the new return date is the apology's.
        `step`: the step that caused the delay, one of the dossier's steps that overran (by default the one late
        most; none when no step overran yet).
        """
        # The Apology model is the reverse relation's: this module sits below cases.desk.models.
        Apology = self._meta.get_field("apology").related_model  # noqa: N806
        at = self._check_time(at)
        existing = Apology.objects.filter(dossier=self).first()
        if existing is not None:
            raise ActionRefused(
                f"Hồ sơ đã có phiếu xin lỗi, hẹn lại ngày trả kết quả lập lúc {_fmt(existing.issued_at)} (hẹn trả"
                f" {_fmt(existing.new_due_at)}); ngày trả kết quả chỉ được hẹn lại một lần."
            )
        if self.state not in OPEN_STATES and outcome_of(self, now=at) != LATE:
            raise ActionRefused(
                f"Hồ sơ hẹn trả {_fmt(self.due_at)}, không giải quyết quá hạn: không lập phiếu xin lỗi, hẹn lại."
            )
        if not (reason or "").strip():
            raise ActionRefused("Cần ghi lý do chậm trả kết quả.")
        if new_due_at is None:
            raise ActionRefused("Cần ghi ngày hẹn trả kết quả mới.")
        if new_due_at <= self.due_at:
            raise ActionRefused(f"Ngày hẹn trả mới {_fmt(new_due_at)} phải sau ngày hẹn trả cũ {_fmt(self.due_at)}.")
        if new_due_at < at:
            raise ActionRefused(f"Ngày hẹn trả mới {_fmt(new_due_at)} đã qua.")
        step = self._delaying_step(step, at, work_calendar)
        apology = Apology.objects.create(
            dossier=self, reason=reason.strip(), previous_due_at=self.due_at, new_due_at=new_due_at, issued_at=at,
            issued_by=by, step=step,
        )  # fmt: skip
        after = {"return_promised_at": stamp(new_due_at)}
        if step is not None:
            after["step"] = step.number
        self._record(
            EventKind.APOLOGY, by, at, before={"return_promised_at": stamp(self.due_at)}, after=after,
            reason=apology.reason, warning=apology_warning(at, self.due_at),
        )  # fmt: skip
        return apology

    @_step
    def rate(self, *, level, source, comment="", by=None, at=None):
        """Đánh giá mức độ hài lòng: once per dossier, once its result was returned."""
        Rating = self._meta.get_field("rating").related_model  # noqa: N806 - reverse relation: no import upward
        self._require_state("rate", "đánh giá (chỉ đánh giá sau khi đã trả kết quả)")
        if level not in Satisfaction.values:
            raise ActionRefused("Cần chọn mức độ hài lòng.")
        existing = Rating.objects.filter(dossier=self).first()
        if existing is not None:
            raise ActionRefused(
                f"Hồ sơ đã được đánh giá «{existing.get_level_display()}» lúc {_fmt(existing.rated_at)}; mỗi hồ sơ"
                " chỉ đánh giá một lần."
            )
        at = self._check_time(at, self.returned_at, "ngày trả kết quả")
        rating = Rating.objects.create(
            dossier=self, level=level, comment=(comment or "").strip()[:2000], source=source, rated_at=at,
            recorded_by=by,
        )  # fmt: skip
        self._record(EventKind.RATED, by, at, after={"level": level, "source": source}, reason=rating.comment)
        return rating

    @_step
    def stop_messages(self, *, at=None):
        """Ngừng nhận tin nhắn: the applicant withdraws the consent given at receipt (the look-up's link). False when
        already stopped: asking twice changes nothing."""
        if self.messages_stopped_at is not None:
            return False
        before = self._snapshot(EventKind.MESSAGES_STOPPED)
        self.messages_stopped_at = at or timezone.now()
        self._save_and_record(EventKind.MESSAGES_STOPPED, None, self.messages_stopped_at, before)
        return True

    def _delaying_step(self, step, at, work_calendar=None):
        """The step an apology names as the cause of the delay: one of the steps that overran by `at`."""
        overran = late_steps(self.steps.select_related("holder"), work_calendar or load_calendar(), at)
        if step is None:
            return overran[0][0] if overran else None
        for found, _ in overran:
            if found.pk == getattr(step, "pk", step):
                return found
        raise ActionRefused("Bước được chọn không phải bước xử lý trễ hạn của hồ sơ này.")

    # --- helpers ----------------------------------------------------------------------------------
    def _stop_clock(self, pause_kind, event_kind, by, at, reason, missing_papers):
        self._require_state("pause", "dừng tính thời hạn")
        at = self._check_time(at, *self._last_restart())
        before = self._snapshot(event_kind)
        self.state, self.clock_stopped_at = STOP_STATE[pause_kind], at
        reason, missing_papers = (reason or "").strip(), (missing_papers or "").strip()
        self.clock_stops.create(kind=pause_kind, started_at=at, reason=reason, missing_papers=missing_papers, by=by)
        self._save_and_record(event_kind, by, at, before, reason=missing_papers or reason)

    def _restart_clock(self, pause_kind, event_kind, by, at, work_calendar=None):
        self._require_state(STEP_RESUMING[pause_kind], "tiếp tục tính thời hạn")
        at = self._check_time(at, self.clock_stopped_at, "ngày dừng tính thời hạn")
        work_calendar = work_calendar or load_calendar()
        stop = self.clock_stops.filter(ended_at__isnull=True).order_by("-started_at").first()
        started = stop.started_at if stop else self.clock_stopped_at
        before = self._snapshot(event_kind)
        # A typed-in due time moves too: it is kept as given at receipt, but the clock still stops.
        self.due_at = self._due_after(work_calendar, self.due_at, pause_kind, started, at)
        self._move_step_clock(pause_kind, started, at, work_calendar)
        self.state, self.clock_stopped_at = State.PROCESSING, None
        if self.overdue_since and self.due_at > timezone.now():
            self.overdue_since = None
        if stop:
            stop.ended_at = at
            stop.working_seconds = work_calendar.working_seconds_between(started, at)
            stop.save(update_fields=["ended_at", "working_seconds"])
        self._save_and_record(event_kind, by, at, before)
        self._flag_if_overdue()

    def _flag_if_overdue(self):
        """A step left the dossier open past its due time (back-dated entry, corrected date): flag it after commit
        instead of at the next scheduled run; a broker that is down only delays that (the beat runs it anyway)."""
        if self.state in OPEN_STATES and self.overdue_since is None and self.due_at < timezone.now():
            queue.send_after_commit("cases.flag_overdue", ignore_result=True)

    def _due_after(self, work_calendar, due_at, pause_kind, stopped_at, resumed_at):
        # Only a supplement request may restart the whole time (SUPPLEMENT_CLOCK); a pause always resumes.
        restart = pause_kind == PauseKind.SUPPLEMENT and settings.SUPPLEMENT_CLOCK == "restart"
        return work_calendar.due_after_stop(
            due_at, stopped_at, resumed_at, self.received_at, self.processing_days, restart=restart,
            same_day_cutoff=self.procedure.same_day_cutoff,
        )  # fmt: skip

    def _recomputed_due(self, work_calendar):
        """The due time from the receipt, replaying every finished stop of the clock in order."""
        due_at = work_calendar.due_at(self.received_at, self.processing_days, self.procedure.same_day_cutoff)
        for stop in self.clock_stops.filter(ended_at__isnull=False).order_by("started_at"):
            due_at = self._due_after(work_calendar, due_at, stop.kind, stop.started_at, stop.ended_at)
        return due_at

    def _end_without_result(self, step, state, event_kind, by, reason, at, verb):
        self._require_state(step, verb)
        if not (reason or "").strip():
            raise ActionRefused(f"Cần ghi lý do {verb}.")
        if self.clock_stopped_at:
            at = self._check_time(at, self.clock_stopped_at, "ngày dừng tính thời hạn")
        else:
            at = self._check_time(at, *self._last_restart())
        before = self._snapshot(event_kind)
        self.state, self.ended_at, self.clock_stopped_at = state, at, None
        self._close_process(at)
        open_stops = list(self.clock_stops.filter(ended_at__isnull=True))
        if open_stops:
            work_calendar = load_calendar()
            for stop in open_stops:
                stop.ended_at = at
                stop.working_seconds = work_calendar.working_seconds_between(stop.started_at, at)
                stop.save(update_fields=["ended_at", "working_seconds"])
        self._save_and_record(event_kind, by, at, before, reason=reason.strip())

    def _last_restart(self):
        """(moment, label) that a new step may not precede: the receipt, or the end of the last clock stop."""
        last = self.clock_stops.aggregate(last=Max("ended_at"))["last"]
        if last and last > self.received_at:
            return last, "lần tiếp tục tính thời hạn gần nhất"
        return self.received_at, "ngày tiếp nhận"

    def _require_state(self, step, verb):
        if self.state not in ALLOWED[step]:
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
        """The dates of a dossier follow each other; a message names both dates of a violation."""
        pairs = [
            ("resolved_at", "ngày có kết quả", "received_at", "ngày tiếp nhận"),
            ("returned_at", "ngày trả kết quả", "resolved_at", "ngày có kết quả"),
            ("due_at", "ngày hẹn trả", "received_at", "ngày tiếp nhận"),
            ("ended_at", "ngày kết thúc", "received_at", "ngày tiếp nhận"),
        ]
        for later, later_label, earlier, earlier_label in pairs:
            later_value, earlier_value = getattr(self, later), getattr(self, earlier)
            if later_value and earlier_value and later_value < earlier_value:
                raise ActionRefused(
                    f"{later_label.capitalize()} {_fmt(later_value)} trước {earlier_label} {_fmt(earlier_value)}."
                )
        first_stop = self.clock_stops.order_by("started_at").values_list("started_at", flat=True).first()
        if first_stop and first_stop < self.received_at:
            raise ActionRefused(
                f"Ngày tiếp nhận {_fmt(self.received_at)} sau lần dừng tính thời hạn {_fmt(first_stop)}."
            )
        last_restart = self.clock_stops.aggregate(last=Max("ended_at"))["last"]
        if last_restart and self.resolved_at and self.resolved_at < last_restart:
            raise ActionRefused(
                f"Ngày có kết quả {_fmt(self.resolved_at)} trước lần tiếp tục tính thời hạn {_fmt(last_restart)}."
            )

    def _snapshot(self, kind):
        """The fields an event of `kind` records, as they stand (cases.desk.states.EVENT_FIELDS)."""
        return snapshot(self, EVENT_FIELDS[kind])

    def _save_and_record(self, kind, by, at, before, reason="", after=None):
        self.save()
        self._record(kind, by, at, before=before, after=after or snapshot(self, before), reason=reason)

    def _record(self, kind, by, at, before=None, after=None, reason="", warning=""):
        event = self.events.create(
            kind=kind, by=by, at=at, before=before or {}, after=after or {}, reason=reason, warning=warning
        )
        # A listener's failure (a message that cannot be queued) never fails the desk's step: it is logged.
        for receiver, failure in step_recorded.send_robust(sender=type(self), dossier=self, event=event):
            if isinstance(failure, Exception):
                log.error("Việc đi kèm bước %s của hồ sơ %s không thực hiện được (%s).", kind, self.code, receiver,
                          exc_info=failure)  # fmt: skip
        return event

    def last_warning(self):
        """The warning recorded with the latest step ('' when none): the page shows it after the action."""
        return self.events.order_by("-recorded_at", "-id").values_list("warning", flat=True).first() or ""


def _name(user):
    return user.get_full_name() or user.get_username()
