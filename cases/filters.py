"""The dossier list's filters. They narrow `access.visible_to(user)`; they never widen it."""

import django_filters
from django import forms

from . import access, outcome
from .models import Channel, Field, Procedure, State, Unit

DATE_HINT = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}


def _visible_units(request):
    if request is None:
        return Unit.objects.none()
    return access.visible_units(request.user).order_by("path")


class UnitChoiceFilter(django_filters.ModelChoiceFilter):
    """A unit and everything under it (an office picks the district and sees its communes)."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(unit__path__startswith=value.path)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Column sorting with the id as tie-breaker, so a page never repeats or skips a row."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "-pk" if ordering[0].startswith("-") else "pk")


class DossierFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(label="Mã hồ sơ", lookup_expr="icontains")
    applicant = django_filters.CharFilter(label="Người nộp", field_name="applicant_name", lookup_expr="icontains")
    procedure = django_filters.ModelChoiceFilter(
        label="Thủ tục", queryset=Procedure.objects.order_by("code"), empty_label="Tất cả"
    )
    field = django_filters.ModelChoiceFilter(
        label="Lĩnh vực", field_name="procedure__field", queryset=Field.objects.all(), empty_label="Tất cả"
    )
    channel = django_filters.ChoiceFilter(label="Hình thức nộp", choices=Channel.choices, empty_label="Tất cả")
    state = django_filters.ChoiceFilter(label="Trạng thái", choices=State.choices, empty_label="Tất cả")
    received = django_filters.DateFromToRangeFilter(
        label="Tiếp nhận từ – đến",
        field_name="received_at",
        widget=django_filters.widgets.DateRangeWidget(attrs=DATE_HINT),
    )
    due = django_filters.DateFromToRangeFilter(
        label="Hẹn trả từ – đến", field_name="due_at", widget=django_filters.widgets.DateRangeWidget(attrs=DATE_HINT)
    )
    overdue = django_filters.BooleanFilter(
        label="Chỉ hồ sơ đang quá hạn", method="filter_overdue", widget=forms.CheckboxInput
    )
    open = django_filters.BooleanFilter(
        label="Chỉ hồ sơ đang giải quyết", method="filter_open", widget=forms.CheckboxInput
    )
    unit = UnitChoiceFilter(label="Đơn vị", queryset=_visible_units, empty_label="Tất cả đơn vị được xem")
    sort = StableOrderingFilter(
        label="Sắp xếp",
        fields=(
            ("code", "code"),
            ("received_at", "received_at"),
            ("due_at", "due_at"),
            ("applicant_name", "applicant"),
        ),
        field_labels={
            "code": "Mã hồ sơ",
            "received_at": "Ngày tiếp nhận",
            "due_at": "Ngày hẹn trả",
            "applicant_name": "Người nộp",
        },
    )

    def filter_overdue(self, queryset, name, value):
        # An unticked box means "all", not "not overdue".
        return queryset.filter(outcome.overdue_q()) if value else queryset

    def filter_open(self, queryset, name, value):
        return queryset.filter(outcome.open_q()) if value else queryset
