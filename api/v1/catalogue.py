"""The catalogue a client needs to send a dossier: units (its subtree), who it is, the procedures and their
internal processes, the working-day calendar, and the due time a dossier received at a given moment would get."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Holiday, Level, Procedure, Unit, WorkdayOverride
from cases.catalogue.processes import plan_for
from cases.catalogue.search import ranked
from cases.desk import access
from cases.desk.steps import receipt_warning
from reports.figures.periods import FIRST_YEAR, LAST_YEAR

from .base import day_span


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]


class UnitList(ListAPIView):
    """The units in the client's scope (its unit and every unit below), in tree order."""

    serializer_class = UnitSerializer
    pagination_class = None

    def get_queryset(self):
        return access.visible_units(self.request.user).select_related("parent").order_by("path")


class ClientSerializer(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField(source="unit.code")
    scopes = serializers.ListField(child=serializers.CharField())


class WhoAmI(APIView):
    """The client the key belongs to: its name, its unit and what it may do."""

    @extend_schema(responses=ClientSerializer)
    def get(self, request):
        client = request.auth
        scopes = [scope for scope in ("read", "receive", "act") if client.allows(scope)]
        return Response(ClientSerializer({"name": client.name, "unit": client.unit, "scopes": scopes}).data)


# --- procedures -------------------------------------------------------------------------------------------------
class ProcedureSerializer(serializers.ModelSerializer):
    field = serializers.CharField(source="field.name", help_text="Lĩnh vực.")
    required_papers = serializers.SerializerMethodField(help_text="Thành phần hồ sơ đang yêu cầu, theo thứ tự.")

    class Meta:
        model = Procedure
        fields = ["code", "name", "field", "level", "processing_days", "online_level", "required_papers", "active"]

    def get_required_papers(self, procedure) -> list[str]:
        return [paper.name for paper in procedure.required_papers.all() if paper.active]


class ProcedureQuery(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=200, help_text="Mã hoặc tên, có dấu hay không dấu.")
    level = serializers.ChoiceField(choices=Level.choices, required=False, help_text="Cấp thực hiện.")
    active = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="Đang áp dụng.")


