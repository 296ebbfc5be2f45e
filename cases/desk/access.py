"""Who may see and do what: the one module every view, export, report, job and menu asks.

Roles are held at a unit (Membership): desk staff act for their unit; the office (Văn phòng), Nội vụ and
administrators see their unit and everything below it; a superuser sees everything. Records of higher layers
(explanations, jobs) are filtered with the unit conditions answered here.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from cases.catalogue.units import with_labels

from .models import Dossier, DossierStep, Membership, Performer, Role, Unit

# Who follows a unit from above: figures, explanations, appraisal.
OVERSEERS = (Role.OFFICE, Role.HOME_AFFAIRS, Role.ADMIN)
# Who may ask units below for explanations.
REQUESTERS = (Role.OFFICE, Role.ADMIN)
# Who speaks for their own unit: answers its explanations, uploads its dossiers.
UNIT_STAFF = (Role.DESK, Role.OFFICE)
# Who may open Nội vụ's downloads (Biểu II.06a, the appraisal workbook).
HOME_AFFAIRS_READERS = (Role.HOME_AFFAIRS, Role.OFFICE, Role.ADMIN)
# Who works inside a unit, on its own dossiers only (not its subtree's).
UNIT_WORKERS = (Role.DESK, Role.SPECIALIST, Role.LEADER)
# Who performs each kind of step of an internal process; at another unit (liên thông), any of its workers.
PERFORMERS = {
    Performer.DESK: (Role.DESK,),
    Performer.SPECIALIST: (Role.SPECIALIST,),
    Performer.LEADER: (Role.LEADER,),
    Performer.OTHER_UNIT: UNIT_WORKERS,
}


def memberships(user):
    """The user's roles at units, read once per request (cached on the user object the request carries)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_portal_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, active=True).select_related("unit").order_by("role", "unit__path")
        )
        user._portal_memberships = cached
    return cached


def roles(user):
    return {membership.role for membership in memberships(user)}


def is_admin(user):
    return user.is_authenticated and (user.is_superuser or Role.ADMIN in roles(user))


def _at_or_above(membership, unit):
    return unit.path.startswith(membership.unit.path)


# --- units ---------------------------------------------------------------------------------------------
def visible_units(user):
    """Units whose dossiers and figures the user may read: their own (desk) or their subtree (office, Nội vụ)."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if is_admin(user):
        return Unit.objects.all()
    condition = Q(pk__in=[])
    for membership in memberships(user):
        if membership.role in UNIT_WORKERS:
            condition |= Q(pk=membership.unit_id)
        else:
            condition |= Q(path__startswith=membership.unit.path)
    return Unit.objects.filter(condition)


def sees_several_units(user, units=None):
    """True when the user's visible scope holds more than one unit: lists then name each dossier's unit (a
    one-commune desk does without the column). `units`: the visible units when the page has read them already."""
    if not user.is_authenticated:
        return False
    if units is not None:
        return len(units) > 1
    return len(visible_unit_ids(user)) > 1


def unit_choices(user):
    """The units a report select offers the user, in tree order, each labelled (units.with_labels)."""
    return with_labels(visible_units(user).select_related("parent").order_by("path"))


def desk_units(user):
    """Units at whose desk the user receives and processes dossiers."""
    if not user.is_authenticated:
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=_desk_unit_ids(user))


def receiving_units(user, day=None):
    """The desks where the user may receive a dossier on `day` (today): a unit merged away receives no more."""
    return desk_units(user).valid_on(day or timezone.localdate())


def resolving_units(user, day=None):
    """Units a desk may take a dossier in for (Decree 118/2025/NĐ-CP: regardless of the administrative boundary,
    within the province): every unit of the provinces of the user's desks that exists on `day`."""
    provinces = {unit.path.split("/")[1] for unit in desk_units(user) if unit.path}
    condition = Q(pk__in=[])
    for root in provinces:
        condition |= Q(path__startswith=f"/{root}/")
    return Unit.objects.filter(condition).valid_on(day or timezone.localdate())


def upload_unit_ids(user):
    """Units a user may import dossiers for: their desks and the subtrees of their offices. None = every unit."""
    if is_admin(user):
        return None
    condition = Q(pk__in=[m.unit_id for m in memberships(user) if m.role == Role.DESK])
    for membership in memberships(user):
        if membership.role == Role.OFFICE:
            condition |= Q(path__startswith=membership.unit.path)
    return set(Unit.objects.filter(condition).values_list("pk", flat=True))


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
    if is_admin(user):
        roots = list(Unit.objects.filter(parent__isnull=True)[:2])
        return (roots[0] if len(roots) == 1 else None), visible
    widest = sorted(visible.select_related("parent"), key=lambda unit: unit.path.count("/"))
    if not widest:
        raise Http404("Tài khoản chưa được gán đơn vị.")
    return widest[0], visible


