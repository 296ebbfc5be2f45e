"""Every call of a client kept (ApiCall): who, what, when, with which answer and how long it took."""

import time

from django.utils import timezone


class LogClientCalls:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/v1/"):
            return self.get_response(request)
        started, at = time.monotonic(), timezone.now()
        response = self.get_response(request)
        client = getattr(request, "api_client", None)
        if client is not None:
            from .models import ApiCall

            ApiCall.objects.create(
                client=client,
                at=at,
                method=request.method[:8],
                path=request.get_full_path()[:500],
                status=response.status_code,
                duration_ms=int((time.monotonic() - started) * 1000),
                address=request.META.get("REMOTE_ADDR") or None,
            )
        return response
