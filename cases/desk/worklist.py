"""The performer's own list, Việc của tôi (live): the open steps a user holds or may take up (access.held_steps),
by bucket — waiting to be taken up, overdue, due today, hanging (treo) — and their counts for the header's badge.

Overdue and due today are cases.desk.outcome's horizons applied to a step's due time. Hanging (DOMAIN.md, "The
process inside a unit"; issue 13): taken up and untouched — nothing recorded on the dossier — for
STEP_HANGING_AFTER_HOURS working hours. The calendar turns those hours into one moment, so the rule is one
comparison in SQL whatever the length of the list.
"""

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from .models import Dossier, DossierEvent
from .outcome import DUE_TODAY, OVERDUE
from .states import CLOCK_STOPPED_STATES, EventKind

# Over the open steps of access.held_steps(user): those not yet taken up wait for the user (named) or for anyone of
# their role at the step's unit; those taken up are the user's own.
TO_TAKE_UP, HELD, HANGING = "cho_nhan", "dang_giu", "treo"
LABELS = {
    TO_TAKE_UP: "Chờ nhận",
    OVERDUE: "Đang quá hạn",
    DUE_TODAY: "Đến hạn trong hôm nay",
    HANGING: "Hồ sơ treo",
    HELD: "Đang giữ",
}


def hanging_seconds():
    """How long a step may stay untouched before it is hanging (treo), in working seconds."""
    return round(settings.STEP_HANGING_AFTER_HOURS * 3600)


def hanging_since(now, work_calendar):
    """A step untouched since this moment or earlier is hanging: hanging_seconds() of working time before `now`, so
    one comparison in SQL stands for working_seconds_between(last touch, now) >= hanging_seconds()."""
    return work_calendar.latest_start(now, hanging_seconds())


def _touches():
    """What counts as touching a step: anything recorded on its dossier but the overdue job's mark."""
    return DossierEvent.objects.filter(dossier=OuterRef("dossier_id")).exclude(kind=EventKind.OVERDUE)


def last_touched_at():
    """When the step's dossier was last touched (a subquery per step; the (dossier, at) index of events)."""
    return Subquery(_touches().order_by("-at").values("at")[:1])


def hanging_q(since):
    """Taken up by `since`, the dossier's clock running (a supplement awaited is the applicant's time), and not
    touched after `since` (SQL). Subqueries, not a join: only the steps taken up long enough ago ask them."""
    stopped = Dossier.objects.filter(pk=OuterRef("dossier_id"), state__in=CLOCK_STOPPED_STATES)
    return Q(taken_at__lte=since) & ~Exists(stopped) & ~Exists(_touches().filter(at__gt=since))


def conditions(h, since=None):
    """{bucket: Q} over a performer's open steps. Overdue, due today and hanging overlap; all three are held."""
    held = Q(taken_at__isnull=False)
    found = {
        TO_TAKE_UP: Q(taken_at__isnull=True),
        OVERDUE: held & Q(due_at__lt=h.now),
        DUE_TODAY: held & Q(due_at__gte=h.now, due_at__lt=h.today_end),
    }
    if since is not None:
        found[HANGING] = held & hanging_q(since)
        found[HELD] = held
    return found


def counts(steps, h, since=None):
    """{bucket: count} of a performer's open steps, in one aggregate. Without `since` (the header badge on every
    page) only waiting, overdue and due today, read from the open-step indexes: due before tonight or not yet due."""
    found = conditions(h, since)
    if since is None:
        steps = steps.filter(Q(due_at__isnull=True) | Q(due_at__lt=h.today_end))
    row = steps.order_by().aggregate(**{name: Count("id", filter=condition) for name, condition in found.items()})
    return {name: row[name] or 0 for name in found}
