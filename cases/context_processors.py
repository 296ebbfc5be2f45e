from functools import cached_property

from django.conf import settings
from django.urls import reverse


def portal(request):
    return {
        "TARGET_ON_TIME_RATE": settings.TARGET_ON_TIME_RATE,
        "TARGET_ONLINE_RATE": settings.TARGET_ONLINE_RATE,
        "desk_badge": DeskBadge(request),
    }


class DeskBadge:
    """The header's three counts for a desk officer. Lazy: nothing is queried unless a page shows the header."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def counts(self):
        from . import access, followup
        from .models import Role

        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated or Role.DESK not in access.roles(user):
            return None
        return followup.desk_counts(user)

    @cached_property
    def links(self):
        """The dossier list filtered to each count (the same buckets as followup.desk_counts)."""
        from . import followup

        h = followup.horizons()
        today, tomorrow = f"{h.today:%d/%m/%Y}", f"{h.next_working_day:%d/%m/%Y}"
        after_today = h.today_end.date()
        base = reverse("cases:dossier_list")
        return {
            "overdue": f"{base}?overdue=on&sort=due_at",
            "due_today": f"{base}?open=on&due_after={today}&due_before={today}&sort=due_at",
            "due_tomorrow": f"{base}?open=on&due_after={after_today:%d/%m/%Y}&due_before={tomorrow}&sort=due_at",
        }
