"""The dossier list's filters. They narrow `access.visible_to(user)`; they never widen it."""

from types import SimpleNamespace

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from cases.catalogue.models import Field, Performer, Procedure, Unit
from cases.catalogue.units import with_labels
from cases.core import formats
from cases.core.text import fold
from cases.core.widgets import QuickSelect
from cases.desk import access, outcome
from cases.desk.models import DossierStep
from cases.desk.states import Channel, State
from reports.figures import periods
from reports.figures import steps as step_figures
from reports.figures.counters import COUNTER_NAMES, behind

DATE_HINT = {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}

# The dashboard's numbers, as the line above the list names them.
COUNTER_LABELS = {
    "received_total": "Hồ sơ tiếp nhận (gồm kỳ trước chuyển qua)",
    "received_in_period": "Hồ sơ tiếp nhận trong kỳ",
    "carried_over": "Hồ sơ kỳ trước chuyển qua",
    "received_online": "Hồ sơ tiếp nhận trực tuyến",
    "received_direct": "Hồ sơ tiếp nhận trực tiếp",
    "received_postal": "Hồ sơ tiếp nhận qua bưu chính",
    "resolved_total": "Hồ sơ đã giải quyết",
    "resolved_early": "Hồ sơ đã giải quyết trước hạn",
    "resolved_on_time": "Hồ sơ đã giải quyết đúng hạn",
    "resolved_late": "Hồ sơ đã giải quyết quá hạn",
    "in_progress_total": "Hồ sơ đang giải quyết",
    "in_progress_within_deadline": "Hồ sơ đang giải quyết trong hạn",
    "in_progress_overdue": "Hồ sơ đang giải quyết quá hạn",
}
assert set(COUNTER_LABELS) == set(COUNTER_NAMES), "every counter of reports.tally needs its Vietnamese name"


def _visible_units(request):
    if request is None:
        return Unit.objects.none()
    return access.visible_units(request.user).order_by("path")


