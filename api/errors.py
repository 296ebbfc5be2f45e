"""Every error of the API as one JSON shape, in Vietnamese, with a code a program can test and the field at fault:

    {"error": {"code": "khong_hop_le", "message": "…", "field": "applicant_phone",
               "fields": [{"field": "applicant_phone", "code": "invalid", "message": "…"}]}}

DRF's own messages are English where its Vietnamese catalogue has no entry: the common ones are said again here.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from cases.desk.steps import ActionRefused

# The field-level codes DRF raises, in the words of the portal's forms.
FIELD_MESSAGES = {
    "required": "Chưa nhập.",
    "null": "Không được để trống.",
    "blank": "Không được để trống.",
    "invalid": "Giá trị không hợp lệ.",
    "invalid_choice": "Giá trị không nằm trong danh sách cho phép.",
    "max_length": "Quá dài.",
    "min_length": "Quá ngắn.",
    "max_value": "Quá lớn.",
    "min_value": "Quá nhỏ.",
    "does_not_exist": "Không tìm thấy.",
    "date": "Ngày không hợp lệ (định dạng YYYY-MM-DD).",
    "datetime": "Thời điểm không hợp lệ (ISO 8601, ví dụ 2026-12-01T08:30:00+07:00).",
    "not_a_list": "Cần một danh sách.",
    "not_a_dict": "Cần một đối tượng JSON.",
}

# The request-level errors, by DRF's code.
REQUEST_MESSAGES = {
    "parse_error": ("noi_dung_khong_doc_duoc", "Nội dung yêu cầu không phải JSON hợp lệ."),
    "not_authenticated": ("chua_xac_thuc", "Cần khóa API: gửi tiêu đề `Authorization: Api-Key <khóa>`."),
    "authentication_failed": ("khoa_khong_hop_le", "Khóa API không đúng hoặc đã bị thu hồi."),
    "permission_denied": ("khong_du_quyen", "Khóa API này không được làm việc này."),
    "not_found": ("khong_tim_thay", "Không tìm thấy."),
    "method_not_allowed": ("phuong_thuc_khong_ho_tro", "Phương thức không được hỗ trợ ở địa chỉ này."),
    "not_acceptable": ("dinh_dang_khong_ho_tro", "Chỉ trả lời dạng JSON."),
    "unsupported_media_type": ("dinh_dang_khong_ho_tro", "Nội dung gửi lên phải là application/json."),
    "throttled": ("qua_nhieu_yeu_cau", "Gọi quá nhiều lần; thử lại sau."),
}


def error_body(code, message, fields=()):
    fields = list(fields)
    return {
        "error": {"code": code, "message": message, "field": fields[0]["field"] if fields else None, "fields": fields}
    }


def _field_errors(detail, prefix=""):
    """Flatten DRF's nested error detail into [{field, code, message}], the field as a dotted path."""
    if isinstance(detail, dict):
        for name, value in detail.items():
            path = name if name != "non_field_errors" else ""
            yield from _field_errors(value, f"{prefix}.{path}".strip(".") if path else prefix)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            nested = isinstance(value, (dict, list))
            yield from _field_errors(value, f"{prefix}.{index}" if nested and prefix else prefix)
    else:
        code = getattr(detail, "code", "invalid")
        message = str(detail)
        if message.isascii() and code in FIELD_MESSAGES:
            message = FIELD_MESSAGES[code]
        yield {"field": prefix or None, "code": code, "message": message}


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        # A step the dossier's state or dates do not allow: the desk's own message.
        message = " ".join(exc.messages)
        return Response(error_body("thao_tac_bi_tu_choi", message), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = list(_field_errors(exc.detail))
        where = ", ".join(f"{f['field']}: {f['message']}" if f["field"] else f["message"] for f in fields)
        response.data = error_body("khong_hop_le", f"Dữ liệu không hợp lệ — {where}", fields)
        return response
    drf_code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    drf_code = drf_code if isinstance(drf_code, str) else "error"
    code, message = REQUEST_MESSAGES.get(drf_code, (drf_code, str(getattr(exc, "detail", exc))))
    detail = str(getattr(exc, "detail", ""))
    if detail and not detail.isascii():
        # A message the portal wrote in Vietnamese (a refused scope, a wrong key): said as it is.
        message = detail
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        message = f"Gọi quá nhiều lần; thử lại sau {int(exc.wait) + 1} giây."
    custom = getattr(exc, "portal_code", None)
    response.data = error_body(custom or code, message)
    return response
