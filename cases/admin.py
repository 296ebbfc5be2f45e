"""The administrator's pages (/quan-tri/): catalogue, calendar, accounts; dossiers and their history read-only.

Nothing a desk recorded is edited or deleted here: dossiers change only through cases.desk.steps, with an event.
Catalogue and account records keep every change (who, when, before → after: the "Lịch sử" button, from
django-simple-history) and are deactivated, never deleted.
"""

from datetime import timedelta
from urllib.parse import urlencode

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from cases.catalogue.calendar import calendar, deactivate_calendar_day
from cases.catalogue.models import (
    Field,
    Holiday,
    Performer,
    Procedure,
    Process,
    ProcessStep,
    RequiredPaper,
    Unit,
    WorkdayOverride,
)
from cases.catalogue.processes import PlannedStep, hours_text, shares_problem, total_hours
from cases.core.formats import day, day_time, number
from cases.core.text import fold
from cases.desk import outcome, timeline
from cases.desk.models import ClockStop, Dossier, DossierEvent, Membership
from cases.followup.models import Message

DATE = "%d/%m/%Y"
DATE_TIME = "%H:%M %d/%m/%Y"


def _local(moment, layout=DATE_TIME):
    return timezone.localtime(moment).strftime(layout) if moment else "—"


class NoDelete:
    """Nothing deleted from the admin: no delete page and no bulk "delete selected"."""

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class KeptAdmin(NoDelete, SimpleHistoryAdmin):
    """A record that history and dossiers point to: every change kept with who, when, before and after; no delete
    here (the delete page is refused and there is no bulk delete), only deactivation."""

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history looks the id up as given: "x" for a numeric key would be a 500, not a 404.
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError:
            raise Http404("Không có bản ghi này.") from None
        return super().history_view(request, object_id, extra_context)


def _switch(queryset, field, value):
    """Set a flag on the rows that do not have it yet, one save each so that each keeps a history row."""
    rows = list(queryset.exclude(**{field: value}))
    for row in rows:
        setattr(row, field, value)
        row.save(update_fields=[field])
    return rows


def _dossier_list(**params):
    return f"{reverse('cases:dossier_list')}?{urlencode(params)}"


def _say_open_dossiers(request, found, what, url):
    """The admin's note after a change that would have given open dossiers another due time."""
    if found:
        level = messages.WARNING
        text = format_html(
            "{}: {} hồ sơ đang giải quyết bị ảnh hưởng. Các hồ sơ này giữ nguyên ngày hẹn trả đã báo cho người nộp, "
            "không tự tính lại; hồ sơ tiếp nhận từ nay tính theo thay đổi mới. "
            '<a href="{}">Xem danh sách {} hồ sơ</a>.',
            what,
            number(found),
            url,
            number(found),
        )
    else:
        level = messages.INFO
        text = format_html("{}: không có hồ sơ đang giải quyết nào bị ảnh hưởng.", what)
    messages.add_message(request, level, text)


# --- units and the catalogue ----------------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(KeptAdmin):
    list_display = ("tree_name", "code", "level", "kind", "parent", "valid_from", "valid_to", "merged_into")
    list_display_links = ("tree_name",)
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    list_select_related = ("parent", "merged_into")
    autocomplete_fields = ("parent", "merged_into")
    ordering = ("path",)
    list_per_page = 200
    actions = ("close_today",)

    class Media:
        css = {"all": ["css/admin.css"]}

    @admin.display(description="tên đơn vị", ordering="path")
    def tree_name(self, unit):
        # Ordered by path, each unit under its parent: the indentation draws the tree (a class: no inline style).
        return format_html('<span class="tree-depth-{}">{}</span>', min(max(unit.depth, 0), 9), unit.name)

    @admin.action(description="Ngừng hoạt động: hiệu lực đến hết hôm nay")
    def close_today(self, request, queryset):
        # A unit ends by its validity, as a merger or an abolition does: its dossiers and figures stay.
        today = timezone.localdate()
        open_units = queryset.exclude(valid_to__lte=today).exclude(valid_from__gt=today)
        closed = []
        for unit in open_units:
            unit.valid_to = today
            unit.save(update_fields=["valid_to"])
            closed.append(unit.name)
        self.message_user(
            request, f"Đã cho {len(closed)} đơn vị ngừng hoạt động từ ngày {day(today + timedelta(days=1))}."
        )


