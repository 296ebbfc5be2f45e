"""`Idempotency-Key`: a POST retried with the same key gets the first answer again, and writes nothing more.

The key is claimed by inserting its row first, in the transaction that does the work: a second request with the same
key (a retry sent while the first still runs) waits on the unique index until the first commits, then reads its
answer; if the first failed, its row went with its rollback and the second does the work itself. So two requests
at once still make one dossier. An answer that is an error is not kept (nothing was written: a retry tries again).
The same key with another body or address is refused (422). Keys are kept API_IDEMPOTENCY_HOURS (24 h); after
that the key is free again.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = IdempotentRequest._meta.get_field("key").max_length


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "Khóa Idempotency-Key này đã dùng cho một yêu cầu khác (khác nội dung hoặc địa chỉ): mỗi yêu cầu mới cần"
        " một khóa mới."
    )
    portal_code = "khoa_lap_lai_khac_noi_dung"


def _fingerprint(request):
    """The request as far as a retry must repeat it: its JSON (the keys in any order, any spacing)."""
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def idempotent(post):
    """Wrap a view's `post(self, request, ...)`: with the header, one answer per (client, key)."""

    @wraps(post)
    def run(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return post(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError(
                {HEADER: [f"Khóa Idempotency-Key phải có từ 1 đến {MAX_KEY_LENGTH} ký tự in được."]}
            )
        client, fingerprint = request.auth, _fingerprint(request)
        with transaction.atomic():
            earlier = _claim(client, key, request.path, fingerprint)
            if earlier is not None:
                if earlier.body_hash != fingerprint or earlier.path != request.path:
                    raise KeyReused()
                response = Response(earlier.response["body"], status=earlier.status)
                for name, value in earlier.response["headers"].items():
                    response[name] = value
                response["Idempotent-Replayed"] = "true"
                return response
            response = post(view, request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # the claim goes too: a retry does the work again
                return response
            headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
            IdempotentRequest.objects.filter(client=client, key=key).update(
                status=response.status_code, response={"body": response.data, "headers": headers}
            )
            return response

    return run


def _claim(client, key, path, fingerprint):
    """None when this request claimed the key; else the earlier request that did (committed, with its answer)."""
    for _ in range(2):
        try:
            with transaction.atomic():
                IdempotentRequest.objects.create(client=client, key=key, path=path, body_hash=fingerprint)
            return None
        except IntegrityError:
            earlier = IdempotentRequest.objects.select_for_update().filter(client=client, key=key).first()
            if earlier is None:
                continue  # the other request failed and let the key go: claim it now
            if earlier.created_at < timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS):
                earlier.delete()  # expired: the key is free again
                continue
            return earlier
    raise exceptions.APIException("Không giữ được khóa Idempotency-Key; thử lại.")
