"""What every page's header needs: the targets, the menu, the badge of what needs doing now (lazy), and whether the
page's figures come from a read replica."""

from functools import cached_property

from django.conf import settings

from cases.core import routing
from cases.desk import access, outcome, worklist
from cases.views.desk import deadline_links


def portal(request):
    return {
        "TARGET_ON_TIME_RATE": settings.TARGET_ON_TIME_RATE,
        "TARGET_ONLINE_RATE": settings.TARGET_ONLINE_RATE,
        "desk_badge": DeskBadge(request),
        "step_badge": StepBadge(request),
        "menu": Menu(request),
        "replica_note": ReplicaNote(),
    }


class Menu:
    """access.menu(user), asked only when a page shows the header."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def items(self):
        user = getattr(self.request, "user", None)
        return access.menu(user) if user is not None and user.is_authenticated else {}

    def __getitem__(self, key):
        return self.items.get(key, False)


class DeskBadge:
    """The header's three counts: the same buckets and dossiers as the Today page. Lazy: nothing is queried unless a
    page shows the header."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def horizons(self):
        counted = getattr(self.request, "deadline_counts", None)
        return counted[0] if counted else outcome.horizons()

    @cached_property
    def counts(self):
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        counted = getattr(self.request, "deadline_counts", None)  # the Today page counted them already
        counts = counted[1] if counted else _deadline_counts(user, self.horizons)
        return {"overdue": counts[outcome.OVERDUE], "due_today": counts[outcome.DUE_TODAY],
                "due_tomorrow": counts[outcome.DUE_SOON]}  # fmt: skip

    @cached_property
    def links(self):
        links = deadline_links(self.horizons)
        return {"overdue": links[outcome.OVERDUE], "due_today": links[outcome.DUE_TODAY],
                "due_tomorrow": links[outcome.DUE_SOON]}  # fmt: skip


@routing.reads_from_replica
def _deadline_counts(user, horizons):
    return outcome.deadline_counts(access.watched_dossiers(user), horizons)


class ReplicaNote:
    """'Số liệu từ bản sao, trễ 2 giây.' on a page whose figures were read from a replica; empty otherwise. Asked when
    the template shows it, inside the view that read them."""

    def __str__(self):
        return routing.note()

    def __bool__(self):
        return bool(routing.note())


class StepBadge:
    """The count beside "Việc của tôi": the user's steps overdue or due today, and those waiting for them to take up.
    One aggregate over the open-step indexes, only for those who work steps, only when a page shows the header."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def counts(self):
        user = getattr(self.request, "user", None)
        if user is None or not access.may_work_steps(user):
            return None
        counts = getattr(self.request, "step_counts", None)  # Việc của tôi counted them already
        if counts is None:
            counts = worklist.counts(access.held_steps(user), outcome.horizons())
        overdue, due_today = counts[worklist.OVERDUE], counts[worklist.DUE_TODAY]
        return {"urgent": overdue + due_today, "overdue": overdue, "due_today": due_today,
                "waiting": counts[worklist.TO_TAKE_UP]}  # fmt: skip
