"""The citizen's look-up (DOMAIN.md, "The citizen's side"): a dossier's procedure, unit, dates, state and step,
shown to whoever gives its code and the last four digits of the applicant's phone, or the look-up key printed on
the receipt; never the applicant's name, phone, address or papers.

The key is derived from the code (an HMAC with LOOKUP_KEY_SECRET), so every dossier has one, imported ones too,
with nothing stored. A wrong code and a wrong key give the same answer, after the same work.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from cases.core import throttle
from cases.core.formats import long_datetime

from . import codes
from .models import Dossier
from .states import State

KEY_LENGTH = 6
# One answer for a wrong code and a wrong key (the page, the API).
NOT_FOUND = (
    "Không tìm thấy hồ sơ với mã hồ sơ và số kiểm tra đã nhập. Kiểm tra lại mã trên giấy tiếp nhận và 4 số cuối"
    " điện thoại (hoặc mã tra cứu in trên giấy tiếp nhận)."
)
TOO_MANY = (
    "Ông/Bà đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau {minutes} phút, hoặc liên hệ Bộ"
    " phận Tiếp nhận và Trả kết quả nơi nộp hồ sơ."
)
# The brake against guessing (LOOKUP_ATTEMPTS_PER_ADDRESS, LOOKUP_FAILURES_PER_CODE): its windows, in seconds.
ADDRESS_WINDOW, CODE_WINDOW = 10 * 60, 60 * 60


def lookup_key(code):
    """Six letters and digits (base32: no 0/1/8/9 to confuse with O, I, B, g) derived from the code."""
    digest = hmac.new(settings.LOOKUP_KEY_SECRET.encode(), code.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:KEY_LENGTH]


def _phone_tail(phone):
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else None


def _normalise_answer(answer):
    return re.sub(r"[\s.-]", "", answer or "").upper()


def find(code, answer):
    """The dossier whose code is `code` when `answer` is its phone's last four digits or its key; else None."""
    code = codes.normalise(code)
    answer = _normalise_answer(answer)
    dossier = (
        Dossier.objects.select_related("procedure", "unit", "receiving_unit", "apology").filter(code=code).first()
        if code
        else None
    )
    # The key is computed whether the code exists or not: a wrong code costs what a wrong key does.
    expected = [lookup_key(code or "-")]
    if dossier is not None and (tail := _phone_tail(dossier.applicant_phone)):
        expected.append(tail)
    matched = any(hmac.compare_digest(answer.encode(), value.encode()) for value in expected)
    return dossier if (dossier is not None and matched and answer) else None


# --- the brake: the look-up page, its rating and stop forms, and the API's look-up ----------------------------
def address_wait(address):
    """Count an attempt from `address` (None when unknown): the seconds to wait when it tried too often, else 0."""
    address = address or "?"
    if throttle.exceeded("lookup-address", address, settings.LOOKUP_ATTEMPTS_PER_ADDRESS):
        return ADDRESS_WINDOW
    throttle.count("lookup-address", address, ADDRESS_WINDOW)
    return 0


def attempt(code, answer):
    """(dossier or None, seconds to wait): `find`, unless the code had too many wrong answers already; a wrong
    answer counts against the code (as typed, in capitals)."""
    code = code.strip().upper()
    if throttle.exceeded("lookup-code", code, settings.LOOKUP_FAILURES_PER_CODE):
        return None, CODE_WINDOW
    dossier = find(code, answer)
    if dossier is None:
        throttle.count("lookup-code", code, CODE_WINDOW)
    return dossier, 0


@dataclass(frozen=True)
class Status:
    """What the look-up page says, in a citizen's words."""

    headline: str
    detail: str
    tone: str  # ok / wait / warn / end


def status_of(dossier, now=None):
    now = now or timezone.now()
    desk = dossier.desk.name
    if dossier.state == State.RETURNED:
        return Status("Đã trả kết quả", f"Kết quả đã được trả ngày {long_datetime(dossier.returned_at)}.", "ok")
    if dossier.state == State.RESOLVED:
        where = (
            "Kết quả được gửi qua dịch vụ bưu chính công ích theo địa chỉ đã đăng ký."
            if dossier.channel == "buu_chinh"
            else f"Mời Ông/Bà mang giấy tiếp nhận đến Bộ phận Tiếp nhận và Trả kết quả {desk} để nhận kết quả."
        )
        return Status("Đã có kết quả", where, "ok")
    if dossier.state == State.SUPPLEMENT:
        stop = dossier.clock_stops.filter(ended_at__isnull=True).order_by("-started_at").first()
        missing = stop.missing_papers if stop else ""
        detail = f"Cần bổ sung: {missing}. " if missing else ""
        return Status(
            "Cần bổ sung giấy tờ",
            f"{detail}Thời hạn giải quyết tạm dừng đến khi nhận đủ giấy tờ tại {desk}.",
            "warn",
        )
    if dossier.state == State.PAUSED:
        return Status(
            "Tạm dừng giải quyết",
            "Cơ quan giải quyết đã tạm dừng hồ sơ; thời hạn được tính tiếp khi giải quyết lại.",
            "warn",
        )
    if dossier.state == State.REFUSED:
        return Status("Không được giải quyết", f"Lý do ghi trong phiếu từ chối (Mẫu 03) của {desk}.", "end")
    if dossier.state == State.WITHDRAWN:
        return Status("Đã rút hồ sơ", "Hồ sơ đã được rút theo đề nghị của người nộp.", "end")
    if dossier.due_at < now:
        return Status(
            "Đang giải quyết, đã quá ngày hẹn trả",
            "Cơ quan giải quyết chậm so với ngày hẹn; Ông/Bà sẽ nhận thư xin lỗi và ngày hẹn mới.",
            "warn",
        )
    return Status("Đang giải quyết", f"Hẹn trả kết quả {long_datetime(dossier.due_at)}.", "wait")
