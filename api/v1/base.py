"""What every view of /api/v1/ shares: the client's key, its scope, its rate, JSON only (settings.REST_FRAMEWORK)."""

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
