"""The portal's own pages: the health check for a load balancer or a monitor."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.core import health as checks


@login_not_required
@never_cache
@require_GET
def health(request):
    """GET /suc-khoe/: JSON of the database, cache, broker and worker; 200 while the database answers, else 503.

    No login: a load balancer asks it. It names no host, password or error text (cases.core.health).
    """
    found = checks.report()
    return JsonResponse(
        found, status=503 if found["status"] == checks.DOWN else 200, json_dumps_params={"ensure_ascii": False}
    )
