"""The catalogue: units (a tree whose shape changes), fields and procedures, the holiday calendar."""

from django.db import models
from django.db.models import F, Q

from cases.core.history import kept_history
from cases.core.text import fold

# Who changed a catalogue record, when, and every field before and after (django-simple-history; admin "Lịch sử").
# Records that history and dossiers point to are deactivated, never deleted.


class Level(models.TextChoices):
    PROVINCE = "tinh", "Cấp tỉnh"
    DISTRICT = "huyen", "Cấp huyện"
    COMMUNE = "xa", "Cấp xã"


class UnitKind(models.TextChoices):
    PEOPLES_COMMITTEE = "ubnd", "UBND"
    DEPARTMENT = "so", "Sở, ban, ngành"
    OFFICE = "phong", "Phòng chuyên môn"
    BRANCH = "chi_nhanh", "Chi nhánh, đơn vị trực thuộc"
    COMMUNE = "ubnd_xa", "UBND xã, phường, thị trấn"
    OTHER = "khac", "Khác"


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit):
        """The unit and every unit below it (materialised path: one indexed LIKE)."""
        return self.filter(path__startswith=unit.path)

    def valid_on(self, day):
        """Units that exist on `day` (Unit.is_valid_on, in SQL)."""
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class Unit(models.Model):
    """An office, department or commune; units form a tree whose shape changes over time."""

    code = models.CharField("mã đơn vị", max_length=40, unique=True)
    name = models.CharField("tên đơn vị", max_length=255)
    level = models.CharField("cấp", max_length=8, choices=Level.choices)
    kind = models.CharField("loại đơn vị", max_length=16, choices=UnitKind.choices, default=UnitKind.OTHER)
    parent = models.ForeignKey(
        "self", verbose_name="đơn vị cha", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "/<id>/<id>/…/": the ancestors' ids, so a subtree is one prefix match.
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    valid_from = models.DateField("hiệu lực từ ngày", null=True, blank=True)
    valid_to = models.DateField("hiệu lực đến ngày", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="sáp nhập vào",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_units",
    )
    place_name = models.CharField("địa danh (ghi trên văn bản)", max_length=120, blank=True)

    objects = UnitQuerySet.as_manager()
    # A unit stops by its end of validity (valid_to); its path is derived from the parent, which is kept.
    history = kept_history("đơn vị", excluded_fields=["path"])

    class Meta:
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="unit_valid_to_after_from",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._refresh_paths()

    @property
    def label(self):
        """The name a list shows: the name, and the parent's where units.with_labels found it ambiguous."""
        return self.__dict__.get("_label") or self.name

    @label.setter
    def label(self, value):
        self.__dict__["_label"] = value

    def _refresh_paths(self):
        new_path = f"{self.parent.path if self.parent_id else '/'}{self.pk}/"
        if new_path == self.path:
            return
        old_path, self.path = self.path, new_path
        Unit.objects.filter(pk=self.pk).update(path=new_path)
        if old_path:
            # Move the descendants along with the unit.
            for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("path"):
                child._refresh_paths_from_parent()

    def _refresh_paths_from_parent(self):
        parent_path = Unit.objects.values_list("path", flat=True).get(pk=self.parent_id)
        self.path = f"{parent_path}{self.pk}/"
        Unit.objects.filter(pk=self.pk).update(path=self.path)

    def is_valid_on(self, day):
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    @property
    def depth(self):
        return self.path.count("/") - 2


class Field(models.Model):
    """Lĩnh vực: a field of procedures (Hộ tịch, Đất đai, …)."""

    name = models.CharField("tên lĩnh vực", max_length=255, unique=True)
    active = models.BooleanField("đang sử dụng", default=True)

    history = kept_history("lĩnh vực")

    class Meta:
        verbose_name = "lĩnh vực"
        verbose_name_plural = "lĩnh vực"
        ordering = ["name"]

    def __str__(self):
        return self.name


class OnlineLevel(models.TextChoices):
    FULL = "toan_trinh", "Toàn trình"
    PARTIAL = "mot_phan", "Một phần"
    NONE = "khong", "Không"


class Procedure(models.Model):
    """Thủ tục hành chính, with its processing time in working days."""

    code = models.CharField("mã thủ tục", max_length=40, unique=True)
    # Some published names run past 1.000 characters.
    name = models.TextField("tên thủ tục")
    # Lower-case name without diacritics, for "dang ky ket hon" to find "Đăng ký kết hôn".
    search_name = models.TextField(editable=False, default="")
    field = models.ForeignKey(Field, verbose_name="lĩnh vực", on_delete=models.PROTECT, related_name="procedures")
    processing_days = models.PositiveSmallIntegerField("thời hạn giải quyết (ngày làm việc)")
    online_level = models.CharField("mức độ DVC trực tuyến", max_length=12, choices=OnlineLevel.choices)
    level = models.CharField("cấp thực hiện", max_length=8, choices=Level.choices, blank=True)
    same_day_cutoff = models.TimeField(
        "giờ chốt nhận trong ngày",
        null=True,
        blank=True,
        help_text="Thủ tục 0 ngày nhận sau giờ này trả ngày làm việc sau.",
    )
    source = models.CharField("nguồn công bố", max_length=255, blank=True)
    added_by_hand = models.BooleanField("bổ sung thủ công", default=False)
    active = models.BooleanField("đang áp dụng", default=True)

    history = kept_history("thủ tục hành chính", excluded_fields=["search_name"])

    class Meta:
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.code} {self.name}")
        super().save(*args, **kwargs)


