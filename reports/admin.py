"""Frozen figures (chốt số liệu) in the administrator's pages: seen, re-frozen with a reason, never edited or deleted.

A re-freeze goes through reports.freeze.freeze: the old freeze stays (no longer current) with its figures.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from cases.admin import ReadOnlyAdminMixin
from cases.core.formats import moment as moment_text
from cases.core.formats import number
from cases.desk import access
from reports.figures import periods
from reports.figures.freeze import FreezeRefused, freeze
from reports.models import Freeze, FreezeKind, FrozenFigures

# The counters shown per freeze: what the reports print first.
SUMMARY = [
    ("received_in_period", "tiếp nhận trong kỳ"),
    ("carried_over", "kỳ trước chuyển qua"),
    ("resolved_total", "đã giải quyết"),
    ("resolved_early", "trước hạn"),
    ("resolved_on_time", "đúng hạn"),
    ("resolved_late", "quá hạn"),
    ("in_progress_total", "đang giải quyết"),
    ("in_progress_overdue", "đang quá hạn"),
]
SUMS = {name: Sum(name) for name, _ in SUMMARY}


def _local(moment):
    return moment_text(moment) or "—"


def period_of(found):
    """The period a freeze covers, as reports.periods names it (its label goes into freeze's messages)."""
    if found.kind == FreezeKind.MONTH:
        return periods.month(found.start.year, found.start.month)
    if found.kind == FreezeKind.STAT_MONTH:
        return periods.statistical_month(found.end.year, found.end.month)
    return periods.date_range(found.start, found.end)


def may_refreeze(user):
    return access.may_refreeze(user)


class RefreezeForm(forms.Form):
    reason = forms.CharField(
        label="Lý do chốt lại",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        error_messages={"required": "Cần ghi lý do chốt lại số liệu."},
        help_text="Ví dụ: hồ sơ nhập bổ sung sau ngày chốt, sửa ngày có kết quả theo văn bản số …",
    )


@admin.register(Freeze)
class FreezeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "period", "frozen", "frozen_by", "reason_text", "current", "summary")
    list_display_links = ("period",)
    list_filter = ("kind", "current")
    list_select_related = ("frozen_by",)
    fields = ("kind", "period", "frozen", "frozen_by", "reason", "current", "totals", "by_unit")
    readonly_fields = fields
    change_form_template = "followup/admin/freeze_change_form.html"

    def get_queryset(self, request):
        # Each freeze's totals in the same query as the list.
        return (
            super()
            .get_queryset(request)
            .annotate(
                sum_resolved=Sum("figures__resolved_total"),
                sum_late=Sum("figures__resolved_late"),
                sum_overdue=Sum("figures__in_progress_overdue"),
            )
        )

    @admin.display(description="kỳ", ordering="start")
    def period(self, found):
        return f"{found.start:%d/%m/%Y}–{found.end:%d/%m/%Y}"

    @admin.display(description="chốt lúc", ordering="frozen_at")
    def frozen(self, found):
        return _local(found.frozen_at)

    @admin.display(description="lý do chốt lại")
    def reason_text(self, found):
        return found.reason or "—"

    @admin.display(description="số liệu đã chốt")
    def summary(self, found):
        return (
            f"{_count(found.sum_resolved)} đã giải quyết ({_count(found.sum_late)} quá hạn),"
            f" {_count(found.sum_overdue)} đang quá hạn"
        )

    @admin.display(description="tổng số liệu đã chốt")
    def totals(self, found):
        row = FrozenFigures.objects.filter(freeze=found).aggregate(**SUMS)
        return format_html_join("; ", "{}: {}", ((label, _count(row[name])) for name, label in SUMMARY))

    @admin.display(description="theo đơn vị")
    def by_unit(self, found):
        rows = (
            FrozenFigures.objects.filter(freeze=found)
            .values("unit__name", "unit__code", "unit__path")
            .annotate(**SUMS)
            .order_by("unit__path")
        )
        head = format_html_join("", "<th>{}</th>", ((label,) for _, label in SUMMARY))
        body = format_html_join(
            "",
            "<tr><td>{} ({})</td>{}</tr>",
            (
                (
                    row["unit__name"],
                    row["unit__code"],
                    format_html_join("", '<td class="num">{}</td>', ((_count(row[n]),) for n, _ in SUMMARY)),
                )
                for row in rows
            ),
        )
        figures_url = reverse("admin:reports_frozenfigures_changelist") + f"?freeze__id__exact={found.pk}"
        return format_html(
            '<table class="frozen-by-unit"><thead><tr><th>đơn vị</th>{}</tr></thead><tbody>{}</tbody></table>'
            '<p><a href="{}">Xem từng dòng số liệu (đơn vị × lĩnh vực)</a></p>',
            head,
            body,
            figures_url,
        )

    def get_urls(self):
        extra = [
            path(
                "<int:object_id>/chot-lai/",
                self.admin_site.admin_view(self.refreeze_view),
                name="reports_freeze_refreeze",
            ),
        ]
        return extra + super().get_urls()

    def render_change_form(self, request, context, *args, **kwargs):
        context["may_refreeze"] = may_refreeze(request.user)
        return super().render_change_form(request, context, *args, **kwargs)

    def refreeze_view(self, request, object_id):
        """Chốt lại số liệu: the period's figures stored again, with a reason; the old freeze stays as history."""
        if not may_refreeze(request.user):
            raise PermissionDenied
        old = get_object_or_404(Freeze, pk=object_id)
        period = period_of(old)
        form = RefreezeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                created = freeze(period, old.kind, by=request.user, reason=form.cleaned_data["reason"])
            except FreezeRefused as refused:
                form.add_error("reason", str(refused))
            else:
                messages.success(
                    request,
                    f"Đã chốt lại số liệu {period.label} lúc {_local(created.frozen_at)}; lần chốt trước được lưu"
                    " trong lịch sử.",
                )
                return redirect("admin:reports_freeze_change", created.pk)
        current = Freeze.objects.filter(kind=old.kind, start=old.start, current=True).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Chốt lại số liệu {period.label}",
            "original": old,
            "current": current,
            "current_frozen": _local(current.frozen_at) if current else "",
            "period": period,
            "form": form,
        }
        return TemplateResponse(request, "followup/admin/refreeze.html", context, status=400 if form.errors else 200)


def _count(value):
    return number(value or 0)


@admin.register(FrozenFigures)
class FrozenFiguresAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("frozen_in", "unit_name", "field_name", "level", "figures")
    list_select_related = ("freeze", "unit", "field")
    search_fields = ("unit__name", "unit__code")
    show_full_result_count = False
    list_per_page = 100

    @admin.display(description="lần chốt", ordering="freeze")
    def frozen_in(self, row):
        return str(row.freeze)

    @admin.display(description="đơn vị", ordering="unit__path")
    def unit_name(self, row):
        return row.unit.name

    @admin.display(description="lĩnh vực")
    def field_name(self, row):
        return row.field.name

    @admin.display(description="mức độ DVC trực tuyến")
    def level(self, row):
        return row.online_level or "—"

    @admin.display(description="số liệu")
    def figures(self, row):
        return "; ".join(f"{label}: {_count(getattr(row, name))}" for name, label in SUMMARY)
