"""A dossier's events as sentences an officer reads: the one place that turns a DossierEvent into words.

The dossier page, the admin and any export of events call `lines`; dates are written dd/mm/yyyy HH:MM
(cases.core.formats.day_time). The payloads read here are those cases.desk.states.EVENT_FIELDS names (and the
few steps that write their own: assignment, corrections, apologies, the importer's updates).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from cases.catalogue.models import Unit
from cases.core.formats import day_time, display_name

from .states import Channel, EventKind, State

SYSTEM = "Hệ thống (tự động)"

# How a field is named inside a sentence.
FIELD_WORDS = {
    "state": "trạng thái",
    "received_at": "ngày tiếp nhận",
    "due_at": "ngày hẹn trả",
    "return_promised_at": "ngày hẹn trả người nộp",
    "resolved_at": "ngày có kết quả",
    "returned_at": "ngày trả kết quả",
    "ended_at": "ngày kết thúc",
    "overdue_since": "quá hạn từ",
    "handler": "người xử lý",
    "channel": "hình thức nộp",
    "procedure": "thủ tục",
    "unit": "đơn vị",
    "applicant_name": "người nộp",
    "applicant_phone": "số điện thoại",
    "applicant_address": "địa chỉ",
    "processing_days": "thời hạn giải quyết (ngày làm việc)",
    "steps": "các bước xử lý",
}


@dataclass(frozen=True)
class Line:
    """One event as the timeline shows it."""

    kind: str
    title: str  # the event's kind in words: "Tiếp nhận", "Quá hạn" …
    at: str  # dd/mm/yyyy HH:MM
    who: str  # the officer's name, or SYSTEM
    sentence: str
    reason: str  # the reason or note the officer wrote (missing papers, why refused …)
    recorded: str  # when written down, if at another minute than `at` (a corrected date, an import)
    warning: str = ""  # what the portal warned the officer of at this step (outside office hours, a late apology)

    def as_text(self):
        """The line as one row of an export: "01/12/2026 23:58 — Hệ thống (tự động): Hồ sơ quá hạn …"."""
        text = f"{self.at} — {self.who}: {self.sentence}"
        text = f"{text} Ghi chú: {self.reason}" if self.reason else text
        return f"{text} Cảnh báo: {self.warning}" if self.warning else text


def value_text(name, value, people=None):
    """A recorded value in words: a state's label, a moment dd/mm/yyyy HH:MM, a person's name; None → "(trống)"."""
    if value in (None, ""):
        return "(trống)"
    if name == "state":
        return State(value).label if value in State.values else str(value)
    if name == "channel":
        return Channel(value).label if value in Channel.values else str(value)
    if name == "handler":
        return (people or {}).get(value, value)
    if isinstance(value, str) and (name.endswith("_at") or name.endswith("_since")):
        try:
            return day_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _change(event, name, people=None, words=None):
    """ "ngày hẹn trả từ 06/03/2024 08:00 thành 13/03/2024 17:00", or "… là …" for a first value."""
    word = words or FIELD_WORDS.get(name, name)
    before, after = event.before.get(name), event.after.get(name)
    if name not in event.before or before in (None, ""):
        return f"{word} là {value_text(name, after, people)}"
    return f"{word} từ {value_text(name, before, people)} thành {value_text(name, after, people)}"


def _changes(event, people=None):
    names = dict.fromkeys([*event.before, *event.after])
    names = [name for name in names if event.before.get(name) != event.after.get(name)]
    return [_change(event, name, people) for name in names]


def _due(event):
    return value_text("due_at", event.after.get("due_at"))


def _moved_due(event):
    """ "ngày hẹn trả chuyển từ X sang Y" or "ngày hẹn trả vẫn là Y"."""
    before, after = event.before.get("due_at"), event.after.get("due_at")
    if before and after and before != after:
        return f"ngày hẹn trả chuyển từ {value_text('due_at', before)} sang {value_text('due_at', after)}"
    return f"ngày hẹn trả vẫn là {_due(event)}"


STEP_EVENTS = (EventKind.HANDED_OVER, EventKind.TAKEN_UP, EventKind.SENT_BACK)


def _at_step(where, units):
    """ "bước 2 «Thẩm định» (UBND xã Pú Hồng, Quàng Văn Chuyên)" from an event's record of where the dossier was."""
    held = ", ".join(filter(None, (units.get(where.get("unit"), where.get("unit")), where.get("holder"))))
    return f"bước {where.get('step')} «{where.get('name', '')}»" + (f" ({held})" if held else "")


def _step_sentence(event, units):
    before, after = event.before or {}, event.after or {}
    if event.kind == EventKind.TAKEN_UP:
        due = value_text("due_at", after.get("due_at"))
        return f"Nhận xử lý bước {after.get('step')} «{after.get('name', '')}»; hạn của bước {due}."
    if event.kind == EventKind.SENT_BACK:
        return f"Trả lại hồ sơ từ {_at_step(before, units)} về {_at_step(after, units)}."
    if before.get("step") is None:
        return f"Chuyển hồ sơ vào {_at_step(after, units)}."
    return f"Chuyển hồ sơ từ {_at_step(before, units)} sang {_at_step(after, units)}."


