"""Dossiers through the API: the list with the list page's filters, one dossier with its history, the receipt, and
each step of its life — by the desk's own rules, never a copy of them.

- The list is cases.filters.filtered_dossiers for the client's account (same parameters as the list page).
- A receipt is the desk's ReceiveForm (cases.forms), bound to the JSON: the same contact rules, code rules and
  consent rule, then Dossier.receive (due time, level and closed-unit refusals). The form, not a serializer that
  calls the same functions, because the form IS the desk's validation: a rule added to it reaches the API unasked.
  The serializer in front of it only checks the JSON's types (and gives the schema).
- A step is the desk's action (cases.views.desk.ACTIONS) or process move (cases.views.process.MOVES): its form,
  then the dossier's method, by the client's account, so the event names the client.

Answers: 400 a bad field (named), 404 a dossier outside the client's units (as for a code that does not exist),
409 a step the dossier's state or dates refuse (the desk's message).
"""

from dataclasses import dataclass

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from cases.catalogue.models import Procedure
from cases.desk import access, outcome
from cases.desk.models import Dossier
from cases.desk.states import RatingSource
from cases.desk.steps import ActionRefused
from cases.filters import DossierFilter, filtered_dossiers
from cases.forms import ReceiveForm
from cases.views.desk import ACTIONS
from cases.views.process import MOVES

from ..idempotency import idempotent
from ..models import Scope
from .base import scoped_dossier
from .serializers import (
    CHOICE_KEYS,
    ApiErrorSerializer,
    DossierDetailSerializer,
    DossierSerializer,
    form_serializer,
)

# --- reading ----------------------------------------------------------------------------------------------------


class DossierCursor(CursorPagination):
    """Pages by a cursor on the id, newest written first: the id is unique and never reused, so a page never
    repeats or skips a dossier while others are received meanwhile (they appear before the first page)."""

    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# The list page's parameters that pick a unit or a procedure by id: a client names them by code (an id still works).
BY_CODE = {"unit": "unit", "trong_don_vi": "unit", "procedure": "procedure"}


def _by_code(user, query):
    """The query with unit and procedure codes replaced by the ids the list page's filters read."""
    query = query.copy()
    for name, kind in BY_CODE.items():
        value = query.get(name)
        if not value or "\x00" in value:
            continue  # the filter's own validation refuses it
        found = access.visible_units(user) if kind == "unit" else Procedure.objects.all()
        pk = found.filter(code=value).values_list("pk", flat=True).first()
        if pk is not None:
            query[name] = str(pk)
    return query


def _filter_parameters():
    """The list page's query parameters (cases.filters.DossierFilter), for the schema."""
    parameters = []
    for name, declared in DossierFilter.base_filters.items():
        if name == "sort":
            continue  # the cursor fixes the order
        label = str(declared.label or name)
        if isinstance(declared, django_filters.DateFromToRangeFilter):
            parameters += [
                OpenApiParameter(f"{name}_after", OpenApiTypes.DATE, description=f"{label}: từ ngày (YYYY-MM-DD)."),
                OpenApiParameter(f"{name}_before", OpenApiTypes.DATE, description=f"{label}: đến ngày (YYYY-MM-DD)."),
            ]
            continue
        kind = {
            django_filters.BooleanFilter: OpenApiTypes.BOOL,
            django_filters.DateFilter: OpenApiTypes.DATE,
            django_filters.NumberFilter: OpenApiTypes.INT,
        }.get(type(declared), OpenApiTypes.STR)
        if name in BY_CODE:
            label += " (mã)"
        choices = [value for value, _ in declared.extra.get("choices", []) if value != ""]
        parameters.append(OpenApiParameter(name, kind, description=f"{label}.", enum=choices or None))
    return parameters


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Con trỏ trang (lấy từ `next` hoặc `previous` của trang trước)."),
    OpenApiParameter(
        "page_size",
        int,
        description=f"Số hồ sơ mỗi trang, {DossierCursor.page_size} nếu bỏ trống, tối đa"
        f" {DossierCursor.max_page_size}.",
    ),
]


class DossierPage(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Trang sau (null: trang cuối).")
    previous = serializers.URLField(allow_null=True, help_text="Trang trước (null: trang đầu).")
    results = DossierSerializer(many=True)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER,
    description="Khóa chống gửi lặp (tùy chọn, tối đa 255 ký tự): gửi lại cùng khóa, cùng nội dung nhận lại câu trả"
    " lời lần đầu; cùng khóa, khác nội dung: lỗi 422 khoa_lap_lai_khac_noi_dung. Khóa giữ 24 giờ.",
)  # fmt: skip


def _dossier(request, code, scope=Scope.READ):
    if "\x00" in code:  # not a code, and not a string PostgreSQL takes
        raise NotFound("Không tìm thấy hồ sơ trong phạm vi của khóa API này.")
    return scoped_dossier(request, code, scope)


