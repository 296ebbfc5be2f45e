"""The public look-up for kiosks and apps: a dossier's progress for whoever gives its code and the phone's last four
digits (or the receipt's look-up key). No key needed; the look-up page's rule, brake and answers (cases.desk.lookup),
and never the applicant's name, phone, address or papers."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.desk import lookup
from cases.desk.states import Channel
from portal.security import client_ip

from ..errors import error_body
from .serializers import ApiErrorSerializer


class LookupRequest(serializers.Serializer):
    code = serializers.CharField(max_length=60, help_text="Mã hồ sơ in trên giấy tiếp nhận.")
    key = serializers.CharField(
        max_length=12, help_text="4 số cuối điện thoại đã ghi khi nộp, hoặc mã tra cứu in trên giấy tiếp nhận."
    )


class NamedUnit(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    headline = serializers.CharField(help_text="Tình trạng, lời cho người dân.")
    detail = serializers.CharField()
    tone = serializers.ChoiceField(choices=["ok", "wait", "warn", "end"])


class LookupStep(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField(source="unit.name")


class LookupAnswer(serializers.Serializer):
    code = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    status = StatusSerializer()
    procedure = NamedUnit(help_text="Thủ tục.")
    unit = NamedUnit(help_text="Cơ quan giải quyết.")
    receiving_unit = NamedUnit(allow_null=True, help_text="Nơi tiếp nhận, khi khác cơ quan giải quyết.")
    received_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="Ngày hẹn trả kết quả.")
    new_due_at = serializers.DateTimeField(
        allow_null=True, help_text="Ngày hẹn trả mới (đã có thư xin lỗi); null nếu không."
    )
    step = LookupStep(allow_null=True, help_text="Bước đang xử lý.")
    result_by_post = serializers.BooleanField(help_text="Kết quả gửi qua bưu chính; false: nhận tại Bộ phận Một cửa.")
    desk = NamedUnit(help_text="Bộ phận Tiếp nhận và Trả kết quả.")


def _named(unit):
    return {"code": unit.code, "name": unit.name} if unit else None


def _answer(dossier):
    """What the look-up page shows, nothing more (templates/lookup/dossier.html)."""
    apology = getattr(dossier, "apology", None)  # a missing one-to-one is an AttributeError
    answer = {
        "code": dossier.code,
        "state": dossier.state,
        "state_label": dossier.get_state_display(),
        "status": asdict(lookup.status_of(dossier)),
        "procedure": _named(dossier.procedure),
        "unit": _named(dossier.unit),
        "receiving_unit": _named(dossier.receiving_unit),
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "new_due_at": apology.new_due_at if apology else None,
        "step": dossier.open_step(),
        "result_by_post": dossier.channel == Channel.POSTAL,
        "desk": _named(dossier.desk),
    }
    return LookupAnswer(answer).data


class PublicLookup(APIView):
    """Tra cứu hồ sơ (không cần khóa API): như trang /tra-cuu/. Mã sai và số kiểm tra sai được trả lời như nhau (404);
    tra quá nhiều lần từ một địa chỉ, hoặc sai quá nhiều lần với một mã: 429."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        auth=[],
        request=LookupRequest,
        responses={
            200: LookupAnswer,
            400: OpenApiResponse(ApiErrorSerializer, description="Thiếu mã hoặc số kiểm tra."),
            404: OpenApiResponse(ApiErrorSerializer, description="Không tìm thấy (mã hoặc số kiểm tra sai)."),
            429: OpenApiResponse(ApiErrorSerializer, description="Tra cứu quá nhiều lần; xem tiêu đề Retry-After."),
        },
    )
    def post(self, request):
        # The address is counted first, as on the page: a malformed request is an attempt too.
        wait = lookup.address_wait(client_ip(request))
        if wait:
            return _too_many(wait)
        asked = LookupRequest(data=request.data)
        asked.is_valid(raise_exception=True)
        dossier, wait = lookup.attempt(asked.validated_data["code"], asked.validated_data["key"])
        if wait:
            return _too_many(wait)
        if dossier is None:
            return Response(error_body("khong_tim_thay", lookup.NOT_FOUND), status=status.HTTP_404_NOT_FOUND)
        return Response(_answer(dossier))


def _too_many(wait):
    body = error_body("qua_nhieu_yeu_cau", lookup.TOO_MANY.format(minutes=wait // 60))
    return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)})
