"""The applicants' satisfaction (DOMAIN.md, "The citizen's side"): the one definition of the satisfaction rate and of
whom a rating counts for, read by the dashboard, the letter, Nội vụ's appraisal workbook and the service index.

- The rate: ratings «rất hài lòng» and «hài lòng» / every rating, × 100; no rating, no rate ("—", never 0%).
- A rating counts in the period it was given (Rating.rated_at), not the one the dossier was received or resolved in.
- A unit: the ratings of the dossiers it received (the dossier's unit), as the tally counts its dossiers.
- An official: a rating counts for every official who held a step of the rated dossier (DossierStep.holder, or the
  imported holder_name), once per dossier however many of its steps they held, under the unit of those steps (as
  the officials sheet counts steps: a liên thông official under their own unit). Everyone who handled the
  dossier shares the applicant's verdict on it: the applicant rates the service, not the last hand. Steps nobody
  was recorded as holding credit no one, and a dossier with no steps (handled outside the internal process)
  counts for its unit only.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from cases.desk.models import DossierStep, Rating
from cases.desk.states import SATISFIED_LEVELS, Satisfaction

from .counters import rate, unit_ids


@dataclass
class Satisfied:
    rated: int = 0
    satisfied: int = 0  # rated «rất hài lòng» or «hài lòng»

    def __add__(self, other):
        return Satisfied(self.rated + other.rated, self.satisfied + other.satisfied)

    @property
    def not_satisfied(self):
        return self.rated - self.satisfied

    @property
    def rate(self):
        """Rated satisfied or very satisfied / rated × 100 (DOMAIN.md); None when nobody rated."""
        return rate(self.satisfied, self.rated)


def _in_period(prefix, period):
    return {f"{prefix}rated_at__gte": period.start_at, f"{prefix}rated_at__lt": period.end_at}


def satisfaction_counts(period, units):
    """{unit id: Satisfied} of the ratings given in the period to the units' dossiers (units without one left out)."""
    rows = (
        Rating.objects.filter(dossier__unit_id__in=unit_ids(units), **_in_period("", period))
        .values("dossier__unit_id")
        .order_by()
        .annotate(rated=Count("id"), satisfied=Count("id", filter=Q(level__in=SATISFIED_LEVELS)))
    )
    return {row["dossier__unit_id"]: Satisfied(row["rated"], row["satisfied"]) for row in rows}


def satisfaction_rows(tally):
    """([(unit, Satisfied)] of the tally's units with ratings in its period, in its order; the scope's Satisfied):
    the dashboard's table and the letter's."""
    counted = satisfaction_counts(tally.period, [row.unit.pk for row in tally.units])
    rows = [(row.unit, counted[row.unit.pk]) for row in tally.units if row.unit.pk in counted]
    return rows, sum((counts for _, counts in rows), Satisfied())


def satisfaction_by_official(period, units):
    """{(step's unit id, holder id, holder name): Satisfied} — the key of reports.figures.officials.by_official's
    rows — for the ratings given in the period to dossiers whose steps the units' officials held (the rule above)."""
    per_dossier = Count("dossier_id", distinct=True)
    rows = (
        DossierStep.objects.filter(unit_id__in=unit_ids(units), **_in_period("dossier__rating__", period))
        .exclude(holder_id__isnull=True, holder_name="")
        .values("unit_id", "holder_id", "holder_name")
        .order_by()
        .annotate(
            rated=per_dossier,
            satisfied=Count("dossier_id", distinct=True, filter=Q(dossier__rating__level__in=SATISFIED_LEVELS)),
        )
    )
    return {
        (row["unit_id"], row["holder_id"], row["holder_name"]): Satisfied(row["rated"], row["satisfied"])
        for row in rows
    }


def unsatisfied(period, units):
    """The «không hài lòng» ratings given in the period to the units' dossiers, newest first: the office's list."""
    return (
        Rating.objects.filter(
            level=Satisfaction.NOT_SATISFIED, dossier__unit_id__in=unit_ids(units), **_in_period("", period)
        )
        .select_related("dossier__unit", "dossier__procedure")
        .order_by("-rated_at", "-pk")
    )