class ActiveActions:
    """Deactivate / reactivate instead of delete."""

    actions = ("deactivate", "reactivate")

    @admin.action(description="Ngừng sử dụng (không xóa)")
    def deactivate(self, request, queryset):
        rows = _switch(queryset, "active", False)
        self.message_user(request, f"Đã ngừng {len(rows)} {self.opts.verbose_name}.")

    @admin.action(description="Dùng lại")
    def reactivate(self, request, queryset):
        rows = _switch(queryset, "active", True)
        self.message_user(request, f"Đã dùng lại {len(rows)} {self.opts.verbose_name}.")


@admin.register(Field)
class FieldAdmin(ActiveActions, KeptAdmin):
    list_display = ("name", "procedure_count", "active")
    list_filter = ("active",)
    search_fields = ("name",)

    @admin.display(description="số thủ tục")
    def procedure_count(self, field):
        return field.procedures.count()


class RequiredPaperInline(admin.TabularInline):
    model = RequiredPaper
    extra = 1
    fields = ("number", "name", "active")
    verbose_name = "giấy tờ"
    verbose_name_plural = "Thành phần hồ sơ (đánh dấu khi tiếp nhận)"

    def has_delete_permission(self, request, obj=None):
        # A paper no longer required is unticked (Đang yêu cầu), not deleted: its history stays.
        return False


@admin.register(Procedure)
class ProcedureAdmin(ActiveActions, KeptAdmin):
    inlines = [RequiredPaperInline]
    list_display = ("code", "name", "field", "processing_days", "online_level", "level", "active")
    list_filter = ("field", "online_level", "level", "active", "added_by_hand")
    search_fields = ("code", "name")
    search_help_text = "Tìm theo mã hoặc tên thủ tục, gõ có dấu hay không dấu đều được."
    list_select_related = ("field",)
    readonly_fields = ("search_name",)

    def get_search_results(self, request, queryset, search_term):
        # "dang ky ket hon" finds "Đăng ký kết hôn": every word against the folded code and name.
        words = fold(search_term).split()
        if not words:
            return queryset, False
        for word in words:
            queryset = queryset.filter(search_name__contains=word)
        return queryset, False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "processing_days" in form.changed_data:
            found = Dossier.objects.filter(outcome.processing_days_change_q(obj)).count()
            what = (
                f"Thời hạn giải quyết của thủ tục {obj.code} đổi từ {form.initial['processing_days']} "
                f"thành {obj.processing_days} ngày làm việc"
            )
            _say_open_dossiers(request, found, what, _dossier_list(procedure=obj.pk, open="on"))


# --- internal processes ---------------------------------------------------------------------------