def _sentence(event, people, units=None):
    kind = event.kind
    if kind in STEP_EVENTS:
        return _step_sentence(event, units or {})
    if kind == EventKind.RECEIVED:
        return f"Tiếp nhận hồ sơ; hẹn trả kết quả {_due(event)}."
    if kind == EventKind.IMPORTED:
        state = value_text("state", event.after.get("state"))
        return f"Nhập hồ sơ từ tệp; trạng thái «{state}», hẹn trả kết quả {_due(event)}."
    if kind == EventKind.UPDATED:
        changes = _changes(event, people)
        return f"Cập nhật theo tệp nhập: {'; '.join(changes)}." if changes else "Cập nhật theo tệp nhập."
    if kind == EventKind.SUPPLEMENT_REQUESTED:
        return "Yêu cầu người nộp bổ sung, hoàn thiện hồ sơ; dừng tính thời hạn giải quyết từ lúc này."
    if kind == EventKind.SUPPLEMENT_RECEIVED:
        return f"Nhận hồ sơ bổ sung, tính tiếp thời hạn giải quyết; {_moved_due(event)}."
    if kind == EventKind.PAUSED:
        return "Tạm dừng giải quyết hồ sơ; dừng tính thời hạn từ lúc này."
    if kind == EventKind.RESUMED:
        return f"Tiếp tục giải quyết hồ sơ; {_moved_due(event)}."
    if kind == EventKind.RESOLVED:
        return "Có kết quả giải quyết hồ sơ."
    if kind == EventKind.RETURNED:
        return "Trả kết quả cho người nộp."
    if kind == EventKind.REFUSED:
        return "Từ chối giải quyết hồ sơ."
    if kind == EventKind.WITHDRAWN:
        return "Người nộp rút hồ sơ."
    if kind == EventKind.ASSIGNED:
        new = value_text("handler", event.after.get("handler"), people)
        old = event.before.get("handler")
        return f"Phân công {new} xử lý hồ sơ" + (f" (thay {value_text('handler', old, people)})." if old else ".")
    if kind == EventKind.CORRECTED:
        changes = _changes(event, people)
        return f"Sửa {'; '.join(changes)}." if changes else "Sửa ngày (không đổi giá trị)."
    if kind == EventKind.OVERDUE:
        since = value_text("overdue_since", event.after.get("overdue_since"))
        return f"Hồ sơ quá hạn: đã qua thời điểm hẹn trả mà chưa có kết quả (ghi nhận lúc {since})."
    if kind == EventKind.APOLOGY:
        before = value_text("due_at", event.before.get("return_promised_at"))
        after = value_text("due_at", event.after.get("return_promised_at"))
        cause = f" Bước gây chậm: bước {event.after['step']}." if event.after.get("step") else ""
        return f"Lập phiếu xin lỗi và hẹn lại ngày trả kết quả: từ {before} sang {after}.{cause}"
    if kind == EventKind.MESSAGES_STOPPED:
        return "Người nộp ngừng nhận tin nhắn về hồ sơ (trên trang tra cứu)."
    changes = _changes(event, people)
    return f"{event.get_kind_display()}: {'; '.join(changes)}." if changes else f"{event.get_kind_display()}."


def _people(events):
    """{login: full name} of the officers an assignment names (one query for the whole timeline)."""
    logins = {
        value
        for event in events
        if event.kind == EventKind.ASSIGNED
        for value in (event.before.get("handler"), event.after.get("handler"))
        if value
    }
    if not logins:
        return {}
    users = get_user_model().objects.filter(username__in=logins)
    return {user.get_username(): display_name(user) for user in users}


def _units(events):
    """{code: name} of the units the step events name (one query for the whole timeline)."""
    codes = {
        where.get("unit")
        for event in events
        if event.kind in STEP_EVENTS
        for where in (event.before or {}, event.after or {})
        if where.get("unit")
    }
    return dict(Unit.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def lines(events):
    """The events (with `by` selected) as timeline lines, in the order given."""
    events = list(events)
    people, units = _people(events), _units(events)
    result = []
    for event in events:
        at, recorded = day_time(event.at), day_time(event.recorded_at)
        result.append(
            Line(
                kind=event.kind,
                title=event.get_kind_display(),
                at=at,
                who=display_name(event.by) if event.by_id else SYSTEM,
                sentence=_sentence(event, people, units),
                reason=event.reason,
                recorded=recorded if recorded != at else "",
                warning=event.warning,
            )
        )
    return result


def sentence(event):
    """One event in words (the admin's list, a single row)."""
    return lines([event])[0].sentence