class Pages(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class ProcedureList(ListAPIView):
    """Thủ tục hành chính: mã, tên, lĩnh vực, cấp, thời hạn (ngày làm việc), mức độ trực tuyến, thành phần hồ sơ.
    `q` tìm như ô tìm thủ tục ở quầy (phù hợp nhất trước); không có `q`: theo mã."""

    serializer_class = ProcedureSerializer
    pagination_class = Pages

    def get_queryset(self):
        query = ProcedureQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        procedures = Procedure.objects.select_related("field").prefetch_related("required_papers")
        if wanted.get("level"):
            procedures = procedures.filter(level=wanted["level"])
        if wanted.get("active") is not None:
            procedures = procedures.filter(active=wanted["active"])
        found = ranked(procedures, wanted.get("q", ""))
        return procedures.order_by("code") if found is None else found

    @extend_schema(parameters=[ProcedureQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _procedure(code):
    # A NUL is in no code, and PostgreSQL takes no string holding one.
    procedure = Procedure.objects.filter(code=code).first() if "\x00" not in code else None
    if procedure is None:
        raise NotFound(f"Không có thủ tục mã «{code[:40]}».")
    return procedure


class ProcessStepSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    performer = serializers.CharField(help_text="mot_cua, chuyen_mon, lanh_dao, lien_thong.")
    unit = serializers.CharField(allow_null=True, help_text="Đơn vị của bước liên thông; null: đơn vị giải quyết.")
    hours = serializers.FloatField(help_text="Thời gian của bước, giờ làm việc.")


class ProcessSerializer(serializers.Serializer):
    procedure = serializers.CharField()
    unit = serializers.CharField(allow_null=True, help_text="Đơn vị đã hỏi; null: quy trình chung của thủ tục.")
    processing_days = serializers.IntegerField()
    steps = ProcessStepSerializer(many=True)


class ProcessQuery(serializers.Serializer):
    unit = serializers.CharField(
        required=False,
        max_length=40,
        help_text="Mã đơn vị: quy trình riêng của đơn vị, không có thì quy trình chung.",
    )


class ProcessOfProcedure(APIView):
    """Quy trình nội bộ của thủ tục (tại một đơn vị trong phạm vi khóa, nếu hỏi): các bước, người thực hiện, số giờ."""

    @extend_schema(parameters=[ProcessQuery], responses=ProcessSerializer)
    def get(self, request, code):
        procedure = _procedure(code)
        query = ProcessQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        unit = None
        if query.validated_data.get("unit"):
            unit = access.visible_units(request.user).filter(code=query.validated_data["unit"]).first()
            if unit is None:
                raise NotFound("Không có đơn vị này trong phạm vi của khóa API.")
        plan = plan_for(procedure, unit.pk if unit else None, calendar())
        liaison = Unit.objects.in_bulk([step.performer_unit_id for step in plan if step.performer_unit_id])
        steps = [
            {
                "number": step.number, "name": step.name, "performer": step.performer, "hours": step.hours,
                "unit": liaison[step.performer_unit_id].code if step.performer_unit_id else None,
            }
            for step in plan
        ]  # fmt: skip
        answer = {"procedure": procedure.code, "unit": unit.code if unit else None, "steps": steps}
        return Response(ProcessSerializer({**answer, "processing_days": procedure.processing_days}).data)


# --- the calendar and the due time -------------------------------------------------------------------------------
MAX_CALENDAR_DAYS = 366


CalendarQuery = day_span("CalendarQuery")


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    working = serializers.BooleanField(help_text="Ngày làm việc (kể cả ngày làm bù).")
    holiday = serializers.CharField(allow_null=True, help_text="Tên ngày nghỉ lễ, nghỉ bù; null nếu không phải.")
    makeup = serializers.CharField(allow_null=True, help_text="Ngày cuối tuần làm bù: ghi chú; null nếu không phải.")


class CalendarSerializer(serializers.Serializer):
    office_hours = serializers.ListField(child=serializers.CharField(), help_text="Giờ làm việc, ví dụ 07:00-11:30.")
    same_day_cutoff = serializers.CharField(help_text="Giờ chốt nhận của thủ tục 0 ngày (mặc định).")
    working_days = serializers.IntegerField(help_text="Số ngày làm việc trong khoảng.")
    days = CalendarDaySerializer(many=True)


class WorkingCalendar(APIView):
    """Lịch làm việc: từng ngày trong khoảng (tối đa 366 ngày) là ngày làm việc hay nghỉ, ngày lễ, ngày làm bù."""

    @extend_schema(parameters=[CalendarQuery], responses=CalendarSerializer)
    def get(self, request):
        query = CalendarQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["from"], query.validated_data["to"]
        if end < start:
            raise serializers.ValidationError({"to": [f"Ngày cuối {end:%d/%m/%Y} trước ngày đầu {start:%d/%m/%Y}."]})
        if (end - start).days >= MAX_CALENDAR_DAYS:
            raise serializers.ValidationError({"to": [f"Mỗi lần hỏi tối đa {MAX_CALENDAR_DAYS} ngày."]})
        work = calendar()
        span = {"date__gte": start, "date__lte": end, "active": True}
        holidays = dict(Holiday.objects.filter(**span).values_list("date", "name"))
        makeups = dict(WorkdayOverride.objects.filter(**span).values_list("date", "name"))
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        answer = {
            "office_hours": [f"{opening:%H:%M}-{closing:%H:%M}" for opening, closing in work.office_hours],
            "same_day_cutoff": f"{work.same_day_cutoff:%H:%M}",
            "working_days": sum(work.is_working_day(day) for day in days),
            "days": [
                {"date": day, "working": work.is_working_day(day), "holiday": holidays.get(day),
                 "makeup": makeups.get(day)}
                for day in days
            ],
        }  # fmt: skip
        return Response(CalendarSerializer(answer).data)


class DueTimeQuery(serializers.Serializer):
    procedure = serializers.CharField(max_length=40, help_text="Mã thủ tục.")
    received_at = serializers.DateTimeField(
        required=False, help_text="Thời điểm tiếp nhận, ISO 8601 (mặc định: bây giờ); không ghi múi giờ: giờ Việt Nam."
    )


class DueTimeSerializer(serializers.Serializer):
    procedure = serializers.CharField()
    processing_days = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="Ngày hẹn trả, như khi tiếp nhận hồ sơ thật.")
    warning = serializers.CharField(help_text="Cảnh báo khi tiếp nhận ngoài giờ làm việc; rỗng nếu không.")


class DueTime(APIView):
    """Ngày hẹn trả của một hồ sơ tiếp nhận lúc `received_at`: cùng quy tắc khi tiếp nhận (ngày làm việc, giờ làm
    việc, giờ chốt của thủ tục 0 ngày)."""

    @extend_schema(parameters=[DueTimeQuery], responses=DueTimeSerializer)
    def get(self, request):
        query = DueTimeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        procedure = _procedure(query.validated_data["procedure"])
        received_at = query.validated_data.get("received_at") or timezone.now()
        if not FIRST_YEAR <= timezone.localtime(received_at).year <= LAST_YEAR:
            raise serializers.ValidationError({"received_at": [f"Năm ngoài khoảng {FIRST_YEAR}–{LAST_YEAR}."]})
        work = calendar()
        answer = {
            "procedure": procedure.code,
            "processing_days": procedure.processing_days,
            "received_at": received_at,
            "due_at": work.due_at(received_at, procedure.processing_days, procedure.same_day_cutoff),
            "warning": receipt_warning(received_at, work),
        }
        return Response(DueTimeSerializer(answer).data)


class NoSuchAddress(APIView):
    """Any other address under /api/v1/: a JSON 404 (after the key is checked), never the site's HTML page."""

    schema = None

    def _not_found(self, request, *args, **kwargs):
        from rest_framework.exceptions import NotFound

        raise NotFound("Không có địa chỉ này trong API v1.")

    get = post = put = patch = delete = _not_found
