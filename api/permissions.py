"""What a client may do: each view names the scope it needs (`required_scope`); the units come from the access
rules of cases.desk.access, through the client's account."""

from rest_framework.permissions import BasePermission

from .models import ApiClient, Scope

SCOPE_REFUSALS = {
    Scope.READ: "Khóa API này không được đọc dữ liệu.",
    Scope.RECEIVE: "Khóa API này không được tiếp nhận hồ sơ.",
    Scope.ACT: "Khóa API này không được cập nhật các bước của hồ sơ.",
}


class ClientScope(BasePermission):
    def has_permission(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return False
        scope = getattr(view, "required_scopes", {}).get(request.method, getattr(view, "required_scope", Scope.READ))
        if not client.allows(scope):
            self.message = SCOPE_REFUSALS[scope]
            self.code = "khong_du_quyen"
            return False
        return True
