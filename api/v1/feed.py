"""The change feed: every event of the client's dossiers after a position, so another system stays in step without
reading everything again. The order and what is served when are cases.desk.feed's rule."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.core.formats import display_name
from cases.desk import feed

LIMIT, MAX_LIMIT = 100, 1000


class PositionField(serializers.CharField):
    default_error_messages = {
        "invalid": "Vị trí không hợp lệ: dùng nguyên giá trị `next` của lần đọc trước (dạng <số>-<số>)."
    }

    def to_internal_value(self, data):
        try:
            return feed.Position.parse(super().to_internal_value(data))
        except ValueError:
            self.fail("invalid")


class FeedQuery(serializers.Serializer):
    after = PositionField(
        required=False, default=feed.START, help_text="`next` của trang trước; bỏ trống để đọc từ đầu."
    )
    limit = serializers.IntegerField(
        required=False, default=LIMIT, min_value=1, max_value=MAX_LIMIT, help_text="Số sự kiện mỗi trang (1–1000)."
    )


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dossier = serializers.CharField(source="dossier.code", help_text="Mã hồ sơ.")
    kind = serializers.CharField(help_text="Loại việc (cases.desk.states.EventKind).")
    kind_label = serializers.CharField(source="get_kind_display", help_text="Tên việc bằng tiếng Việt.")
    at = serializers.DateTimeField(help_text="Thời điểm việc diễn ra.")
    recorded_at = serializers.DateTimeField(help_text="Thời điểm ghi vào hệ thống.")
    by = serializers.SerializerMethodField(help_text="Người (hoặc ứng dụng) thực hiện; null nếu không ghi.")
    before = serializers.DictField(help_text="Các giá trị trước khi đổi.")
    after = serializers.DictField(help_text="Các giá trị sau khi đổi.")
    reason = serializers.CharField(help_text="Lý do, ghi chú.")

    def get_by(self, event) -> str | None:
        return display_name(event.by) or None


class FeedPageSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next = serializers.CharField(help_text="Vị trí để đọc tiếp (`after` của lần gọi sau); giữ nguyên khi hết.")
    more = serializers.BooleanField(help_text="true: còn sự kiện, đọc tiếp ngay; false: đã hết, hỏi lại sau.")


class EventFeed(APIView):
    """Diễn biến của các hồ sơ trong phạm vi khóa API, cũ trước mới sau, từ vị trí `after`.

    Một sự kiện chỉ xuất hiện khi mọi giao dịch bắt đầu trước nó đã kết thúc, nên đọc theo `next` không bao giờ bỏ
    sót sự kiện ghi muộn (ví dụ một lần nhập lớn).
    """

    @extend_schema(parameters=[FeedQuery], responses=FeedPageSerializer)
    def get(self, request):
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = feed.events_after(request.user, query.validated_data["after"], query.validated_data["limit"])
        return Response(FeedPageSerializer({"results": page.events, "next": str(page.next), "more": page.more}).data)
