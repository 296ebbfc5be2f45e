"""The dossier and its history: Dossier, DossierEvent, ClockStop, Apology; who works where (Membership).

State changes go through the steps of cases.desk.steps (methods of Dossier), each writing a DossierEvent in the
same transaction; the rules they follow are in cases.desk.states.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history import register

from cases.catalogue.models import Performer, Procedure, Unit
from cases.core.fields import CurrentTransactionId, TransactionIdField
from cases.core.history import kept_history
from cases.core.text import Fold

from .process import DossierProcess
from .states import (
    CLOCK_STOPPED_STATES,
    OPEN_STATES,
    Channel,
    EventKind,
    MessageChannel,
    PauseKind,
    RatingSource,
    Role,
    Satisfaction,
    State,
    StepEnd,
)
from .steps import DossierSteps


class Dossier(DossierProcess, DossierSteps, models.Model):
    """Hồ sơ: one application by one applicant for one procedure, at one unit.

    State changes go through the methods of cases.desk.steps.DossierSteps, each writing a DossierEvent in the same
    transaction.
    """

    code = models.CharField("mã hồ sơ", max_length=60, unique=True)
    procedure = models.ForeignKey(Procedure, verbose_name="thủ tục", on_delete=models.PROTECT, related_name="dossiers")
    # The unit competent to resolve the dossier: every figure counts it there (DOMAIN.md, the 2025 regime).
    unit = models.ForeignKey(Unit, verbose_name="đơn vị giải quyết", on_delete=models.PROTECT, related_name="dossiers")
    # The desk that took the dossier in for another unit, regardless of the administrative boundary (Decree
    # 118/2025/NĐ-CP); null when the unit received it itself. Counted apart as "tiếp nhận không phụ thuộc địa giới".
    receiving_unit = models.ForeignKey(
        Unit, verbose_name="nơi tiếp nhận hộ", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applicant_name = models.CharField("người nộp", max_length=255)
    # The name folded (no diacritics, lower case), kept by the database on every write, whatever the path (the
    # desk, an import's COPY, the demo): the list's search compares fold(typed) to it through a trigram index.
    applicant_folded = models.GeneratedField(
        expression=Fold("applicant_name"), output_field=models.CharField(max_length=255), db_persist=True
    )
    applicant_phone = models.CharField("số điện thoại", max_length=30, blank=True)
    # CCCD (12 digits) or an organisation's tax code (10, or 10-3): cases.core.contact.identity.
    applicant_id_number = models.CharField("số CCCD / mã số thuế", max_length=14, blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=500, blank=True)
    applicant_email = models.EmailField("thư điện tử", blank=True, default="", db_default="")
    # The applicant's consent, given at receipt, to be told of the dossier's progress, and how; withdrawn on the
    # look-up page (messages_stopped_at). Without consent nothing is sent (cases.followup.messages).
    messages_consent = models.BooleanField("đồng ý nhận tin nhắn", default=False, db_default=False)
    messages_channel = models.CharField(
        "nhận tin nhắn qua", max_length=8, choices=MessageChannel.choices, blank=True, default="", db_default=""
    )
    messages_stopped_at = models.DateTimeField("ngừng nhận tin nhắn từ", null=True, blank=True)
    channel = models.CharField("hình thức nộp", max_length=12, choices=Channel.choices, default=Channel.DIRECT)
    papers = models.TextField("thành phần hồ sơ đã nhận", blank=True)
    # Processing time copied from the procedure at receipt: a later catalogue change does not move old due dates.
    processing_days = models.PositiveSmallIntegerField("thời hạn (ngày làm việc)")
    received_at = models.DateTimeField("ngày tiếp nhận")
    due_at = models.DateTimeField("ngày hẹn trả")
    # True when the due time was typed in (an import's ngày hẹn trả): kept as given, not recomputed.
    due_at_given = models.BooleanField("hạn nhập tay", default=False)
    resolved_at = models.DateTimeField("ngày có kết quả", null=True, blank=True)
    returned_at = models.DateTimeField("ngày trả kết quả", null=True, blank=True)
    # When a dossier was refused or withdrawn.
    ended_at = models.DateTimeField("ngày kết thúc (từ chối/rút)", null=True, blank=True)
    state = models.CharField("trạng thái", max_length=16, choices=State.choices, default=State.PROCESSING)
    # Start of the current stop of the clock (supplement request or pause), if any.
    clock_stopped_at = models.DateTimeField("dừng tính thời hạn từ", null=True, blank=True)
    # Set once, by the overdue job, the first time the dossier passes its due time while open.
    overdue_since = models.DateTimeField("quá hạn từ", null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người tiếp nhận",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người xử lý",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handled_dossiers",
    )
    # The unit holding the dossier's open step of the internal process (cases.desk.process), kept with each move:
    # another unit (liên thông) sees the dossier while, and only while, it holds it. Null: no step open.
    holding_unit = models.ForeignKey(
        Unit, verbose_name="đơn vị đang giữ", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    papers_digitized = models.BooleanField("đã số hóa hồ sơ", default=False)
    result_digitized = models.BooleanField("đã số hóa kết quả", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        ordering = ["-received_at"]
        indexes = [
            # The list's sorts, one index per sort with the id as tie-breaker: a desk reads its page from (unit, x, id)
            # in order, an office merges one range per unit (cases.core.pager); the reports read ranges of them.
            models.Index(fields=["unit", "received_at", "id"], name="dossier_unit_received_id"),
            models.Index(fields=["received_at"], name="dossier_received"),
            models.Index(fields=["unit", "resolved_at"], name="dossier_unit_resolved"),
            # With the two above and the open-dossier index below, each arm of reports.tally.relevant()'s OR has an
            # index, so a month's figures read a BitmapOr of a few index ranges per unit, not the table.
            models.Index(fields=["unit", "ended_at"], name="dossier_unit_ended", condition=Q(ended_at__isnull=False)),
            # Dossiers resolved after their due time (late ones among them): apologies owed, appraisal.
            models.Index(
                fields=["unit", "resolved_at"],
                name="dossier_unit_resolved_late",
                condition=Q(resolved_at__gt=F("due_at")),
            ),
            models.Index(fields=["unit", "due_at", "id"], name="dossier_unit_due_id"),
            models.Index(fields=["unit", "applicant_name", "id"], name="dossier_unit_applicant_id"),
            # The administrator's list (no unit condition) walks these; the code's unique index serves its sort.
            models.Index(fields=["due_at"], name="dossier_due"),
            # Open dossiers by due time (the list's "đang giải quyết"/"quá hạn" and Hôm nay for an office): the oldest
            # due times belong to long-resolved dossiers, which (due_at) alone would walk past first.
            models.Index(
                fields=["due_at"],
                name="dossier_open_due_any_unit",
                condition=Q(resolved_at__isnull=True, ended_at__isnull=True),
            ),
            models.Index(fields=["unit", "code"], name="dossier_unit_code"),  # codes are unique: no id needed
            # Phone search by prefix (LIKE '09…%' needs the pattern operator class under a non-C collation).
            models.Index(fields=["applicant_phone"], name="dossier_phone", opclasses=["varchar_pattern_ops"]),
            # The same for the identity number; most dossiers have none, so only those that do are indexed.
            models.Index(
                fields=["applicant_id_number"],
                name="dossier_id_number",
                opclasses=["varchar_pattern_ops"],
                condition=~Q(applicant_id_number=""),
            ),
            models.Index(fields=["holding_unit"], name="dossier_holding_unit", condition=Q(holding_unit__isnull=False)),
            models.Index(
                fields=["receiving_unit", "received_at"],
                name="dossier_received_for_other",
                condition=Q(receiving_unit__isnull=False),
            ),
            models.Index(
                fields=["unit", "due_at"],
                name="dossier_open_due",
                condition=Q(resolved_at__isnull=True, ended_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("received_at")),
                name="dossier_resolved_after_received",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True) | Q(resolved_at__isnull=False, returned_at__gte=F("resolved_at")),
                name="dossier_returned_after_resolved",
            ),
            models.CheckConstraint(condition=Q(due_at__gte=F("received_at")), name="dossier_due_after_received"),
            # The state and the dates say the same thing, so every count can rely on the dates alone.
            models.CheckConstraint(
                condition=Q(state__in=["da_co_ket_qua", "da_tra"], resolved_at__isnull=False)
                | Q(~Q(state__in=["da_co_ket_qua", "da_tra"]), resolved_at__isnull=True),
                name="dossier_resolved_state",
            ),
            models.CheckConstraint(
                condition=Q(state="da_tra", returned_at__isnull=False)
                | Q(~Q(state="da_tra"), returned_at__isnull=True),
                name="dossier_returned_state",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["tu_choi", "rut"], ended_at__isnull=False)
                | Q(~Q(state__in=["tu_choi", "rut"]), ended_at__isnull=True),
                name="dossier_ended_state",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def desk(self):
        """The desk the applicant deals with: where the dossier was taken in (Mẫu 01, 02, 03 are its papers)."""
        return self.receiving_unit if self.receiving_unit_id else self.unit

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def clock_stopped(self):
        return self.state in CLOCK_STOPPED_STATES

    @property
    def takes_messages(self):
        """The applicant agreed to messages at receipt and has not stopped them."""
        return self.messages_consent and bool(self.messages_channel) and self.messages_stopped_at is None


class DossierEvent(models.Model):
    """One step in a dossier's history: who, when, what, before → after, why. Never edited or deleted."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("việc", max_length=24, choices=EventKind.choices)
    # When the step happened (may be earlier than when it was recorded, e.g. a corrected date).
    at = models.DateTimeField("thời điểm")
    recorded_at = models.DateTimeField("ghi lúc", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người thực hiện",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    before = models.JSONField("trước", default=dict, blank=True)
    after = models.JSONField("sau", default=dict, blank=True)
    reason = models.TextField("lý do, ghi chú", blank=True)
    # What the officer was warned of when the step was taken (received out of hours, apology after the due time).
    warning = models.TextField("cảnh báo", blank=True, default="", db_default="")
    # The transaction that wrote the event, filled by the database: the change feed (cases.desk.feed) serves an
    # event only once every transaction that could still commit an older one has ended.
    txid = TransactionIdField("giao dịch ghi", db_default=CurrentTransactionId(), editable=False)

    class Meta:
        verbose_name = "diễn biến hồ sơ"
        verbose_name_plural = "diễn biến hồ sơ"
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["dossier", "at"], name="event_dossier_at"),
            models.Index(fields=["txid", "id"], name="event_feed"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.at):%H:%M %d/%m/%Y}"


