"""Frozen figures (chốt số liệu): a closed period's counters per unit and field, kept as they were reported."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class FreezeKind(models.TextChoices):
    MONTH = "month", "Tháng"
    STAT_MONTH = "stat_month", "Kỳ thống kê (15–14)"
    # Not a reported figure: the running month's finished days, summed each night so that a report of the
    # current month only counts today live. Replaced every night; never shown as "chốt".
    ROLLUP = "rollup", "Tổng hợp tạm tháng đang chạy"


class Freeze(models.Model):
    """One freezing of one period. A re-freeze (with a reason) makes a new one; the old stays as history."""

    kind = models.CharField("loại kỳ", max_length=12, choices=FreezeKind.choices)
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày")
    frozen_at = models.DateTimeField("chốt lúc", default=timezone.now)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="người chốt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField("lý do chốt lại", blank=True)
    current = models.BooleanField("đang dùng", default=True)
    # Freezes made before the steps were counted hold no step figures: those months are counted live instead.
    with_steps = models.BooleanField("có số liệu các bước xử lý", default=False)

    class Meta:
        verbose_name = "lần chốt số liệu"
        verbose_name_plural = "các lần chốt số liệu"
        ordering = ["-start", "-frozen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "start"], condition=Q(current=True), name="freeze_one_current_per_period"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y} (chốt {self.frozen_at:%d/%m/%Y})"


class FrozenFigures(models.Model):
    """The counters of one unit, field and online level for a frozen period; zero rows are not stored."""

    freeze = models.ForeignKey(Freeze, on_delete=models.PROTECT, related_name="figures")
    unit = models.ForeignKey("cases.Unit", on_delete=models.PROTECT, related_name="+")
    field = models.ForeignKey("cases.Field", on_delete=models.PROTECT, related_name="+")
    # The procedures' online level, so the online-service groups (seed 003) read frozen months too.
    online_level = models.CharField(max_length=12, default="")
    received_in_period = models.PositiveIntegerField(default=0)
    carried_over = models.PositiveIntegerField(default=0)
    received_online = models.PositiveIntegerField(default=0)
    received_direct = models.PositiveIntegerField(default=0)
    received_postal = models.PositiveIntegerField(default=0)
    resolved_total = models.PositiveIntegerField(default=0)
    resolved_early = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    in_progress_total = models.PositiveIntegerField(default=0)
    in_progress_within_deadline = models.PositiveIntegerField(default=0)
    in_progress_overdue = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "số liệu đã chốt"
        verbose_name_plural = "số liệu đã chốt"
        indexes = [models.Index(fields=["freeze", "unit"], name="frozen_freeze_unit")]

    def __str__(self):
        return f"{self.freeze} · {self.unit_id}/{self.field_id}"


class FrozenSteps(models.Model):
    """The steps' counters (reports.figures.steps) of one unit, kind of step and official for a frozen period; the
    officials sheet and the dashboard's late steps read closed months from here."""

    freeze = models.ForeignKey(Freeze, on_delete=models.PROTECT, related_name="step_figures")
    unit = models.ForeignKey("cases.Unit", on_delete=models.PROTECT, related_name="+")
    performer = models.CharField(max_length=12)
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    holder_name = models.CharField(max_length=255, blank=True)
    handled = models.PositiveIntegerField(default=0)
    early = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    seconds_late = models.PositiveBigIntegerField(default=0)
    sent_back = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "số liệu các bước đã chốt"
        verbose_name_plural = "số liệu các bước đã chốt"
        indexes = [models.Index(fields=["freeze", "unit"], name="frozen_steps_freeze_unit")]

    def __str__(self):
        return f"{self.freeze} · {self.unit_id}/{self.performer}/{self.holder_id or self.holder_name}"
