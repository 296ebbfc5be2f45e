"""`Authorization: Api-Key <key>`: the client, found by the key's prefix and checked against its hash."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework_api_key.permissions import KeyParser

from .models import ApiClient


class ApiKeyAuthentication(BaseAuthentication):
    keyword = KeyParser.keyword

    def authenticate(self, request):
        key = KeyParser().get(request)
        if key is None:
            return None
        try:
            client = ApiClient.objects.get_from_key(key)
        except ApiClient.DoesNotExist:
            # One answer for a wrong key and a revoked one: nothing to learn about which keys exist.
            raise exceptions.AuthenticationFailed(
                "Khóa API không đúng hoặc đã bị thu hồi.", code="khoa_khong_hop_le"
            ) from None
        if client.has_expired:
            raise exceptions.AuthenticationFailed("Khóa API đã hết hạn.", code="khoa_het_han")
        # For the call log (api.middleware), which sees Django's request, not DRF's.
        request._request.api_client = client
        return client.account, client

    def authenticate_header(self, request):
        return self.keyword


class ApiKeySchema(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Khóa API do quản trị cấp, gửi dạng `Api-Key <khóa>`.",
        }