class ProcessStepFormSet(BaseInlineFormSet):
    """A process's steps checked together: numbered 1, 2, 3… and sharing the procedure's time (DOMAIN.md)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not steps:
            raise ValidationError("Quy trình cần ít nhất một bước.")
        numbers = sorted(step["number"] for step in steps)
        if numbers != list(range(1, len(steps) + 1)):
            shown = ", ".join(str(n) for n in numbers)
            raise ValidationError(f"Các bước phải đánh số liên tiếp 1, 2, 3… không trùng, không bỏ (đang có: {shown}).")
        procedure = getattr(self.instance, "procedure", None)
        if procedure is None:
            return  # the procedure field says what is missing
        day_seconds = calendar().working_day_seconds
        plan = [
            PlannedStep(step["number"], step["name"], step["performer"], None, round(step["hours"] * 3600))
            for step in steps
        ]
        problem = shares_problem(plan, procedure.processing_days, day_seconds)
        if problem:
            days = procedure.processing_days
            total = hours_text(total_hours(days, day_seconds))
            rule = (
                "thủ tục giải quyết trong ngày: các bước chia nhau một ngày làm việc"
                if days == 0
                else f"{days} ngày làm việc"
            )
            raise ValidationError(f"{problem[0].upper()}{problem[1:]} ({rule}, {total} giờ).")


class ProcessStepForm(forms.ModelForm):
    class Meta:
        model = ProcessStep
        fields = ("number", "name", "performer", "performer_unit", "hours")
        localized_fields = ("hours",)  # 0,5 as a Vietnamese writes it (0.5 is read too)

    def clean(self):
        data = super().clean()
        performer, other = data.get("performer"), data.get("performer_unit")
        if performer == Performer.OTHER_UNIT and other is None:
            self.add_error("performer_unit", "Bước liên thông cần chọn đơn vị thực hiện.")
        elif performer and performer != Performer.OTHER_UNIT and other is not None:
            self.add_error("performer_unit", "Chỉ bước liên thông (đơn vị khác) mới chọn đơn vị thực hiện; để trống.")
        return data


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    form = ProcessStepForm
    formset = ProcessStepFormSet
    fields = ("number", "name", "performer", "performer_unit", "hours")
    autocomplete_fields = ("performer_unit",)
    ordering = ("number",)
    extra = 0
    # A step taken out of a process is gone from it, not from its history ("Lịch sử").
    can_delete = True


@admin.register(Process)
class ProcessAdmin(ActiveActions, KeptAdmin):
    list_display = ("procedure", "unit_name", "step_count", "hours", "active")
    list_filter = ("active", "procedure__field", "unit__level")
    search_fields = ("procedure__code", "procedure__name", "unit__code", "unit__name")
    search_help_text = "Tìm theo mã, tên thủ tục hoặc đơn vị."
    list_select_related = ("procedure", "unit")
    autocomplete_fields = ("procedure", "unit")
    inlines = (ProcessStepInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_total=Count("steps"), hours_total=Sum("steps__hours"))

    @admin.display(description="đơn vị", ordering="unit__path")
    def unit_name(self, process):
        return process.unit.name if process.unit_id else "(mặc định cho mọi đơn vị)"

    @admin.display(description="số bước", ordering="step_total")
    def step_count(self, process):
        return process.step_total

    @admin.display(description="tổng thời gian (giờ làm việc)", ordering="hours_total")
    def hours(self, process):
        return hours_text(process.hours_total or 0)


# --- the calendar ---------------------------------------------------------------------------------


class CalendarDayAdmin(KeptAdmin):
    list_display = ("day", "weekday", "name", "source", "active")
    list_filter = ("active", "source")
    search_fields = ("name",)
    date_hierarchy = "date"
    readonly_fields = ("source",)
    ordering = ("-date",)
    actions = ("deactivate", "reactivate")

    @admin.display(description="ngày", ordering="date")
    def day(self, row):
        return row.date.strftime(DATE)

    @admin.display(description="thứ")
    def weekday(self, row):
        return ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")[row.date.weekday()]

    def _say_affected(self, request, days, change):
        for changed_day in sorted(days):
            found = Dossier.objects.filter(outcome.calendar_day_change_q(changed_day)).count()
            shown = day(changed_day)
            _say_open_dossiers(
                request,
                found,
                f"Lịch ngày {shown} đã đổi ({change})",
                _dossier_list(open="on", received_before=shown, due_after=shown),
            )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            days = {obj.date} if obj.active else set()
        elif "date" in form.changed_data:
            days = {form.initial["date"], obj.date}
        elif "active" in form.changed_data:
            days = {obj.date}
        else:
            return  # a new name changes no due time
        self._say_affected(request, days, f"{self.opts.verbose_name}: {obj.name}")

    # Taking a day of the state calendar out keeps its row, inactive: the next sync_calendar does not bring it back.
    @admin.action(description="Bỏ khỏi lịch (ngừng áp dụng, không xóa)")
    def deactivate(self, request, queryset):
        rows = [row for row in queryset if row.active]
        for row in rows:
            deactivate_calendar_day(row)
        self.message_user(request, f"Đã bỏ {len(rows)} {self.opts.verbose_name} khỏi lịch.")
        self._say_affected(request, {row.date for row in rows}, f"bỏ {self.opts.verbose_name}")

    @admin.action(description="Áp dụng lại")
    def reactivate(self, request, queryset):
        rows = _switch(queryset, "active", True)
        self.message_user(request, f"Đã áp dụng lại {len(rows)} {self.opts.verbose_name}.")
        self._say_affected(request, {row.date for row in rows}, f"áp dụng lại {self.opts.verbose_name}")


@admin.register(Holiday)
class HolidayAdmin(CalendarDayAdmin):
    pass


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(CalendarDayAdmin):
    pass


# --- accounts -------------------------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("unit", "role", "active")
    extra = 1
    autocomplete_fields = ("unit",)
    can_delete = False  # a role that ends is unticked (đang hiệu lực), so its history stays
    verbose_name = "vai trò tại đơn vị"
    verbose_name_plural = "vai trò tại đơn vị"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(KeptAdmin, UserAdmin):
    inlines = (MembershipInline,)
    list_display = ("username", "first_name", "last_name", "email", "units", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__role", "memberships__unit__level")
    actions = ("deactivate", "reactivate")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__unit")

    @admin.display(description="đơn vị, vai trò")
    def units(self, user):
        return "; ".join(f"{m.unit.name} ({m.get_role_display()})" for m in user.memberships.all() if m.active)

    @admin.action(description="Khóa tài khoản (ngừng hoạt động, không xóa)")
    def deactivate(self, request, queryset):
        rows = _switch(queryset.exclude(pk=request.user.pk), "is_active", False)
        self.message_user(request, f"Đã khóa {len(rows)} tài khoản; họ không đăng nhập được nữa.")

    @admin.action(description="Mở lại tài khoản")
    def reactivate(self, request, queryset):
        rows = _switch(queryset, "is_active", True)
        self.message_user(request, f"Đã mở lại {len(rows)} tài khoản.")


@admin.register(Membership)
class MembershipAdmin(ActiveActions, KeptAdmin):
    list_display = ("user", "role", "unit", "active")
    list_filter = ("active", "role", "unit__level")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__name", "unit__code")
    list_select_related = ("user", "unit")
    autocomplete_fields = ("user", "unit")

    def get_changeform_initial_data(self, request):
        # ?unit=… prefills the form; a value that is not an id would break the autocomplete widget (a 500).
        initial = super().get_changeform_initial_data(request)
        return {key: value for key, value in initial.items() if key not in ("user", "unit") or _is_id(value)}


def _is_id(value):
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) < 2**63


# Login lock-outs (django-axes): the administrator unlocks an account and address before the wait is over.
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    actions = ("unlock", *AccessAttemptAdmin.actions)

    @admin.action(description="Mở khóa đăng nhập (xóa các lần sai đã đếm)")
    def unlock(self, request, queryset):
        rows = list(queryset)
        self.log_deletions(request, queryset)
        queryset.delete()
        who = ", ".join(sorted({f"{row.username} ({row.ip_address})" for row in rows}))
        self.message_user(request, f"Đã mở khóa: {who}." if rows else "Không có khóa nào được chọn.")


# --- dossiers: read-only, for audit ---------------------------------------------------------------


class ReadOnlyAdminMixin(NoDelete):
    """Seen, never added, changed or deleted here; and no bulk "delete selected"."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _working_time(seconds):
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} giờ {rest // 60:02d} phút"


class DossierEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DossierEvent
    fields = ("when", "kind", "by", "what", "reason", "recorded")
    readonly_fields = fields
    extra = 0
    ordering = ("at", "id")

    @admin.display(description="thời điểm")
    def when(self, event):
        return day_time(event.at)

    @admin.display(description="diễn biến")
    def what(self, event):
        return timeline.sentence(event)

    @admin.display(description="ghi lúc")
    def recorded(self, event):
        return day_time(event.recorded_at)


class ClockStopInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClockStop
    fields = ("stop_kind", "started", "ended", "stopped_for", "missing_papers", "reason", "stopped_by")
    readonly_fields = fields
    extra = 0

    @admin.display(description="loại")
    def stop_kind(self, stop):
        return stop.get_kind_display()

    @admin.display(description="từ")
    def started(self, stop):
        return _local(stop.started_at)

    @admin.display(description="đến")
    def ended(self, stop):
        return _local(stop.ended_at)

    @admin.display(description="thời gian làm việc bị dừng")
    def stopped_for(self, stop):
        return _working_time(stop.working_seconds)

    @admin.display(description="người ghi")
    def stopped_by(self, stop):
        return stop.by or "—"


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "applicant_name", "procedure", "unit", "received", "due", "state", "channel")
    # A date filter, not date_hierarchy: the hierarchy scans every row for its list of years.
    list_filter = ("unit__level", "state", "channel", ("received_at", admin.DateFieldListFilter), "procedure__field")
    search_fields = ("code", "applicant_name")
    search_help_text = "Tìm theo mã hồ sơ hoặc tên người nộp."
    list_select_related = ("procedure", "unit")
    inlines = (ClockStopInline, DossierEventInline)
    fieldsets = (
        (None, {"fields": ("code", "state", "unit", "procedure", "processing_days", "channel", "handler")}),
        (
            "Người nộp",
            {"fields": ("applicant_name", "applicant_phone", "applicant_address", "applicant_email", "papers")},
        ),
        ("Tin nhắn cho người nộp", {"fields": ("messages_consent", "messages_channel", "messages_stopped")}),
        (
            "Thời hạn",
            {
                "fields": (
                    "received",
                    "due",
                    "due_at_given",
                    "clock_stopped",
                    "resolved",
                    "returned",
                    "ended",
                    "overdue",
                )
            },
        ),
        ("Số hóa, ghi nhận", {"fields": ("papers_digitized", "result_digitized", "received_by", "created", "updated")}),
    )
    readonly_fields = (
        "received", "due", "clock_stopped", "resolved", "returned", "ended", "overdue", "created", "updated",
        "messages_stopped",
    )  # fmt: skip
    # Two million dossiers: no full count on every filtered page.
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="ngày tiếp nhận", ordering="received_at")
    def received(self, dossier):
        return _local(dossier.received_at)

    @admin.display(description="ngày hẹn trả", ordering="due_at")
    def due(self, dossier):
        return _local(dossier.due_at)

    @admin.display(description="dừng tính thời hạn từ")
    def clock_stopped(self, dossier):
        return _local(dossier.clock_stopped_at)

    @admin.display(description="ngày có kết quả")
    def resolved(self, dossier):
        return _local(dossier.resolved_at)

    @admin.display(description="ngày trả kết quả")
    def returned(self, dossier):
        return _local(dossier.returned_at)

    @admin.display(description="ngày kết thúc (từ chối/rút)")
    def ended(self, dossier):
        return _local(dossier.ended_at)

    @admin.display(description="quá hạn từ")
    def overdue(self, dossier):
        return _local(dossier.overdue_since)

    @admin.display(description="tạo lúc")
    def created(self, dossier):
        return _local(dossier.created_at)

    @admin.display(description="ngừng nhận tin nhắn từ")
    def messages_stopped(self, dossier):
        return _local(dossier.messages_stopped_at)

    @admin.display(description="cập nhật lúc")
    def updated(self, dossier):
        return _local(dossier.updated_at)


