"""Who may see and change what. Every view, export and report starts from these querysets."""

from django.db.models import Q
from django.http import Http404

from .models import Dossier, Membership, Role, Unit


def is_admin(user):
    return user.is_superuser or Membership.objects.filter(user=user, role=Role.ADMIN).exists()


def memberships(user):
    """The user's roles at units, read once per request (cached on the user object the request carries)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_portal_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("unit").order_by("role", "unit__path"))
        user._portal_memberships = cached
    return cached


def roles(user):
    return {membership.role for membership in memberships(user)}


def visible_units(user):
    """Units whose dossiers and figures the user may read: their own (desk) or their subtree (office, Nội vụ)."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser or Role.ADMIN in roles(user):
        return Unit.objects.all()
    condition = Q(pk__in=[])
    for membership in memberships(user):
        if membership.role == Role.DESK:
            condition |= Q(pk=membership.unit_id)
        else:
            condition |= Q(path__startswith=membership.unit.path)
    return Unit.objects.filter(condition)


def desk_units(user):
    """Units at whose desk the user receives and processes dossiers."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.filter(memberships__user=user, memberships__role=Role.DESK).distinct()


def visible_to(user):
    """The dossiers the user may read. A dossier outside this queryset does not exist for them (404)."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    if user.is_superuser or Role.ADMIN in roles(user):
        return Dossier.objects.all()
    return Dossier.objects.filter(unit__in=visible_units(user))


def changeable_by(user):
    """The dossiers the user may act on: those of the desks they staff."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    if user.is_superuser:
        return Dossier.objects.all()
    return Dossier.objects.filter(unit__in=desk_units(user))


def get_dossier_or_404(user, code, for_change=False):
    queryset = changeable_by(user) if for_change else visible_to(user)
    try:
        return queryset.select_related("procedure__field", "unit", "handler", "received_by").get(code=code)
    except Dossier.DoesNotExist:
        raise Http404("Không tìm thấy hồ sơ") from None


def report_scope(user, code=None):
    """The unit a report is for, and the units the user may see.

    A unit code outside what the user may see is a 404; without a code, the user's widest unit (administrators:
    the single root, or everything when there are several).
    """
    visible = visible_units(user)
    if code:
        unit = visible.select_related("parent").filter(code=code).first()
        if unit is None:
            raise Http404("Không có đơn vị này trong phạm vi của bạn.")
        return unit, visible
    if user.is_superuser or is_admin(user):
        roots = list(Unit.objects.filter(parent__isnull=True)[:2])
        return (roots[0] if len(roots) == 1 else None), visible
    widest = sorted(visible.select_related("parent"), key=lambda unit: unit.path.count("/"))
    if not widest:
        raise Http404("Tài khoản chưa được gán đơn vị.")
    return widest[0], visible