# --- dossiers ------------------------------------------------------------------------------------------
def visible_to(user):
    """The dossiers the user may read. A dossier outside this queryset does not exist for them (404)."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    if is_admin(user):
        return Dossier.objects.all()
    return Dossier.objects.filter(unit_id__in=visible_unit_ids(user))


def visible_unit_ids(user):
    """The ids of visible_units(user) as a literal list, read once per request: `unit_id IN (1, 2, …)` lets the
    planner use the (unit, …) indexes and the sort indexes, where `IN (SELECT … path LIKE …)` read the table once
    per unit (reports.figures.counters.unit_ids does the same)."""
    cached = getattr(user, "_portal_visible_unit_ids", None)
    if cached is None:
        cached = user._portal_visible_unit_ids = list(visible_units(user).values_list("pk", flat=True))
    return cached


def _desk_unit_ids(user):
    """The desks the user acts for: their own; for another system (API client), every unit of its subtree."""
    cached = getattr(user, "_portal_desk_unit_ids", None)
    if cached is None:
        cached = [m.unit_id for m in memberships(user) if m.role == Role.DESK]
        subtrees = [m.unit.path for m in memberships(user) if m.role == Role.API_CLIENT]
        if subtrees:
            condition = Q(pk__in=[])
            for path in subtrees:
                condition |= Q(path__startswith=path)
            cached += list(Unit.objects.filter(condition).values_list("pk", flat=True))
        user._portal_desk_unit_ids = cached
    return cached


def changeable_by(user):
    """The dossiers the user may act on: those of the desks they staff."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    if user.is_superuser:
        return Dossier.objects.all()
    desks = _desk_unit_ids(user)
    # The desk that took a dossier in for another unit keeps acting on it (papers, the result returned there).
    return Dossier.objects.filter(Q(unit_id__in=desks) | Q(receiving_unit_id__in=desks))


def readable_by(user):
    """visible_to, the dossiers another unit (liên thông) handed to the user's unit while it holds them, and those
    the user's desk took in for another unit (Decree 118/2025/NĐ-CP)."""
    held_here = _worker_unit_ids(user)
    if not held_here or is_admin(user):
        return visible_to(user)
    return Dossier.objects.filter(
        Q(unit_id__in=visible_unit_ids(user))
        | Q(holding_unit_id__in=held_here)
        | Q(receiving_unit_id__in=_desk_unit_ids(user))
    )


def _worker_unit_ids(user):
    return [m.unit_id for m in memberships(user) if m.role in UNIT_WORKERS]


def get_dossier_or_404(user, code, for_change=False):
    queryset = changeable_by(user) if for_change else readable_by(user)
    try:
        return queryset.select_related("procedure__field", "unit", "receiving_unit", "handler", "received_by").get(
            code=code
        )
    except Dossier.DoesNotExist:
        raise Http404("Không tìm thấy hồ sơ") from None


def watched_dossiers(user):
    """The dossiers whose deadlines the user watches (Hôm nay, the header badge): those of the desks they staff,
    or, for the office, Nội vụ and administrators, everything they see."""
    if user.is_authenticated and not user.is_superuser and Role.DESK in roles(user):
        return Dossier.objects.filter(unit_id__in=_desk_unit_ids(user))
    return visible_to(user)


def watches_desks(user):
    """True when the deadlines the user watches are those of their own desks (the pages say which)."""
    return user.is_authenticated and not user.is_superuser and Role.DESK in roles(user)


# --- what a user may do -----------------------------------------------------------------------------------
def may_receive(user):
    """Receive dossiers at a desk (the receipt form, the API)."""
    return user.is_authenticated and (user.is_superuser or bool(roles(user) & {Role.DESK, Role.API_CLIENT}))


def may_upload(user):
    """Upload dossier files: desk staff, the office and administrators."""
    return user.is_authenticated and (is_admin(user) or bool(roles(user) & set(UNIT_STAFF)))


def may_read_reports(user):
    """The figures (dashboard, weekly report) of the units one may see: anyone who holds a role at a unit, and
    superusers (report_scope answers 404 to an account without a unit)."""
    return user.is_authenticated and (user.is_superuser or bool(memberships(user)))


def may_read_homeaffairs(user):
    """Nội vụ's downloads: Nội vụ, the office and administrators."""
    return user.is_authenticated and (user.is_superuser or bool(roles(user) & set(HOME_AFFAIRS_READERS)))


def may_refreeze(user):
    """Freeze a closed period's figures again (with a reason): administrators."""
    return user.is_active and is_admin(user)


def jobs_q(user):
    """The background jobs a user may follow: their own; every job for an administrator."""
    return Q() if is_admin(user) else Q(owner=user)


# --- the internal process: who takes up and moves a step -------------------------------------------------------
def performs(user, unit_id, performer):
    """The user works at `unit_id` in a role that performs steps of kind `performer`."""
    wanted = PERFORMERS[performer]
    return any(m.unit_id == unit_id and m.role in wanted for m in memberships(user))


