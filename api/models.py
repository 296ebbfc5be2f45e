"""The systems that call the API: their keys (stored hashed), what each may do, and every call they made.

A client acts through an account of its own (`account`), which holds the role API_CLIENT at the client's unit: the
portal's access rules (cases.desk.access) then give it that unit's subtree, and every event it writes names it.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.crypto import get_random_string
from rest_framework_api_key.models import AbstractAPIKey
from simple_history.models import HistoricalRecords

from cases.catalogue.models import Unit
from cases.desk.models import Membership
from cases.desk.states import Role


class Scope(models.TextChoices):
    """What a client may do; each view of the API names the one it needs (api.permissions)."""

    READ = "read", "Đọc hồ sơ, số liệu, danh mục"
    RECEIVE = "receive", "Tiếp nhận hồ sơ"
    ACT = "act", "Cập nhật các bước của hồ sơ"


class ApiClient(AbstractAPIKey):
    unit = models.ForeignKey(
        Unit,
        verbose_name="phạm vi (đơn vị và các đơn vị trực thuộc)",
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    may_read = models.BooleanField("được đọc", default=True)
    may_receive = models.BooleanField("được tiếp nhận hồ sơ", default=False)
    may_act = models.BooleanField("được cập nhật các bước", default=False)
    rate = models.CharField(
        "giới hạn số lần gọi",
        max_length=20,
        default="600/min",
        help_text="Số lần gọi tối đa mỗi giây/phút/giờ/ngày: 600/min, 20/s, 10000/day.",
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="tài khoản ghi vào lịch sử hồ sơ",
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    history = HistoricalRecords(excluded_fields=["hashed_key"])

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "ứng dụng kết nối (khóa API)"
        verbose_name_plural = "ứng dụng kết nối (khóa API)"

    def clean(self):
        super().clean()
        # DRF's throttles read "N/period" by the period's first letter (s, m, h, d).
        count, _, period = self.rate.partition("/")
        if not (count.isdigit() and int(count) > 0 and period[:1] in ("s", "m", "h", "d")):
            raise ValidationError({"rate": "Giới hạn dạng số lần/đơn vị thời gian, ví dụ 600/min."})

    def save(self, *args, **kwargs):
        with transaction.atomic():
            self._provision()
            super().save(*args, **kwargs)

    def _provision(self):
        """The client's account (created once; no usable password, so it cannot log in to the site) and its one
        role, API_CLIENT at the client's unit, moved when the unit changes."""
        if self.account_id is None:
            user = get_user_model()(username=f"api-{get_random_string(12).lower()}", first_name=self.name[:150])
            user.set_unusable_password()
            user.save()
            self.account = user
        elif self.account.first_name != self.name[:150]:
            self.account.first_name = self.name[:150]
            self.account.save(update_fields=["first_name"])
        memberships = Membership.objects.filter(user_id=self.account_id, role=Role.API_CLIENT)
        memberships.exclude(unit_id=self.unit_id).update(active=False)
        Membership.objects.update_or_create(
            user_id=self.account_id, unit_id=self.unit_id, role=Role.API_CLIENT, defaults={"active": True}
        )

    def allows(self, scope):
        return {Scope.READ: self.may_read, Scope.RECEIVE: self.may_receive, Scope.ACT: self.may_act}[scope]


class ApiCall(models.Model):
    """One request of a client: kept for audit (who called what, when, with which answer)."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="calls")
    at = models.DateTimeField("lúc")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "lần gọi API"
        verbose_name_plural = "nhật ký gọi API"
        indexes = [models.Index(fields=["client", "-at"], name="api_call_client_at")]

    def __str__(self):
        return f"{self.method} {self.path} → {self.status}"


class IdempotentRequest(models.Model):
    """A POST sent with an Idempotency-Key: its answer, given again to a retry with the same body."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="idempotent_requests")
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_client_key")]

    def __str__(self):
        return self.key
