"""The dossier's life as rules: its states, which step each state allows, and what each event records.

One definition for the desk (cases.desk.steps), the importer (cases.exchange) and the demo generator: a state
set, an allowed step or an event's payload is never spelt out again elsewhere.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    DIRECT = "truc_tiep", "Trực tiếp"
    ONLINE = "truc_tuyen", "Trực tuyến"
    POSTAL = "buu_chinh", "Bưu chính"


class State(models.TextChoices):
    PROCESSING = "dang_giai_quyet", "Đang giải quyết"
    SUPPLEMENT = "bo_sung", "Chờ bổ sung"
    PAUSED = "tam_dung", "Tạm dừng"
    RESOLVED = "da_co_ket_qua", "Đã có kết quả"
    RETURNED = "da_tra", "Đã trả kết quả"
    REFUSED = "tu_choi", "Từ chối"
    WITHDRAWN = "rut", "Rút hồ sơ"


class PauseKind(models.TextChoices):
    """A stop of the clock; the values are the states the dossier is in meanwhile."""

    SUPPLEMENT = "bo_sung", "Yêu cầu bổ sung"
    PAUSE = "tam_dung", "Tạm dừng"


class EventKind(models.TextChoices):
    RECEIVED = "received", "Tiếp nhận"
    IMPORTED = "imported", "Nhập từ tệp"
    UPDATED = "updated", "Cập nhật thông tin"
    SUPPLEMENT_REQUESTED = "supplement_requested", "Yêu cầu bổ sung"
    SUPPLEMENT_RECEIVED = "supplement_received", "Nhận hồ sơ bổ sung"
    PAUSED = "paused", "Tạm dừng"
    RESUMED = "resumed", "Tiếp tục giải quyết"
    RESOLVED = "resolved", "Có kết quả"
    RETURNED = "returned", "Trả kết quả"
    REFUSED = "refused", "Từ chối"
    WITHDRAWN = "withdrawn", "Rút hồ sơ"
    CORRECTED = "corrected", "Sửa ngày"
    ASSIGNED = "assigned", "Phân công xử lý"
    OVERDUE = "overdue", "Quá hạn"
    APOLOGY = "apology", "Xin lỗi, hẹn lại"
    HANDED_OVER = "handed_over", "Chuyển xử lý"
    TAKEN_UP = "taken_up", "Nhận xử lý"
    SENT_BACK = "sent_back", "Trả lại bước trước"
    RATED = "rated", "Đánh giá mức độ hài lòng"
    MESSAGES_STOPPED = "messages_stopped", "Ngừng nhận tin nhắn"


class MessageChannel(models.TextChoices):
    """How an applicant who agreed at receipt is told of the dossier's progress (cases.followup.messages)."""

    SMS = "sms", "Tin nhắn SMS"
    ZALO = "zalo", "Zalo"
    EMAIL = "email", "Thư điện tử"


class Role(models.TextChoices):
    DESK = "desk", "Cán bộ Một cửa"
    # The unit's officials who perform the steps of its internal process.
    SPECIALIST = "specialist", "Công chức chuyên môn"
    LEADER = "leader", "Lãnh đạo đơn vị"
    OFFICE = "office", "Văn phòng HĐND&UBND"
    HOME_AFFAIRS = "home_affairs", "Phòng/Sở Nội vụ"
    ADMIN = "admin", "Quản trị hệ thống"
    # Another system calling the API (api.models.ApiClient): acts for every desk of its unit's subtree.
    API_CLIENT = "api_client", "Ứng dụng kết nối (API)"


class Satisfaction(models.TextChoices):
    """The applicant's rating of the service (DOMAIN.md, "The citizen's side")."""

    VERY_SATISFIED = "rat_hai_long", "Rất hài lòng"
    SATISFIED = "hai_long", "Hài lòng"
    NOT_SATISFIED = "khong_hai_long", "Không hài lòng"


# Ratings counted as satisfied in the satisfaction rate.
SATISFIED_LEVELS = (Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED)


class RatingSource(models.TextChoices):
    LOOKUP = "tra_cuu", "Trên trang tra cứu"
    PAPER = "phieu", "Phiếu giấy"
    KIOSK = "kiosk", "Máy đánh giá tại quầy"


class StepEnd(models.TextChoices):
    """How a dossier's step ended (EXCHANGE_FORMAT.md, "Dossier steps": ket_qua)."""

    HANDED_ON = "chuyen", "Chuyển bước sau"
    SENT_BACK = "tra_lai", "Trả lại"
    # The dossier ended while the step was held: result returned, refused or withdrawn.
    CLOSED = "ket_thuc", "Kết thúc hồ sơ"


# --- state sets -------------------------------------------------------------------------------------
OPEN_STATES = (State.PROCESSING, State.SUPPLEMENT, State.PAUSED)
CLOCK_STOPPED_STATES = (State.SUPPLEMENT, State.PAUSED)
ENDED_WITHOUT_RESULT = (State.REFUSED, State.WITHDRAWN)
WITH_RESULT = (State.RESOLVED, State.RETURNED)
# States an exchange file names in its trang_thai column; the others follow from the dates.
STATED_IN_FILES = (*CLOCK_STOPPED_STATES, *ENDED_WITHOUT_RESULT)
# A stop of the clock and the state the dossier is in meanwhile.
STOP_STATE = {PauseKind.SUPPLEMENT: State.SUPPLEMENT, PauseKind.PAUSE: State.PAUSED}