class LabelledUnits(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for unit in self.field.units():
            yield self.choice(unit)


class UnitField(forms.ModelChoiceField):
    """A unit select whose options name a unit's parent where the name alone is ambiguous (units.with_labels);
    its units are read once, and the list page reuses them (access.sees_several_units)."""

    iterator = LabelledUnits

    def units(self):
        if not hasattr(self, "_units"):
            self._units = with_labels(self.queryset.select_related("parent"))
        return self._units

    def label_from_instance(self, obj):
        return obj.label


class UnitChoiceFilter(django_filters.ModelChoiceFilter):
    """A unit and everything under it (an office picks the district and sees its communes)."""

    field_class = UnitField

    def filter(self, qs, value):
        if not value:
            return qs
        if self.exact_with_counter and self.parent.form.cleaned_data.get("so_lieu"):
            # A dashboard row counts that unit's own dossiers (its totals link with trong_don_vi instead).
            return qs.filter(unit=value)
        # The subtree as a literal id list, from the units the select has read already (no query, and the planner
        # sees the ids: cases.desk.access.visible_to).
        units = self.parent.form.fields[self.field_name].units()
        return qs.filter(unit_id__in=[unit.pk for unit in units if unit.path.startswith(value.path)])

    def __init__(self, *args, exact_with_counter=False, **kwargs):
        self.exact_with_counter = exact_with_counter
        super().__init__(*args, **kwargs)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Column sorting with the id as tie-breaker, so a page never repeats or skips a row."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*ordering, "-pk" if ordering[0].startswith("-") else "pk")


class DateRangeImplyingTheOther(django_filters.DateFromToRangeFilter):
    """Received from – to, due from – to, each with the bound it implies on the other date: a dossier is never due
    before it was received (the dossier_due_after_received constraint), so "received from day a" also means "due
    from a" and "due until day b" also means "received until b". The rows are the same; what changes is where an
    office's per-unit merge (cases.core.pager) starts each unit's range: a month of receipt sorted by due date walks
    (unit, due_at, id) from that month's first day instead of from the unit's oldest dossier (3 s at 1M)."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value and self.field_name == "received_at" and value.start is not None:
            qs = qs.filter(due_at__gte=value.start)
        if value and self.field_name == "due_at" and value.stop is not None:
            qs = qs.filter(received_at__lte=value.stop)
        return qs


class ProcedurePicker(QuickSelect):
    """The procedure filter without its 187 options: only the chosen one is rendered, and the page's script turns
    the select into a search box over /thu-tuc/tim/ (the receipt form's picker)."""

    def optgroups(self, name, value, attrs=None):
        chosen = [int(v) for v in value if str(v).isdigit()]
        self.choices = [("", "Tất cả")] + [
            (procedure.pk, f"{procedure.code} — {procedure.name}")
            for procedure in Procedure.objects.filter(pk__in=chosen)
        ]
        return super().optgroups(name, value, attrs)


class DossierFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        if data.get("so_lieu") or data.get("buoc_tt") in step_figures.PERIOD_KINDS:
            start, end = data.get("ky_tu"), data.get("ky_den")
            if not (start and end):
                self.add_error(
                    "so_lieu" if data.get("so_lieu") else "buoc_tt",
                    "Cần cả ngày đầu (ky_tu) và ngày cuối (ky_den) của kỳ.",
                )
            elif end < start:
                self.add_error("ky_den", f"Ngày cuối kỳ {end:%d/%m/%Y} trước ngày đầu {start:%d/%m/%Y}.")
        return data


class DossierFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(label="Mã hồ sơ", method="filter_code")
    applicant = django_filters.CharFilter(label="Người nộp", method="filter_applicant")
    phone = django_filters.CharFilter(label="Số điện thoại", method="filter_phone")
    id_number = django_filters.CharFilter(label="Số CCCD / mã số thuế", method="filter_id_number")
    procedure = django_filters.ModelChoiceFilter(
        label="Thủ tục", queryset=Procedure.objects.order_by("code"), empty_label="Tất cả", widget=ProcedurePicker
    )
    field = django_filters.ModelChoiceFilter(
        label="Lĩnh vực",
        field_name="procedure__field",
        queryset=Field.objects.all(),
        empty_label="Tất cả",
        widget=QuickSelect,
    )
    channel = django_filters.ChoiceFilter(
        label="Hình thức nộp", choices=Channel.choices, empty_label="Tất cả", widget=QuickSelect
    )
    state = django_filters.ChoiceFilter(
        label="Trạng thái", choices=State.choices, empty_label="Tất cả", widget=QuickSelect
    )
    received = DateRangeImplyingTheOther(
        label="Tiếp nhận từ – đến",
        field_name="received_at",
        widget=django_filters.widgets.DateRangeWidget(attrs=DATE_HINT),
    )
    due = DateRangeImplyingTheOther(
        label="Hẹn trả từ – đến", field_name="due_at", widget=django_filters.widgets.DateRangeWidget(attrs=DATE_HINT)
    )
    overdue = django_filters.BooleanFilter(
        label="Chỉ hồ sơ đang quá hạn", method="filter_overdue", widget=forms.CheckboxInput
    )
    open = django_filters.BooleanFilter(
        label="Chỉ hồ sơ đang giải quyết", method="filter_open", widget=forms.CheckboxInput
    )
    # What the Today page and the header badge count: cases.desk.outcome's buckets, as of now.
    han = django_filters.ChoiceFilter(
        label="Thời hạn",
        choices=list(outcome.DEADLINE_LABELS.items()),
        method="filter_deadline",
        empty_label="Tất cả",
        widget=QuickSelect,
    )
    unit = UnitChoiceFilter(
        label="Đơn vị",
        queryset=_visible_units,
        empty_label="Tất cả đơn vị được xem",
        exact_with_counter=True,
        widget=QuickSelect,
    )
    # The dashboard's links: the dossiers behind one number (reports.tally.behind), for a period and a scope.
    so_lieu = django_filters.ChoiceFilter(
        label="Số liệu", choices=list(COUNTER_LABELS.items()), method="filter_counter", widget=forms.HiddenInput
    )
    ky_tu = django_filters.DateFilter(label="Kỳ từ ngày", method="filter_nothing", widget=forms.HiddenInput)
    ky_den = django_filters.DateFilter(label="Kỳ đến ngày", method="filter_nothing", widget=forms.HiddenInput)
    trong_don_vi = UnitChoiceFilter(label="Trong đơn vị", queryset=_visible_units, widget=forms.HiddenInput)
    # The dashboard's step figures: the dossiers behind one number (reports.figures.steps.behind_q), narrowed to the
    # step's unit, kind, name and official. They only narrow visible_to(user): any value is harmless.
    buoc_tt = django_filters.ChoiceFilter(
        label="Bước xử lý", choices=list(step_figures.BEHIND_LABELS.items()), method="filter_steps",
        widget=forms.HiddenInput,
    )  # fmt: skip
    buoc_don_vi = django_filters.NumberFilter(label="Đơn vị xử lý", method="filter_nothing", widget=forms.HiddenInput)
    bo_phan = django_filters.ChoiceFilter(
        label="Bộ phận", choices=Performer.choices, method="filter_nothing", widget=forms.HiddenInput
    )
    buoc_ten = django_filters.CharFilter(label="Tên bước", method="filter_nothing", widget=forms.HiddenInput)
    nguoi_xu_ly = django_filters.CharFilter(label="Người xử lý", method="filter_nothing", widget=forms.HiddenInput)
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

    @property
    def period(self):
        """The counter's period when the list shows the dossiers behind a number, else None."""
        if not self.is_bound or not self.form.is_valid():
            return None
        data = self.form.cleaned_data
        if not data.get("so_lieu"):
            return None
        return periods.date_range(data["ky_tu"], data["ky_den"])

    def filter_counter(self, queryset, name, value):
        period = self.period
        return behind(queryset, period, value) if value and period else queryset

    def filter_nothing(self, queryset, name, value):
        # Read by filter_counter and filter_steps: a period or a step's detail alone narrows nothing.
        return queryset

    def _range(self):
        data = self.form.cleaned_data
        if data.get("ky_tu") and data.get("ky_den"):
            return periods.date_range(data["ky_tu"], data["ky_den"])
        return None

    def filter_steps(self, queryset, name, value):
        if not value:
            return queryset
        data = self.form.cleaned_data
        condition = step_figures.behind_q(value, self._range())
        if data.get("buoc_don_vi") is not None:
            condition &= Q(unit_id=int(data["buoc_don_vi"]))
        if data.get("bo_phan"):
            condition &= Q(performer=data["bo_phan"])
        if data.get("buoc_ten"):
            condition &= Q(name=data["buoc_ten"])
        holder = (data.get("nguoi_xu_ly") or "").strip()
        if holder == "khong":
            condition &= Q(holder__isnull=True, holder_name="")
        elif holder.startswith("ten:"):
            condition &= Q(holder__isnull=True, holder_name=holder[4:])
        elif holder.isdigit():
            condition &= Q(holder_id=int(holder))
        elif holder:
            return queryset.none()
        return queryset.filter(pk__in=DossierStep.objects.filter(condition).values("dossier_id"))

    def step_caption(self):
        """What a step figure's list shows: "Hồ sơ có bước hoàn thành trễ hạn — UBND xã Pú Hồng, Bộ phận chuyên môn,
        Quàng Văn Chuyên, từ ngày … đến ngày …"."""
        data = self.form.cleaned_data
        kind = data.get("buoc_tt")
        if not kind:
            return ""
        parts = []
        if data.get("buoc_don_vi") is not None:
            unit = Unit.objects.filter(pk=int(data["buoc_don_vi"])).first()
            parts.append(unit.name if unit else "")
        if data.get("bo_phan"):
            parts.append(Performer(data["bo_phan"]).label)
        if data.get("buoc_ten"):
            parts.append(f"bước «{data['buoc_ten']}»")
        holder = (data.get("nguoi_xu_ly") or "").strip()
        if holder == "khong":
            parts.append(step_figures.NO_HOLDER)
        elif holder.startswith("ten:"):
            parts.append(holder[4:])
        elif holder.isdigit():
            user = get_user_model().objects.filter(pk=int(holder)).first()
            parts.append(formats.display_name(user))
        caption = step_figures.BEHIND_LABELS[kind]
        if kind in step_figures.PERIOD_KINDS and self._range():
            caption += f", {self._range().range_text}"
        where = ", ".join(part for part in parts if part)
        return f"{caption} — {where}" if where else caption

    def counter_caption(self):
        """What the list shows, in words: "Hồ sơ đã giải quyết quá hạn, từ ngày … đến ngày … — UBND xã Pú Hồng"."""
        if not self.form.is_valid():
            return ""
        if self.form.cleaned_data.get("buoc_tt"):
            return self.step_caption()
        period = self.period
        if period is None:
            return ""
        data = self.form.cleaned_data
        if data.get("unit"):
            where = data["unit"].name
            if data.get("trong_don_vi") and data["trong_don_vi"] != data["unit"]:
                where += f" (trong {data['trong_don_vi'].name})"
        elif data.get("trong_don_vi"):
            where = f"{data['trong_don_vi'].name} và các đơn vị trực thuộc"
        else:
            where = "tất cả đơn vị bạn được xem"
        return f"{COUNTER_LABELS[data['so_lieu']]}, {period.range_text} — {where}"

    class Meta:
        form = DossierFilterForm

    def filter_code(self, queryset, name, value):
        # The code's beginning (codes are upper case: "dbd-nv" finds DBD-NV-…), read from the code's index.
        value = value.strip().upper()
        return queryset.filter(code__startswith=value) if value else queryset

    def filter_applicant(self, queryset, name, value):
        # With or without diacritics, either way round: the folded text typed, inside the folded name (trigram
        # index). "nguyen van" and "Nguyễn Văn" both find "Nguyễn Văn An".
        folded = fold(value)
        return queryset.filter(applicant_folded__contains=folded) if folded else queryset

    def filter_phone(self, queryset, name, value):
        # The number's beginning, written any way the phone rule accepts ("+84 912.345" → 0912345…).
        digits = "".join(ch for ch in value if ch.isdigit())
        if value.strip().startswith("+84"):
            digits = "0" + digits[2:]
        return queryset.filter(applicant_phone__startswith=digits) if digits else queryset

    def filter_id_number(self, queryset, name, value):
        # The number's beginning, spaces and dots dropped as the receipt form drops them (the partial index).
        typed = value.replace(" ", "").replace(".", "")
        return queryset.filter(applicant_id_number__startswith=typed) if typed else queryset

    def filter_overdue(self, queryset, name, value):
        # An unticked box means "all", not "not overdue".
        return queryset.filter(outcome.overdue_q()) if value else queryset

    def filter_deadline(self, queryset, name, value):
        return queryset.filter(outcome.deadline_q(value)) if value else queryset

    def filter_open(self, queryset, name, value):
        return queryset.filter(outcome.open_q()) if value else queryset


def filtered_dossiers(user, data):
    """The list's filterset and queryset for `user` and the list's query `data` (a QueryDict): the screen, its
    downloads and a background export (run by the worker, without a request) show exactly the same dossiers."""
    base = access.visible_to(user).select_related("procedure__field", "unit", "handler")
    # The filters read the request only for its user (the units a select offers).
    filterset = DossierFilter(data or None, queryset=base, request=SimpleNamespace(user=user))
    # A value outside the user's scope (another unit's id) shows nothing, never the unfiltered list.
    queryset = base.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    return filterset, queryset
