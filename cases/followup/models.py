"""Follow-up records: the office's requests for explanations and each unit's answer."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cases.catalogue.models import Unit


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