def implied_state(resolved_at, returned_at):
    """The state the dates say, for a dossier neither stopped nor ended."""
    if returned_at:
        return State.RETURNED
    return State.RESOLVED if resolved_at else State.PROCESSING


# --- which step each state allows ---------------------------------------------------------------------
ALLOWED = {
    "request_supplement": (State.PROCESSING,),
    "receive_supplement": (State.SUPPLEMENT,),
    "pause": (State.PROCESSING,),
    "resume": (State.PAUSED,),
    "resolve": (State.PROCESSING,),
    "return_result": (State.RESOLVED,),
    "assign": (*OPEN_STATES, State.RESOLVED),
    "refuse": OPEN_STATES,
    "withdraw": OPEN_STATES,
    "correct_date": tuple(State.values),
    # The internal process: the result goes back to the desk to be returned, so a resolved dossier still moves.
    "hand_over": (*OPEN_STATES, State.RESOLVED),
    "take_up": (*OPEN_STATES, State.RESOLVED),
    "send_back": (*OPEN_STATES, State.RESOLVED),
    # Once the result is in the applicant's hands.
    "rate": (State.RETURNED,),
}


# --- what each event records --------------------------------------------------------------------------
# The dossier fields an event snapshots before and after the step (the importer's "updated" names its own).
EVENT_FIELDS = {
    EventKind.RECEIVED: ("state", "due_at"),
    EventKind.IMPORTED: ("state", "due_at"),
    EventKind.SUPPLEMENT_REQUESTED: ("state",),
    EventKind.PAUSED: ("state",),
    EventKind.SUPPLEMENT_RECEIVED: ("state", "due_at"),
    EventKind.RESUMED: ("state", "due_at"),
    EventKind.RESOLVED: ("state", "resolved_at"),
    EventKind.RETURNED: ("state", "returned_at"),
    EventKind.REFUSED: ("state", "ended_at"),
    EventKind.WITHDRAWN: ("state", "ended_at"),
    EventKind.OVERDUE: ("overdue_since",),
    EventKind.MESSAGES_STOPPED: ("messages_stopped_at",),
}


def stamp(value):
    """A value as an event records it: moments in ISO 8601, Vietnam time; everything else as it is."""
    if isinstance(value, datetime):
        # The portal's zone, not the request's active one: an event reads the same whoever recorded it.
        return timezone.localtime(value, timezone.get_default_timezone()).isoformat()
    return value


def snapshot(values, fields):
    """{field: stamped value} of `values` (a dossier, or a dict of its columns) for the given fields."""
    get = values.get if isinstance(values, dict) else (lambda name: getattr(values, name))
    return {name: stamp(get(name)) for name in fields}


def payload(kind, before, after):
    """(before, after) of an event of `kind`: the fields EVENT_FIELDS names, taken from the dossier's two states.

    `before` is None for a first record (a receipt, an import): it has no "before".
    """
    fields = EVENT_FIELDS[kind]
    return ({} if before is None else snapshot(before, fields)), snapshot(after, fields)


# --- the same payload rule in SQL, for the bulk writers ---------------------------------------------------------
def stamp_sql(column):
    """SQL text of `stamp` for a timestamptz `column`: ISO 8601 in the portal's zone, microseconds when there are
    some, the offset as ±HH:MM (±HH:MM:SS for a zone's old local mean time), exactly as Python's isoformat."""
    zone = settings.TIME_ZONE.replace("'", "''")
    local = f"({column} AT TIME ZONE '{zone}')"
    offset = f"extract(epoch FROM {local} - ({column} AT TIME ZONE 'UTC'))::int"
    size = f"abs({offset})"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN mod(extract(microseconds FROM {local})::bigint, 1000000) <> 0 THEN to_char({local}, '.US')"
        " ELSE '' END"
        f" || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
        f" || lpad(({size} / 3600)::text, 2, '0') || ':' || lpad((mod({size}, 3600) / 60)::text, 2, '0')"
        f" || CASE WHEN mod({size}, 60) <> 0 THEN ':' || lpad(mod({size}, 60)::text, 2, '0') ELSE '' END"
    )


def first_payload_sql(kind, model, alias):
    """SQL of (before, after), jsonb, of `payload(kind, None, row)` for a first record (a receipt, an import),
    read from the row `alias` of `model`'s table: for writing many events in one INSERT … SELECT."""
    parts = []
    for name in EVENT_FIELDS[kind]:
        field = model._meta.get_field(name)
        column = f'{alias}."{field.column}"'
        parts.append(f"'{name}', {stamp_sql(column) if field.get_internal_type() == 'DateTimeField' else column}")
    return "'{}'::jsonb", f"jsonb_build_object({', '.join(parts)})"