def dossier_answer(dossier, status=200, request=None):
    """The dossier as read again with its events and steps: three queries, whatever their number."""
    dossier = (
        Dossier.objects.select_related("procedure", "unit", "receiving_unit", "handler")
        .prefetch_related("events__by", "steps__unit", "steps__holder")
        .get(pk=dossier.pk)
    )
    response = Response(DossierDetailSerializer(dossier).data, status=status)
    if request is not None and status == 201:
        response["Location"] = reverse("v1:dossier", kwargs={"code": dossier.code}, request=request)
    return response


def form_errors(form):
    """The form's errors as the API's (api.errors): each under its field, the form's own (non-field) ones without."""
    detail = {}
    for name, errors in form.errors.as_data().items():
        key = "non_field_errors" if name == forms.forms.NON_FIELD_ERRORS else name
        detail[key] = [
            serializers.ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]
    return ValidationError(detail)


def by_key(form):
    """Units and procedures named by code, officials by login (serializers.CHOICE_KEYS), not by database id."""
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField):
            field.to_field_name = CHOICE_KEYS[name]
    return form


def validated(serializer_class, request):
    """The JSON body checked for types by `serializer_class`: the values a form reads (None left out)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return {name: value for name, value in serializer.validated_data.items() if value is not None}


# --- receiving ----------------------------------------------------------------------------------------------------
class ApiReceiveForm(ReceiveForm):
    """The desk's receipt form for a client: the unit is always named (a client of one commune names it too, so a
    unit code it may not receive for is refused on that field, never quietly replaced)."""

    def __init__(self, data, *, user):
        super().__init__(data, user=user)
        self.fixed_unit = None
        self.fields["unit"] = forms.ModelChoiceField(
            queryset=access.receiving_units(user),
            error_messages={
                "invalid_choice": "Không có đơn vị mã «%(value)s» trong các đơn vị khóa API này được tiếp nhận hồ sơ."
            },
        )
        self.fields["procedure"].error_messages["invalid_choice"] = (
            "Không có thủ tục mã «%(value)s», hoặc thủ tục đã ngừng áp dụng."
        )
        self.fields["resolving_unit"].error_messages["invalid_choice"] = (
            "Không có đơn vị mã «%(value)s» trong tỉnh để giao giải quyết."
        )
        by_key(self)


ReceiveRequest = form_serializer(
    ReceiveForm,
    "Receive",
    extra={
        "unit": serializers.CharField(help_text="Đơn vị tiếp nhận (mã), trong phạm vi của khóa API."),
        "papers": serializers.ListField(
            child=serializers.CharField(max_length=500), required=False, help_text="Thành phần hồ sơ đã nhận."
        ),
        "received_at": serializers.DateTimeField(
            required=False, allow_null=True, help_text="Thời điểm tiếp nhận (ISO 8601); bỏ trống: bây giờ."
        ),
    },
)


class DossierList(APIView):
    """GET: the dossiers of the client's units, with the list page's filters. POST: receive a dossier."""

    required_scopes = {"GET": Scope.READ, "POST": Scope.RECEIVE}

    @extend_schema(
        operation_id="dossiers_list",
        summary="Danh sách hồ sơ",
        description=(
            "Các bộ lọc của trang danh sách hồ sơ, cùng tên tham số. Phân trang bằng con trỏ (`cursor`), theo thứ tự"
            " hồ sơ ghi vào hệ thống, mới nhất trước: không lặp, không sót khi có hồ sơ mới."
        ),
        parameters=[*_filter_parameters(), *PAGE_PARAMETERS],
        responses={200: DossierPage},
    )
    def get(self, request):
        filterset, queryset = filtered_dossiers(request.user, _by_code(request.user, request.query_params))
        if filterset.is_bound and not filterset.is_valid():
            raise form_errors(filterset.form)
        paginator = DossierCursor()
        page = paginator.paginate_queryset(
            outcome.with_outcome(queryset.select_related("receiving_unit")), request, view=self
        )
        return paginator.get_paginated_response(DossierSerializer(page, many=True).data)

    @extend_schema(
        operation_id="dossiers_receive",
        summary="Tiếp nhận hồ sơ",
        description=(
            "Cùng quy tắc với màn hình tiếp nhận: người nộp, số điện thoại, CCCD, mã hồ sơ, thời hạn. Tiêu đề"
            " `Idempotency-Key` (tùy chọn): gửi lại cùng khóa và cùng nội dung nhận lại đúng câu trả lời lần đầu,"
            " không tạo hồ sơ thứ hai; khóa giữ 24 giờ."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=ReceiveRequest,
        responses={201: DossierDetailSerializer, 422: ApiErrorSerializer},
    )
    @idempotent
    def post(self, request):
        data = validated(ReceiveRequest, request)
        received_at = data.pop("received_at", None)
        if "papers" in data:
            data["papers"] = "\n".join(data["papers"])
        form = ApiReceiveForm(data, user=request.user)
        if not form.is_valid():
            raise form_errors(form)
        try:
            dossier = Dossier.receive(
                unit=form.receiving_unit,
                procedure=form.cleaned_data["procedure"],
                applicant_name=form.cleaned_data["applicant_name"].strip(),
                by=request.user,
                code=form.cleaned_data["code"],
                received_at=received_at,
                **form.details(),
            )
        except ActionRefused as refused:
            # What the desk's form shows above its fields: a bad request here, not a conflict with a dossier.
            raise ValidationError({"non_field_errors": refused.messages}) from None
        return dossier_answer(dossier, status=201, request=request)


class DossierDetail(APIView):
    @extend_schema(
        operation_id="dossiers_read",
        summary="Một hồ sơ, diễn biến và các bước xử lý",
        responses={200: DossierDetailSerializer},
    )
    def get(self, request, code):
        return dossier_answer(_dossier(request, code))


# --- steps ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    slug: str  # the English name in the address
    desk: str  # the desk's action or move it is (cases.views.desk.ACTIONS, cases.views.process.MOVES)
    summary: str

    @property
    def move(self):
        return MOVES.get(self.desk)

    @property
    def spec(self):
        return self.move or ACTIONS[self.desk]


STEPS = [
    Step("request-supplement", "yeu-cau-bo-sung", "Yêu cầu bổ sung hồ sơ (dừng tính thời hạn)"),
    Step("receive-supplement", "nhan-bo-sung", "Đã nhận hồ sơ bổ sung (tính tiếp thời hạn)"),
    Step("pause", "tam-dung", "Tạm dừng giải quyết"),
    Step("resume", "tiep-tuc", "Tiếp tục giải quyết"),
    Step("resolve", "co-ket-qua", "Ghi nhận có kết quả"),
    Step("return", "tra-ket-qua", "Trả kết quả cho người nộp"),
    Step("refuse", "tu-choi", "Từ chối hồ sơ"),
    Step("withdraw", "rut", "Người nộp rút hồ sơ"),
    Step("rate", "danh-gia", "Đánh giá mức độ hài lòng (máy tại quầy)"),
    Step("hand-over", "chuyen", "Chuyển bước tiếp theo của quy trình nội bộ"),
    Step("take-up", "nhan", "Nhận bước đang chờ"),
    Step("send-back", "tra-lai", "Trả lại bước trước"),
]


class DossierStep(APIView):
    required_scope = Scope.ACT
    step = None  # a Step
    request_serializer = None

    @idempotent
    def post(self, request, code):
        dossier = _dossier(request, code, Scope.ACT)
        data = validated(self.request_serializer, request)
        form = self._form(dossier, data)
        if not form.is_valid():
            raise form_errors(form)
        getattr(dossier, self.step.spec.method)(by=request.user, **form.arguments())
        return dossier_answer(dossier)

    def _form(self, dossier, data):
        move = self.step.move
        if move is None:
            return by_key(self.step.spec.form(data, dossier=dossier))
        # A move of the internal process: whoever the desk would let make it (cases.desk.access), at the open step.
        step = dossier.open_step()
        if not move.may(self.request.user, dossier, step):
            raise ActionRefused(
                f"{move.label}: khóa API này không giữ bước đang mở của hồ sơ nên không thực hiện được."
            )
        form = by_key(move.form(data, dossier=dossier, step=step, plan=dossier.process_plan(), units={}))
        if not form.available:
            raise ActionRefused(f"{move.label}: quy trình không còn bước nào để thực hiện thao tác này.")
        if "number" in form.fields and "number" not in data and getattr(form, "next_step", None):
            form.data = {**data, "number": form.next_step.number}  # hand over to the next step unless told
        return form


def step_views():
    """One view per step, each with its own request in the schema (the desk form's fields)."""
    views = []
    for step in STEPS:
        name = "".join(part.capitalize() for part in step.slug.split("-"))
        extra = {}
        if step.desk == "chuyen":
            extra["number"] = serializers.IntegerField(
                required=False, min_value=1, max_value=32767, help_text="Bước chuyển đến; bỏ trống: bước tiếp theo."
            )
        if step.desk == "danh-gia":
            # A client records what its kiosk was given.
            extra["source"] = serializers.ChoiceField(
                choices=step.spec.form.base_fields["source"].choices, default=RatingSource.KIOSK,
                help_text="Nguồn đánh giá; bỏ trống: máy đánh giá tại quầy (kiosk).",
            )  # fmt: skip
        request_serializer = form_serializer(step.spec.form, name, extra=extra)

        def post(self, request, code):
            return DossierStep.post(self, request, code)

        post = extend_schema(
            operation_id=f"dossiers_{step.slug.replace('-', '_')}",
            summary=step.summary,
            request=request_serializer,
            responses={200: DossierDetailSerializer, 409: ApiErrorSerializer, 422: ApiErrorSerializer},
            parameters=[IDEMPOTENCY_KEY],
        )(post)
        view = type(
            f"{name}Step", (DossierStep,), {"step": step, "request_serializer": request_serializer, "post": post}
        )
        views.append((step.slug, view))
    return views
