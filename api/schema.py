"""The OpenAPI schema's shared answers: every operation of /api/v1/ may answer with the API's error (api.errors) —
400 a bad parameter or body, 401 no key or a bad one, 403 a scope the key lacks, 404 nothing there in its scope,
429 too many calls. Declared here once for all, so that the schema says what the API really answers (schemathesis
checks it: tests/api/test_schemathesis.py)."""

ERROR = {"$ref": "#/components/schemas/ApiError"}
SHARED = {
    "400": "Tham số hoặc nội dung không hợp lệ (error.field chỉ trường sai).",
    "401": "Thiếu khóa API, khóa sai, đã thu hồi hoặc hết hạn.",
    "403": "Khóa API không có quyền này (error.code khong_du_quyen).",
    "404": "Không có trong phạm vi của khóa API (như một mã không tồn tại).",
    "429": "Gọi quá nhiều lần trong thời gian cho phép.",
}


def error_responses(result, generator, request, public):
    """drf-spectacular's postprocessing hook: the shared error answers on every operation that lacks them."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in SHARED.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ERROR}}}
                )
    return result
