"""The administrator's pages (/quan-tri/): catalogue, calendar, accounts; dossiers and their history read-only.

Nothing a desk recorded is edited or deleted here: dossiers change only through cases.desk.steps, with an event.
"""

from datetime import datetime

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.html import format_html

from cases.catalogue.calendar import forget_calendar_day
from cases.catalogue.models import Field, Holiday, Procedure, Unit, WorkdayOverride
from cases.core.text import fold
from cases.desk.models import ClockStop, Dossier, DossierEvent, Membership
from cases.desk.states import State

DATE = "%d/%m/%Y"
DATE_TIME = "%H:%M %d/%m/%Y"


def _local(moment, layout=DATE_TIME):
    return timezone.localtime(moment).strftime(layout) if moment else "—"


# --- units and the catalogue ----------------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("tree_name", "code", "level", "kind", "parent", "valid_from", "valid_to", "merged_into")
    list_display_links = ("tree_name",)
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    list_select_related = ("parent", "merged_into")
    autocomplete_fields = ("parent", "merged_into")
    ordering = ("path",)
    list_per_page = 200

    @admin.display(description="tên đơn vị", ordering="path")
    def tree_name(self, unit):
        # Ordered by path, each unit under its parent: the indentation draws the tree.
        return format_html('<span style="padding-left: {}em">{}</span>', 1.5 * max(unit.depth, 0), unit.name)


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("name", "procedure_count")
    search_fields = ("name",)

    @admin.display(description="số thủ tục")
    def procedure_count(self, field):
        return field.procedures.count()


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
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


# --- the calendar ---------------------------------------------------------------------------------


class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "weekday", "name", "source")
    list_filter = ("source",)
    search_fields = ("name",)
    date_hierarchy = "date"
    readonly_fields = ("source",)
    ordering = ("-date",)

    @admin.display(description="ngày", ordering="date")
    def day(self, row):
        return row.date.strftime(DATE)

    @admin.display(description="thứ")
    def weekday(self, row):
        return ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")[row.date.weekday()]

    # Deleting a day of the state calendar is remembered, so that the next sync_calendar does not bring it back.
    def delete_model(self, request, obj):
        forget_calendar_day(obj)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            forget_calendar_day(row)


@admin.register(Holiday)
class HolidayAdmin(CalendarDayAdmin):
    pass


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(CalendarDayAdmin):
    pass


# --- accounts -------------------------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ("unit",)
    verbose_name = "vai trò tại đơn vị"
    verbose_name_plural = "vai trò tại đơn vị"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = (MembershipInline,)
    list_display = ("username", "first_name", "last_name", "email", "units", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "memberships__role", "memberships__unit__level")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__unit")

    @admin.display(description="đơn vị, vai trò")
    def units(self, user):
        return "; ".join(f"{m.unit.name} ({m.get_role_display()})" for m in user.memberships.all())


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit")
    list_filter = ("role", "unit__level")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__name", "unit__code")
    list_select_related = ("user", "unit")
    autocomplete_fields = ("user", "unit")

    def get_changeform_initial_data(self, request):
        # ?unit=… prefills the form; a value that is not an id would break the autocomplete widget (a 500).
        initial = super().get_changeform_initial_data(request)
        return {key: value for key, value in initial.items() if key not in ("user", "unit") or _is_id(value)}


def _is_id(value):
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) < 2**63


# --- dossiers: read-only, for audit ---------------------------------------------------------------


class ReadOnlyAdminMixin:
    """Seen, never added, changed or deleted here; and no bulk "delete selected"."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def _describe(values):
    """An event's before/after in words: "Trạng thái: Chờ bổ sung; Ngày hẹn trả: 10:00 21/02/2024"."""
    if not values:
        return "—"
    parts = []
    for name, value in values.items():
        try:
            label = str(Dossier._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = {"handler": "người xử lý"}.get(name, name)
        if value is None:
            shown = "—"
        elif name == "state":
            shown = State(value).label if value in State.values else value
        elif isinstance(value, str) and name.endswith("_at"):
            shown = _local(datetime.fromisoformat(value))
        else:
            shown = str(value)
        parts.append(f"{label.capitalize()}: {shown}")
    return "; ".join(parts)


def _working_time(seconds):
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours} giờ {rest // 60:02d} phút"


class DossierEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DossierEvent
    fields = ("when", "kind", "by", "changed_from", "changed_to", "reason", "recorded")
    readonly_fields = fields
    extra = 0
    ordering = ("at", "id")

    @admin.display(description="thời điểm")
    def when(self, event):
        return _local(event.at)

    @admin.display(description="trước")
    def changed_from(self, event):
        return _describe(event.before)

    @admin.display(description="sau")
    def changed_to(self, event):
        return _describe(event.after)

    @admin.display(description="ghi lúc")
    def recorded(self, event):
        return _local(event.recorded_at)


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
        ("Người nộp", {"fields": ("applicant_name", "applicant_phone", "applicant_address", "papers")}),
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