class RequiredPaper(models.Model):
    """Thành phần hồ sơ: a paper the procedure requires, in the order the desk checks them at receipt."""

    procedure = models.ForeignKey(
        Procedure, verbose_name="thủ tục", on_delete=models.PROTECT, related_name="required_papers"
    )
    number = models.PositiveSmallIntegerField("thứ tự")
    name = models.CharField("tên giấy tờ", max_length=500)
    active = models.BooleanField("đang yêu cầu", default=True)

    history = kept_history("thành phần hồ sơ")

    class Meta:
        verbose_name = "thành phần hồ sơ"
        verbose_name_plural = "thành phần hồ sơ"
        ordering = ["procedure", "number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="required_paper_number")]

    def __str__(self):
        return self.name


class CalendarSource(models.TextChoices):
    PACKAGE = "package", "Theo lịch nhà nước (gói holidays)"
    ADMIN = "admin", "Quản trị viên bổ sung"


class Holiday(models.Model):
    """A day that is not worked although it is not a weekend (public holiday, Tết, swapped day off)."""

    date = models.DateField("ngày", unique=True)
    name = models.CharField("tên ngày nghỉ", max_length=255)
    source = models.CharField("nguồn", max_length=10, choices=CalendarSource.choices, default=CalendarSource.ADMIN)
    # An inactive row no longer counts, and keeps the date decided: sync_calendar does not bring the package's back.
    active = models.BooleanField("đang áp dụng", default=True)

    history = kept_history("ngày nghỉ lễ")

    class Meta:
        verbose_name = "ngày nghỉ lễ"
        verbose_name_plural = "ngày nghỉ lễ"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class WorkdayOverride(models.Model):
    """A weekend day that is worked (ngày làm bù), e.g. Saturday 04/05/2024."""

    date = models.DateField("ngày làm bù", unique=True)
    name = models.CharField("ghi chú", max_length=255)
    source = models.CharField("nguồn", max_length=10, choices=CalendarSource.choices, default=CalendarSource.ADMIN)
    # An inactive row no longer counts, and keeps the date decided: sync_calendar does not bring the package's back.
    active = models.BooleanField("đang áp dụng", default=True)

    history = kept_history("ngày làm bù")

    class Meta:
        verbose_name = "ngày làm bù"
        verbose_name_plural = "ngày làm bù"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class Performer(models.TextChoices):
    """Who performs a step of a unit's internal process (EXCHANGE_FORMAT.md, "Processes": thuc_hien)."""

    DESK = "mot_cua", "Bộ phận Một cửa"
    SPECIALIST = "chuyen_mon", "Bộ phận chuyên môn"
    LEADER = "lanh_dao", "Lãnh đạo đơn vị"
    OTHER_UNIT = "lien_thong", "Đơn vị khác (liên thông)"


class Process(models.Model):
    """Quy trình nội bộ of a procedure: a unit's own, or (unit blank) the default for every unit that has none."""

    procedure = models.ForeignKey(Procedure, verbose_name="thủ tục", on_delete=models.PROTECT, related_name="processes")
    unit = models.ForeignKey(
        Unit,
        verbose_name="đơn vị",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="processes",
        help_text="Để trống: quy trình mặc định cho mọi đơn vị chưa có quy trình riêng.",
    )
    active = models.BooleanField("đang áp dụng", default=True)

    history = kept_history("quy trình nội bộ")

    class Meta:
        verbose_name = "quy trình nội bộ"
        verbose_name_plural = "quy trình nội bộ"
        ordering = ["procedure__code", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "unit"], name="process_procedure_unit",
                violation_error_message="Thủ tục này đã có quy trình riêng của đơn vị này.",
            ),
            models.UniqueConstraint(
                fields=["procedure"], condition=Q(unit__isnull=True), name="process_procedure_default",
                violation_error_message="Thủ tục này đã có quy trình mặc định (đơn vị để trống).",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.procedure.code} — {self.unit.name if self.unit_id else 'mặc định'}"


class ProcessStep(models.Model):
    """One step of a process: its number, name, performer and share of the processing time in working hours."""

    process = models.ForeignKey(Process, verbose_name="quy trình", on_delete=models.PROTECT, related_name="steps")
    number = models.PositiveSmallIntegerField("bước")
    name = models.CharField("tên bước", max_length=255)
    performer = models.CharField("bộ phận thực hiện", max_length=12, choices=Performer.choices)
    # The unit that performs a liên thông step (another unit of the province).
    performer_unit = models.ForeignKey(
        Unit, verbose_name="đơn vị thực hiện", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hours = models.DecimalField("thời gian (giờ làm việc)", max_digits=7, decimal_places=2)

    history = kept_history("bước quy trình")

    class Meta:
        verbose_name = "bước quy trình"
        verbose_name_plural = "các bước quy trình"
        ordering = ["process", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "number"], name="process_step_number",
                violation_error_message="Quy trình đã có bước mang số này.",
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0), name="process_step_hours_not_negative",
                violation_error_message="Thời gian của bước không được âm.",
            ),
            models.CheckConstraint(
                condition=Q(performer="lien_thong", performer_unit__isnull=False)
                | Q(~Q(performer="lien_thong"), performer_unit__isnull=True),
                name="process_step_other_unit_named",
                violation_error_message="Bước liên thông cần đơn vị thực hiện; bước khác để trống ô này.",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"Bước {self.number}: {self.name}"
