"""What every view of /api/v1/ shares: the client's key, its scope, its rate, JSON only (settings.REST_FRAMEWORK)."""

from rest_framework import serializers
from rest_framework.exceptions import NotFound

from cases.desk import access

from ..models import Scope


def scoped_dossier(request, code, scope=Scope.READ):
    """The dossier `code` if the client may read it (or act on it): otherwise 404, the same answer as for a code
    that does not exist, so a client cannot learn another unit's codes."""
    queryset = access.changeable_by(request.user) if scope != Scope.READ else access.readable_by(request.user)
    dossier = queryset.select_related("procedure", "unit", "receiving_unit").filter(code=code).first()
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ trong phạm vi của khóa API này.")
    return dossier


def named_serializer(name, fields):
    """A serializer with these fields: for a query with `from`, a Python keyword that a class body cannot declare."""
    return type(name, (serializers.Serializer,), fields)


def day_span(name, **more):
    """The query `from`, `to` (dates, both included) and `more` fields."""
    return named_serializer(
        name,
        {
            "from": serializers.DateField(help_text="Ngày đầu, YYYY-MM-DD."),
            "to": serializers.DateField(help_text="Ngày cuối (tính cả ngày này), YYYY-MM-DD."),
            **more,
        },
    )
