"""An applicant's name, phone and address: the one set of rules the desk form and every import apply.

- Phone (Vietnamese): digits, optionally `+84` in front for the leading 0; spaces, dots and dashes between groups
  are allowed and dropped. Stored as 10 or 11 digits starting with 0: `+84 912.345.678` → `0912345678`.
- Name (255 characters) and address (500): never cut; longer is refused with its length. Text holding a
  control character (a NUL, a form feed …) is refused: it would break the files and letters the portal writes.

Each check returns the value to store or raises Invalid, whose message names what is wrong in Vietnamese; the
caller adds the field (and the line of a file).
"""

import re

NAME_LENGTH = 255
ADDRESS_LENGTH = 500
PHONE_LENGTH = 30
PHONE_RULE = "10 hoặc 11 chữ số, bắt đầu bằng 0 hoặc +84; được cách nhóm số bằng dấu cách, dấu chấm hoặc gạch ngang"
_SEPARATORS = re.compile(r"[ .\-]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Invalid(ValueError):
    """A value refused; the message says why, in Vietnamese, without the field's name."""


def phone(value):
    """'' or the number as 10–11 digits starting with 0."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if not digits.isascii() or not digits.isdigit() or not digits.startswith("0") or not 10 <= len(digits) <= 11:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise Invalid(f"«{_printable(shown)}» không phải số điện thoại hợp lệ ({PHONE_RULE})")
    return digits


IDENTITY_RULE = "số CCCD 12 chữ số, hoặc mã số thuế 10 chữ số (đơn vị phụ thuộc: 10 chữ số - 3 chữ số)"
_IDENTITY = re.compile(r"\d{12}|\d{10}(-\d{3})?")


def identity(value):
    """'' or the applicant's citizen identity number (CCCD, 12 digits) or an organisation's tax code (10 digits, or
    10-3 for a dependent unit); spaces and dots between groups are dropped."""
    text = str(value if value is not None else "").strip()
    if not text:
        return ""
    cleaned = re.sub(r"[ .]", "", text)
    if not cleaned.isascii() or not _IDENTITY.fullmatch(cleaned):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise Invalid(f"«{_printable(shown)}» không phải số định danh hợp lệ ({IDENTITY_RULE})")
    return cleaned


def text(value, max_length, required=False):
    """Trimmed text of at most `max_length` characters, without control characters (tab and newlines aside)."""
    cleaned = str(value if value is not None else "").strip()
    if required and not cleaned:
        raise Invalid("bắt buộc, đang để trống")
    if len(cleaned) > max_length:
        raise Invalid(f"dài {len(cleaned)} ký tự, tối đa {max_length}; hãy viết gọn lại (hệ thống không tự cắt bớt)")
    if _CONTROL.search(cleaned):
        raise Invalid("chứa ký tự điều khiển không hợp lệ (có thể do dán từ tệp khác); hãy gõ lại")
    return cleaned


def name(value):
    return text(value, NAME_LENGTH, required=True)


def address(value):
    return text(value, ADDRESS_LENGTH)


def _printable(value):
    return _CONTROL.sub("�", value)
