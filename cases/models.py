"""Units, the procedure catalogue, dossiers and their history, the working-day calendar, memberships."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .actions import DossierActions


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

    class Meta:
        verbose_name = "thủ tục hành chính"
        verbose_name_plural = "thủ tục hành chính"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def save(self, *args, **kwargs):
        from .text import fold

        self.search_name = fold(f"{self.code} {self.name}")
        super().save(*args, **kwargs)


class Channel(models.TextChoices):
    DIRECT = "truc_tiep", "Trực tiếp"
    ONLINE = "truc_tuyen", "Trực tuyến"
    POSTAL = "buu_chinh", "Bưu chính"


class State(models.TextChoices):
    PROCESSING = "dang_giai_quyet", "Đang giải quyết"
    SUPPLEMENT = "bo_sung", "Chờ bổ sung"
    PAUSED = "tam_dung", "Tạm dừng"
    RESOLVED = "da_co_ket_qua", "Đã có kết quả"
    RETURNED = "da_tra", "Đã trả kết quả"
    REFUSED = "tu_choi", "Từ chối"
    WITHDRAWN = "rut", "Rút hồ sơ"


OPEN_STATES = (State.PROCESSING, State.SUPPLEMENT, State.PAUSED)
CLOCK_STOPPED_STATES = (State.SUPPLEMENT, State.PAUSED)
ENDED_WITHOUT_RESULT = (State.REFUSED, State.WITHDRAWN)


class Dossier(DossierActions, models.Model):
    """Hồ sơ: one application by one applicant for one procedure, at one unit.

    State changes go through the methods of cases.actions.DossierActions, each writing a DossierEvent in the same
    transaction.
    """

    code = models.CharField("mã hồ sơ", max_length=60, unique=True)
    procedure = models.ForeignKey(Procedure, verbose_name="thủ tục", on_delete=models.PROTECT, related_name="dossiers")
    unit = models.ForeignKey(Unit, verbose_name="đơn vị tiếp nhận", on_delete=models.PROTECT, related_name="dossiers")
    applicant_name = models.CharField("người nộp", max_length=255)
    applicant_phone = models.CharField("số điện thoại", max_length=30, blank=True)
    applicant_address = models.CharField("địa chỉ", max_length=500, blank=True)
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
    papers_digitized = models.BooleanField("đã số hóa hồ sơ", default=False)
    result_digitized = models.BooleanField("đã số hóa kết quả", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "hồ sơ"
        verbose_name_plural = "hồ sơ"
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["unit", "received_at"], name="dossier_unit_received"),
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
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def clock_stopped(self):
        return self.state in CLOCK_STOPPED_STATES


class EventKind(models.TextChoices):
    RECEIVED = "received", "Tiếp nhận"
    IMPORTED = "imported", "Nhập từ tệp"
    UPDATED = "updated", "Cập nhật thông tin"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Yêu cầu bổ sung"
    SUPPLEMENT_RECEIVED = "supplement_received", "Nhận hồ sơ bổ sung"
    PAUSED = "paused", "Tạm dừng"
    RESUMED = "resumed", "Tiếp tục giải quyết"
    RESOLVED = "resolved", "Có kết quả"
    RETURNED = "returned", "Trả kết quả"
    REFUSED = "refused", "Từ chối"
    WITHDRAWN = "withdrawn", "Rút hồ sơ"
    CORRECTED = "corrected", "Sửa ngày"
    ASSIGNED = "assigned", "Phân công xử lý"
    OVERDUE = "overdue", "Quá hạn"
    APOLOGY = "apology", "Xin lỗi, hẹn lại"


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

    class Meta:
        verbose_name = "diễn biến hồ sơ"
        verbose_name_plural = "diễn biến hồ sơ"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="event_dossier_at")]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.at):%H:%M %d/%m/%Y}"


class PauseKind(models.TextChoices):
    SUPPLEMENT = "bo_sung", "Yêu cầu bổ sung"
    PAUSE = "tam_dung", "Tạm dừng"


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


class CalendarSource(models.TextChoices):
    PACKAGE = "package", "Theo lịch nhà nước (gói holidays)"
    ADMIN = "admin", "Quản trị viên bổ sung"


class Holiday(models.Model):
    """A day that is not worked although it is not a weekend (public holiday, Tết, swapped day off)."""

    date = models.DateField("ngày", unique=True)
    name = models.CharField("tên ngày nghỉ", max_length=255)
    source = models.CharField("nguồn", max_length=10, choices=CalendarSource.choices, default=CalendarSource.ADMIN)

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

    class Meta:
        verbose_name = "ngày làm bù"
        verbose_name_plural = "ngày làm bù"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} {self.name}"


class Role(models.TextChoices):
    DESK = "desk", "Cán bộ Một cửa"
    OFFICE = "office", "Văn phòng HĐND&UBND"
    HOME_AFFAIRS = "home_affairs", "Phòng/Sở Nội vụ"
    ADMIN = "admin", "Quản trị hệ thống"


class Membership(models.Model):
    """A user's role at a unit. Desk staff act for their unit; the office and Nội vụ see the unit's subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("vai trò", max_length=16, choices=Role.choices)

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

    class Meta:
        verbose_name = "phiếu xin lỗi, hẹn lại"
        verbose_name_plural = "phiếu xin lỗi, hẹn lại"
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(condition=Q(new_due_at__gt=F("previous_due_at")), name="apology_moves_due_later"),
        ]

    def __str__(self):
        return f"Xin lỗi {self.dossier_id}"


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


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Đã tải lên, chờ xác nhận"
    QUEUED = "queued", "Đang chờ xử lý"
    RUNNING = "running", "Đang nhập"
    DONE = "done", "Hoàn thành"
    FAILED = "failed", "Không nhập được"


def import_upload_to(instance, filename):
    return f"nhap-ho-so/{timezone.now():%Y/%m}/{filename}"


class ImportJob(models.Model):
    """A dossier file uploaded in the browser: validated for a preview, then imported by a Celery task."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người tải lên", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("tệp", upload_to=import_upload_to)
    original_name = models.CharField("tên tệp", max_length=255)
    status = models.CharField("trạng thái", max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField("số dòng", default=0)
    processed_rows = models.PositiveIntegerField("đã xử lý", default=0)
    created_count = models.PositiveIntegerField("tạo mới", default=0)
    updated_count = models.PositiveIntegerField("cập nhật", default=0)
    unchanged_count = models.PositiveIntegerField("không đổi", default=0)
    refused_count = models.PositiveIntegerField("bị từ chối", default=0)
    problems = models.JSONField("lỗi", default=list, blank=True)
    warnings = models.JSONField("cảnh báo", default=list, blank=True)
    skip_invalid = models.BooleanField("bỏ qua dòng lỗi", default=False)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("lúc tải lên", default=timezone.now)
    finished_at = models.DateTimeField("lúc xong", null=True, blank=True)

    class Meta:
        verbose_name = "lần nhập hồ sơ"
        verbose_name_plural = "các lần nhập hồ sơ"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def progress(self):
        """Percent done, for the progress bar."""
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
