"""The change feed: every event of the client's dossiers after a position, so another system stays in step without
reading everything again. The order and what is served when are cases.desk.feed's rule."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.core.formats import name_of
from cases.desk import feed
from cases.desk.states import EventKind

from .serializers import EventSerializer

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


class FeedEventSerializer(EventSerializer):
    """An event as a dossier's history shows it, with its id and its dossier's code."""

    dossier = serializers.CharField(source="dossier.code", read_only=True, help_text="Mã hồ sơ.")

    class Meta(EventSerializer.Meta):
        fields = ["id", "dossier", *EventSerializer.Meta.fields]
        read_only_fields = fields


LABELS = dict(EventKind.choices)
MOMENT = serializers.DateTimeField()


def event_json(row):
    """FeedEventSerializer's answer for a row of cases.desk.feed, written directly: the serializer takes several times
    longer over a page of 1.000 (tests/api/test_feed.py keeps the two equal)."""
    return {
        "id": row["id"],
        "dossier": row["dossier_code"],
        "kind": row["kind"],
        "kind_label": LABELS.get(row["kind"], row["kind"]),
        "at": MOMENT.to_representation(row["at"]),
        "recorded_at": MOMENT.to_representation(row["recorded_at"]),
        "by": name_of(row["by_first_name"], row["by_last_name"], row["by_username"]) or None,
        "reason": row["reason"],
        "warning": row["warning"],
        "before": row["before"],
        "after": row["after"],
    }


class FeedPageSerializer(serializers.Serializer):
    results = FeedEventSerializer(many=True)
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
        events = [event_json(row) for row in page.events]
        return Response({"results": events, "next": str(page.next), "more": page.more})
