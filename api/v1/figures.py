"""Figures for other reporting tools: `tally --format json` and `service_index --format json` (EXCHANGE_FORMAT.md)
of a unit of the client's scope and a period, from the functions the dashboard and the commands call."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.desk import access
from reports.documents import service_index as index_document
from reports.documents.tally_json import document as tally_document
from reports.figures import periods
from reports.figures.counters import COUNTER_NAMES
from reports.figures.service_index import service_index
from reports.figures.tally import tally

from .base import day_span, named_serializer

PeriodQuery = day_span(
    "PeriodQuery",
    unit=serializers.CharField(
        required=False, max_length=40, help_text="Mã đơn vị (và các đơn vị trực thuộc); mặc định: đơn vị của khóa."
    ),
)


def _period_and_scope(request):
    """(period, unit) of the query, as the dashboard reads them: a unit outside the client's scope is a 404."""
    query = PeriodQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    start, end = query.validated_data["from"], query.validated_data["to"]
    for name, day in (("from", start), ("to", end)):
        if not periods.FIRST_YEAR <= day.year <= periods.LAST_YEAR:
            raise _invalid(name, f"Năm {day.year} ngoài khoảng {periods.FIRST_YEAR}–{periods.LAST_YEAR}.")
    try:
        period = periods.date_range(start, end)
    except periods.PeriodError as exc:
        raise _invalid("to", str(exc)) from None
    try:
        period = period.up_to(timezone.localdate())
    except periods.PeriodError as exc:
        raise _invalid("from", str(exc)) from None
    scope, _ = access.report_scope(request.user, query.validated_data.get("unit"))
    return period, scope


def _invalid(field, message):
    return serializers.ValidationError({field: [message]})


# --- what the answers look like (the schema) ----------------------------------------------------------------
def _counters(name):
    """Serializer of EXCHANGE_FORMAT.md's COUNTERS: every counter, and the two rates (null with nothing to divide)."""
    fields = {counter: serializers.IntegerField() for counter in COUNTER_NAMES}
    fields["on_time_rate"] = serializers.FloatField(allow_null=True, help_text="(sớm + đúng hạn) / đã giải quyết × 100")
    fields["online_rate"] = serializers.FloatField(allow_null=True, help_text="trực tuyến / tiếp nhận trong kỳ × 100")
    return named_serializer(name, fields)


Counters = _counters("Counters")


PeriodSerializer = named_serializer("Period", {"from": serializers.DateField(), "to": serializers.DateField()})


class ScopeSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True)
    name = serializers.CharField()


class UnitCounters(_counters("UnitCountersBase")):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    parent = serializers.CharField(allow_null=True)


class TallySerializer(serializers.Serializer):
    period = PeriodSerializer()
    scope = ScopeSerializer()
    totals = Counters()
    units = UnitCounters(many=True)
    text = serializers.CharField(help_text="Đoạn văn nhận xét như trong báo cáo.")


class IndexPoints(serializers.Serializer):
    timeliness_points = serializers.FloatField(allow_null=True)
    online_points = serializers.FloatField(allow_null=True)
    digitisation_points = serializers.FloatField(allow_null=True)
    satisfaction_points = serializers.FloatField(allow_null=True)
    measured_points = serializers.FloatField(allow_null=True)
    measured_max = serializers.FloatField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Các số đếm tạo nên điểm.")


class UnitIndex(IndexPoints):
    code = serializers.CharField()
    name = serializers.CharField()


class ServiceIndexSerializer(serializers.Serializer):
    period = PeriodSerializer()
    scope = ScopeSerializer()
    units = UnitIndex(many=True)
    totals = IndexPoints()


# --- the views ------------------------------------------------------------------------------------------------
class Tally(APIView):
    """Số liệu tiếp nhận, giải quyết (như lệnh `tally --format json` và trang Báo cáo) của một đơn vị và các đơn vị
    trực thuộc trong một kỳ."""

    @extend_schema(parameters=[PeriodQuery], responses=TallySerializer)
    def get(self, request):
        period, scope = _period_and_scope(request)
        result = tally(period, scope=scope, allowed_units=access.visible_units(request.user))
        return Response(tally_document(result))


class ServiceIndex(APIView):
    """Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg; như lệnh `service_index --format json`)."""

    @extend_schema(parameters=[PeriodQuery], responses=ServiceIndexSerializer)
    def get(self, request):
        period, scope = _period_and_scope(request)
        index = service_index(period, scope=scope, allowed_units=access.visible_units(request.user))
        return Response(index_document.document(index))
