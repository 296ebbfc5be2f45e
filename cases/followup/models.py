"""Follow-up records: the office's requests for explanations and each unit's answer; the messages sent to applicants."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cases.catalogue.models import Unit
from cases.desk.models import Dossier
from cases.desk.states import MessageChannel


class ExplanationRequest(models.Model):
    """The office names units with late or overdue dossiers in a period and asks each for an explanation by a date."""

    office = models.ForeignKey(Unit, verbose_name="cơ quan yêu cầu", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField("từ ngày")
    period_end = models.DateField("đến ngày")
    deadline = models.DateField("hạn gửi giải trình")
    reference = models.CharField("số văn bản", max_length=120, blank=True)
    note = models.TextField("nội dung yêu cầu", blank=True)
    created_at = models.DateTimeField("ngày tạo", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người tạo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "yêu cầu giải trình"
        verbose_name_plural = "yêu cầu giải trình"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="explanation_period_order"),
        ]

    def __str__(self):
        return f"Giải trình {self.period_start:%d/%m/%Y}–{self.period_end:%d/%m/%Y}, hạn {self.deadline:%d/%m/%Y}"


def explanation_upload_to(instance, filename):
    # Outside the web root (MEDIA_ROOT is under var/ and never served directly): views check access first.
    return f"giai-trinh/{instance.request_id}/{instance.unit_id}/{filename}"


class Explanation(models.Model):
    """One unit's written explanation (giải trình) for its late or overdue dossiers, answering a request."""

    request = models.ForeignKey(ExplanationRequest, on_delete=models.PROTECT, related_name="explanations")
    unit = models.ForeignKey(Unit, verbose_name="đơn vị giải trình", on_delete=models.PROTECT, related_name="+")
    # The figures that named the unit, as they were when asked.
    late_count = models.PositiveIntegerField("số hồ sơ đã giải quyết quá hạn", default=0)
    overdue_count = models.PositiveIntegerField("số hồ sơ đang giải quyết quá hạn", default=0)
    text = models.TextField("nội dung giải trình", blank=True)
    attachment = models.FileField("tệp đính kèm", upload_to=explanation_upload_to, blank=True)
    answered_at = models.DateTimeField("ngày giải trình", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người giải trình",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "giải trình"
        verbose_name_plural = "giải trình"
        ordering = ["unit__path"]
        constraints = [models.UniqueConstraint(fields=["request", "unit"], name="explanation_once_per_unit")]

    def __str__(self):
        return f"{self.unit} — {self.request}"

    @property
    def answered(self):
        return self.answered_at is not None

    def is_late(self, today=None):
        """Not answered and past the deadline, or answered after it."""
        today = today or timezone.localdate()
        if self.answered_at is None:
            return today > self.request.deadline
        return timezone.localtime(self.answered_at).date() > self.request.deadline


class MessageKind(models.TextChoices):
    """The steps an applicant is told of (cases.followup.messages)."""

    RECEIVED = "tiep_nhan", "Tiếp nhận hồ sơ"
    SUPPLEMENT = "bo_sung", "Yêu cầu bổ sung"
    REFUSED = "tu_choi", "Từ chối"
    RESOLVED = "co_ket_qua", "Có kết quả"
    APOLOGY = "xin_loi", "Xin lỗi, hẹn lại ngày trả"


class MessageState(models.TextChoices):
    QUEUED = "queued", "Chờ gửi"
    HELD = "held", "Chờ giờ làm việc"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Không gửi được"


PENDING = (MessageState.QUEUED, MessageState.HELD)


class Message(models.Model):
    """One message to a dossier's applicant (SMS, Zalo or e-mail), kept whatever became of it: to whom, what, when,
    how many attempts, the gateway's id or its error. Written in the step's transaction; sent by a task."""

    # Indexed by (dossier, created_at) below: the dossier's page lists them in that order.
    dossier = models.ForeignKey(
        Dossier, verbose_name="hồ sơ", on_delete=models.PROTECT, related_name="applicant_messages", db_index=False
    )
    kind = models.CharField("về việc", max_length=12, choices=MessageKind.choices)
    channel = models.CharField("kênh", max_length=8, choices=MessageChannel.choices)
    to = models.CharField("gửi tới", max_length=254)
    text = models.TextField("nội dung")
    # What the text was made of: a Zalo template's parameters, an e-mail's subject.
    params = models.JSONField("tham số", default=dict, blank=True)
    state = models.CharField("trạng thái", max_length=8, choices=MessageState.choices, default=MessageState.QUEUED)
    urgent = models.BooleanField("gửi cả ngoài giờ làm việc", default=False)
    attempts = models.PositiveSmallIntegerField("số lần gửi", default=0)
    created_at = models.DateTimeField("tạo lúc", default=timezone.now)
    # When the beat may (re)send it: a held message's next opening, a failed attempt's backoff.
    next_attempt_at = models.DateTimeField("gửi (lại) từ")
    # A worker sending it holds it until then; a worker that died mid-send lets it go when this passes.
    claimed_until = models.DateTimeField("đang gửi đến", null=True, blank=True)
    sent_at = models.DateTimeField("gửi lúc", null=True, blank=True)
    error = models.TextField("lỗi", blank=True)
    provider_id = models.CharField("mã của nhà cung cấp", max_length=120, blank=True)

    class Meta:
        verbose_name = "tin nhắn cho người nộp"
        verbose_name_plural = "tin nhắn cho người nộp"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dossier", "created_at"], name="message_dossier_created"),
            # The beat's sweep: only the few waiting ones, never the sent history.
            models.Index(fields=["next_attempt_at"], name="message_pending", condition=Q(state__in=["queued", "held"])),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.dossier_id} ({self.get_state_display()})"