class DossierStep(models.Model):
    """One step of the internal process a dossier went through: handed to a unit (and maybe an official), taken up,
    finished by handing on or sending back. Moves go through cases.desk.process; a step is never edited after it
    ended, and a step sent back is taken up again as a new row with its share anew (DOMAIN.md)."""

    # No index of their own: step_dossier_handed and step_unit_finished lead with them (an import of 500.000 steps
    # writes a quarter faster without the two).
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="steps", db_index=False)
    number = models.PositiveSmallIntegerField("bước")
    name = models.CharField("tên bước", max_length=255)
    performer = models.CharField("bộ phận thực hiện", max_length=12, choices=Performer.choices)
    unit = models.ForeignKey(
        Unit, verbose_name="đơn vị xử lý", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The official holding the step: named at hand-over or by whoever takes it up. An imported step may name
    # someone without an account (holder_name only).
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người xử lý", null=True, blank=True, on_delete=models.PROTECT,
        related_name="held_steps",
    )  # fmt: skip
    holder_name = models.CharField("tên người xử lý", max_length=255, blank=True)
    handed_at = models.DateTimeField("chuyển đến lúc")
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người chuyển", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    taken_at = models.DateTimeField("nhận lúc", null=True, blank=True)
    # The step's share of the processing time, copied from the process when the step was opened.
    seconds = models.PositiveIntegerField("thời gian (giây làm việc)")
    due_at = models.DateTimeField("hạn xử lý", null=True, blank=True)
    finished_at = models.DateTimeField("hoàn thành lúc", null=True, blank=True)
    end = models.CharField("kết quả", max_length=10, choices=StepEnd.choices, blank=True)
    reason = models.TextField("lý do", blank=True)

    class Meta:
        verbose_name = "bước xử lý hồ sơ"
        verbose_name_plural = "các bước xử lý hồ sơ"
        ordering = ["handed_at", "id"]
        indexes = [
            models.Index(fields=["dossier", "handed_at"], name="step_dossier_handed"),
            # What a unit or an official holds now (the performer's list, the badge).
            models.Index(fields=["unit", "due_at"], name="step_open_unit_due", condition=Q(finished_at__isnull=True)),
            models.Index(
                fields=["holder", "due_at"], name="step_open_holder_due", condition=Q(finished_at__isnull=True)
            ),
            # The officials sheet and "where dossiers wait": steps of a unit finished in a period.
            models.Index(fields=["unit", "finished_at"], name="step_unit_finished"),
        ]
        constraints = [
            # One step open at a time: the dossier is in one place.
            models.UniqueConstraint(fields=["dossier"], condition=Q(finished_at__isnull=True), name="step_one_open"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, end="") | Q(~Q(end=""), finished_at__isnull=False),
                name="step_finished_has_end",
            ),
            models.CheckConstraint(
                condition=Q(taken_at__isnull=True) | Q(taken_at__gte=F("handed_at")), name="step_taken_after_handed"
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("handed_at")),
                name="step_finished_after_handed",
            ),
        ]

    def __str__(self):
        return f"{self.dossier_id} bước {self.number}: {self.name}"

    @property
    def holder_label(self):
        if self.holder_id:
            return self.holder.get_full_name() or self.holder.get_username()
        return self.holder_name


