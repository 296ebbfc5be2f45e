"""Request guards that run before any view."""

from django.core.exceptions import BadRequest
from django.http import JsonResponse

from api.errors import error_body

NUL_REFUSED = "Yêu cầu có ký tự NUL (\\0) không hợp lệ trong địa chỉ hoặc dữ liệu gửi lên."


class RefuseNulBytes:
    """A NUL byte in the path, the query string or a posted form is never something a person typed, and PostgreSQL
    cannot store or compare it: answer 400 at once rather than a 500 from deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        posted = request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"
        if "\x00" in request.path or _has_nul(request.GET) or (posted and _has_nul(request.POST)):
            if request.path.startswith("/api/"):
                # Another system reads the API's JSON error, not the site's page.
                return JsonResponse(error_body("khong_hop_le", NUL_REFUSED), status=400)
            raise BadRequest(NUL_REFUSED)
        return self.get_response(request)


def _has_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())
