"""Background jobs' one record: what a long piece of work is, whose it is, how far it got, how it ended."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class JobKind(models.TextChoices):
    IMPORT_DOSSIERS = "import_dossiers", "Nhập hồ sơ từ tệp"
    WORKBOOK = "workbook", "Tạo bảng tính"
    EXPORT_DOSSIERS = "export_dossiers", "Xuất danh sách hồ sơ"


class JobState(models.TextChoices):
    UPLOADED = "uploaded", "Đã tải lên, chờ xác nhận"
    QUEUED = "queued", "Đang chờ xử lý"
    RUNNING = "running", "Đang chạy"
    DONE = "done", "Hoàn thành"
    FAILED = "failed", "Không thực hiện được"


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


def job_upload_to(instance, filename):
    return f"nhap-ho-so/{timezone.now():%Y/%m}/{filename}"


class Job(models.Model):
    """One long piece of work (an import, a workbook, a large export), run by a Celery task and followed on a page.

    `processed` of `total` items (rows, or percent for work without items) moves the progress bar; `result` holds
    what the work reports (counts, problems); `output` names a file it wrote under MEDIA_ROOT.
    """

    # The address of the job's page where it is not an import's (unguessable; the owner is checked anyway).
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("loại việc", max_length=20, choices=JobKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người yêu cầu", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField("trạng thái", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    title = models.CharField("tên việc", max_length=255)
    params = models.JSONField("tham số", default=dict, blank=True)
    file = models.FileField("tệp tải lên", upload_to=job_upload_to, blank=True)
    output = models.CharField("tệp kết quả", max_length=255, blank=True)
    total = models.PositiveIntegerField("khối lượng", default=0)
    processed = models.PositiveIntegerField("đã xử lý", default=0)
    message = models.CharField("đang làm", max_length=255, blank=True)
    result = models.JSONField("kết quả", default=dict, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField("số lần chạy", default=0)
    created_at = models.DateTimeField("lúc yêu cầu", default=timezone.now)
    started_at = models.DateTimeField("lúc bắt đầu", null=True, blank=True)
    # Written by the running task every few seconds: a job whose heartbeat stops has lost its worker.
    heartbeat_at = models.DateTimeField("lần báo gần nhất", null=True, blank=True)
    finished_at = models.DateTimeField("lúc xong", null=True, blank=True)

    class Meta:
        verbose_name = "việc chạy nền"
        verbose_name_plural = "việc chạy nền"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat")]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def progress(self):
        """Percent done, for the progress bar."""
        return min(round(100 * self.processed / self.total), 100) if self.total else 0

    @property
    def finished(self):
        return self.state in (JobState.DONE, JobState.FAILED)