def may_take_up(user, step):
    """Nhận: the official the step was handed to, or, when it names nobody, a performer of its kind at its unit."""
    if step is None or step.finished_at is not None or step.taken_at is not None or not user.is_authenticated:
        return False
    if user.is_superuser or step.holder_id == user.pk:
        return True
    return step.holder_id is None and performs(user, step.unit_id, step.performer)


def may_move(user, dossier, step):
    """Chuyển / trả lại: the official holding the step once taken up. A dossier that entered the process without
    a step (imported, older than the process) is handed over by its own desk."""
    if not user.is_authenticated:
        return False
    if step is None:
        return dossier.is_open and (user.is_superuser or dossier.unit_id in _desk_unit_ids(user))
    if step.finished_at is not None or step.taken_at is None:
        return False
    return user.is_superuser or step.holder_id == user.pk


def step_candidates(unit_id, performer):
    """The officials a step of kind `performer` at `unit_id` may be handed to by name (active, in that role)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__unit_id=unit_id,
            memberships__role__in=PERFORMERS[performer],
            memberships__active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def held_steps(user):
    """The open steps the user holds, or may take up at their units (the performer's list, Việc của tôi). A step
    taken up by someone without an account (an imported history) waits for nobody. A step not taken up has no due
    time yet: saying so lets the (unit, due_at) index of open steps read the waiting steps only."""
    if not user.is_authenticated:
        return DossierStep.objects.none()
    condition = Q(holder=user)
    for membership in memberships(user):
        kinds = [kind for kind, roles_ in PERFORMERS.items() if membership.role in roles_]
        if kinds:
            condition |= Q(
                holder__isnull=True, taken_at__isnull=True, due_at__isnull=True, unit_id=membership.unit_id,
                performer__in=kinds,
            )  # fmt: skip
    return DossierStep.objects.filter(condition, finished_at__isnull=True)


def may_work_steps(user):
    """The performer's list is offered to whoever works inside a unit."""
    return user.is_authenticated and (user.is_superuser or bool(roles(user) & set(UNIT_WORKERS)))


# --- overseeing units: explanations and figures from above ---------------------------------------------------
def is_overseer(user):
    return user.is_authenticated and (user.is_superuser or any(m.role in OVERSEERS for m in memberships(user)))


def oversees(user, unit):
    """The office, Nội vụ or an administrator at the unit or above it."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.role in OVERSEERS and _at_or_above(m, unit) for m in memberships(user))


def overseen_q(user, path_field):
    """Records whose unit (its path in `path_field`) the user oversees."""
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    for membership in memberships(user):
        if membership.role in OVERSEERS:
            condition |= Q(**{f"{path_field}__startswith": membership.unit.path})
    return condition


def may_request_explanations(user, unit):
    """Ask the units below `unit` for explanations: its office (Văn phòng) or an administrator at it or above."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.role in REQUESTERS and _at_or_above(m, unit) for m in memberships(user))


def requesting_units(user):
    """The units in whose name the user may ask for explanations."""
    if user.is_superuser:
        return Unit.objects.filter(children__isnull=False).distinct().order_by("path")
    return Unit.objects.filter(pk__in=[m.unit_id for m in memberships(user) if m.role in REQUESTERS]).order_by("path")


def staffed_unit_ids(user):
    """The units the user speaks for (desk or office at that very unit): their explanations to answer."""
    return [m.unit_id for m in memberships(user) if m.role in UNIT_STAFF]


def may_answer_for(user, unit_id):
    """Only the unit's own staff answer for it."""
    return user.is_authenticated and unit_id in staffed_unit_ids(user)


def may_read_unit_record(user, unit):
    """A unit's own members, and above it the office, Nội vụ and administrators (an explanation, say)."""
    if not user.is_authenticated:
        return False
    return any(m.unit_id == unit.pk for m in memberships(user)) or oversees(user, unit)


def unit_records_q(user, unit_field):
    """The same rule as may_read_unit_record, as a condition on `unit_field` (a foreign key to Unit)."""
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    for membership in memberships(user):
        condition |= Q(**{f"{unit_field}_id": membership.unit_id})
        if membership.role in OVERSEERS:
            condition |= Q(**{f"{unit_field}__path__startswith": membership.unit.path})
    return condition


# --- the menu ---------------------------------------------------------------------------------------------
def menu(user):
    """What the header offers the user: the same questions as the pages themselves ask."""
    return {
        "receive": may_receive(user),
        "my_steps": may_work_steps(user),
        "upload": may_upload(user),
        "reports": may_read_reports(user),
        "weekly": may_read_reports(user),
        "homeaffairs": may_read_homeaffairs(user),
        "explanations": user.is_superuser or bool(memberships(user)),
        "admin": user.is_staff,
    }