@admin.register(DossierEvent)
class DossierEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("dossier", "kind", "when", "by", "reason")
    list_filter = ("kind", ("at", admin.DateFieldListFilter))
    search_fields = ("dossier__code",)
    search_help_text = "Tìm theo mã hồ sơ."
    list_select_related = ("dossier", "by")
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="thời điểm", ordering="at")
    def when(self, event):
        return _local(event.at)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every message sent (or not) to an applicant: read here, never written (cases/followup/messages.py)."""

    list_display = ("created", "dossier", "kind", "channel", "to", "state", "attempts", "sent", "error")
    list_filter = ("state", "channel", "kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("dossier__code", "to")
    search_help_text = "Tìm theo mã hồ sơ hoặc số điện thoại, địa chỉ thư nhận."
    list_select_related = ("dossier",)
    show_full_result_count = False
    list_per_page = 100
    fields = (
        "dossier", "kind", "channel", "to", "text", "params", "state", "urgent", "attempts", "created", "next_attempt",
        "sent", "provider_id", "error",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="tạo lúc", ordering="created_at")
    def created(self, message):
        return _local(message.created_at)

    @admin.display(description="gửi (lại) từ")
    def next_attempt(self, message):
        return _local(message.next_attempt_at)

    @admin.display(description="gửi lúc", ordering="sent_at")
    def sent(self, message):
        return _local(message.sent_at)