class ClockStop(models.Model):
    """A stop of the dossier's clock: a supplement request (Mẫu 02) or a pause, from start to end."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="clock_stops")
    kind = models.CharField("loại", max_length=10, choices=PauseKind.choices)
    started_at = models.DateTimeField("từ")
    ended_at = models.DateTimeField("đến", null=True, blank=True)
    reason = models.TextField("lý do", blank=True)
    missing_papers = models.TextField("giấy tờ cần bổ sung", blank=True)
    # Working seconds the clock stood still, filled when it restarts.
    working_seconds = models.PositiveIntegerField("thời gian làm việc đã dừng (giây)", null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người ghi",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "lần dừng tính thời hạn"
        verbose_name_plural = "các lần dừng tính thời hạn"
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.started_at):%H:%M %d/%m/%Y}"


class Membership(models.Model):
    """A user's role at a unit. Desk staff act for their unit; the office and Nội vụ see the unit's subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("vai trò", max_length=16, choices=Role.choices)
    # Ended, not deleted: the history of who held which role stays readable.
    active = models.BooleanField("đang hiệu lực", default=True)

    history = kept_history("phân quyền")

    class Meta:
        verbose_name = "phân quyền"
        verbose_name_plural = "phân quyền"
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.unit}"


class Apology(models.Model):
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04): owed for every late dossier, issued once only."""

    dossier = models.OneToOneField(Dossier, verbose_name="hồ sơ", on_delete=models.PROTECT, related_name="apology")
    reason = models.TextField("lý do chậm trả kết quả")
    previous_due_at = models.DateTimeField("ngày hẹn trả cũ")
    new_due_at = models.DateTimeField("ngày hẹn trả mới")
    issued_at = models.DateTimeField("ngày lập phiếu", default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người lập",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The step of the internal process that caused the delay (one that overran); none when the delay is foreseen
    # before any step overran, or the dossier has no steps.
    step = models.ForeignKey(
        DossierStep, verbose_name="bước gây chậm", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "phiếu xin lỗi, hẹn lại"
        verbose_name_plural = "phiếu xin lỗi, hẹn lại"
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(condition=Q(new_due_at__gt=F("previous_due_at")), name="apology_moves_due_later"),
        ]

    def __str__(self):
        return f"Xin lỗi {self.dossier_id}"


# Accounts' history too (who made whom staff, who deactivated whom). The password hash is not copied into history,
# and a login's last_login stamp does not make a history row (cases.apps).
register(
    get_user_model(),
    app="cases",
    excluded_fields=["password", "last_login"],
    verbose_name="lịch sử tài khoản",
    verbose_name_plural="lịch sử tài khoản",
)


class Rating(models.Model):
    """Đánh giá mức độ hài lòng: once per dossier, after its result was returned; given by the applicant on the
    look-up page, or recorded by the desk from a paper form or a kiosk (cases.desk.steps.rate)."""

    dossier = models.OneToOneField(Dossier, verbose_name="hồ sơ", on_delete=models.PROTECT, related_name="rating")
    level = models.CharField("mức độ hài lòng", max_length=16, choices=Satisfaction.choices)
    comment = models.TextField("ý kiến", blank=True)
    source = models.CharField("nguồn", max_length=8, choices=RatingSource.choices)
    rated_at = models.DateTimeField("đánh giá lúc", default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người ghi", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = "đánh giá mức độ hài lòng"
        verbose_name_plural = "đánh giá mức độ hài lòng"
        ordering = ["-rated_at"]
        indexes = [models.Index(fields=["rated_at"], name="rating_rated_at")]

    def __str__(self):
        return f"{self.dossier_id}: {self.get_level_display()}"


class DossierCounter(models.Model):
    """The last automatic number given to a dossier of a unit on a day (cases.desk.codes.take_number)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField("ngày")
    last = models.PositiveIntegerField("số cuối đã cấp")

    class Meta:
        verbose_name = "bộ đếm mã hồ sơ"
        verbose_name_plural = "bộ đếm mã hồ sơ"
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="dossier_counter_unit_day")]

    def __str__(self):
        return f"{self.unit_id} {self.day:%d/%m/%Y}: {self.last}"
