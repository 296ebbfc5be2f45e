"""Apologies in the figures: per unit, the late or overdue dossiers (the tally's definitions) and how many of
them have the apology letter (Mẫu 04) that Decree 61/2018, Art. 18 owes the applicant (seed 004)."""

from django.db.models import Count, F, Q
from django.utils import timezone

from cases.desk.models import Dossier
from cases.desk.outcome import with_days
from reports.figures.counters import counter_conditions, unit_ids


def late_q(period):
    """Resolved late in the period (the tally's definition), with the index-friendly condition it implies."""
    return counter_conditions(period)["resolved_late"] & Q(resolved_at__gt=F("due_at"))


def overdue_at_end_q(period):
    """Open and overdue at the period's end (the tally's definition), with the OR of indexed arms it implies."""
    end = period.end_at
    arms = Q(resolved_at__isnull=True, ended_at__isnull=True) | Q(resolved_at__gte=end) | Q(ended_at__gte=end)
    return counter_conditions(period)["in_progress_overdue"] & arms


def apology_counts(period, units, owed=None):
    """{unit id: (late or overdue, of which with an apology)} for units with any.

    `owed` ({unit id: late + overdue}, e.g. from a Tally: resolved_late + in_progress_overdue, the same
    definitions) saves counting the late dossiers again; then only the dossiers that have an apology are read,
    starting from the small apology table. Without it, one aggregate per kind (a dossier is never both), each
    reading its own index ranges.
    """
    period = period.up_to(timezone.localdate())  # a running period counts as of today, as the tally does
    ids = unit_ids(units)
    dossiers = with_days(Dossier.objects.filter(unit_id__in=ids, received_at__lt=period.end_at))
    conditions = (late_q(period), overdue_at_end_q(period))
    late = dict(owed or {})
    if owed is None:
        for condition in conditions:
            for row in dossiers.filter(condition).values("unit_id").order_by().annotate(count=Count("id")):
                late[row["unit_id"]] = late.get(row["unit_id"], 0) + row["count"]
    with_apology = {
        row["unit_id"]: row["count"]
        for row in dossiers.filter(conditions[0] | conditions[1], apology__isnull=False)
        .values("unit_id")
        .order_by()
        .annotate(count=Count("id"))
    }
    return {unit_id: (count, with_apology.get(unit_id, 0)) for unit_id, count in late.items() if count}
